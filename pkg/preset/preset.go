// Package preset knows how to start the usual console of a framework (a
// Django shell, a Rails console, ...) in a container. Presets are YAML files:
// the built-in ones embedded from plugins/, plus the user's own in
// DefaultUserDir, which may add presets or override built-in ones by name.
package preset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/config/yamlfile"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/plugins"
)

const (
	// APIVersion and Kind head every preset file, so that a later format can
	// be told apart and a stray YAML file in the directory is refused.
	APIVersion = "eshell.kubectl.io/v1alpha1"
	Kind       = "Preset"

	// DefaultName is the preset used when nothing selects one.
	DefaultName = "shell"

	// BuiltinSource is the Source of presets embedded in the binary.
	BuiltinSource = "builtin"
)

// Preset is one console recipe.
type Preset struct {
	Name        string
	Description string
	// Mode is the session mode the preset prefers ("" = no preference).
	Mode mode.Mode
	// DebugImage is the image for --mode debug ("" = the configured one).
	DebugImage string
	// Commands are tried in order; see Script. None means "the container's
	// shell", which the caller detects.
	Commands []Command
	// Source is BuiltinSource or the path of the user's file.
	Source string
}

// Command is one way to start the console.
type Command struct {
	// Argv is run as is, without a shell; Argv[0] is looked up on PATH,
	// or taken relative to the working directory when it contains a '/'.
	Argv []string
	// When is an optional shell condition; the command is chosen only when
	// it succeeds (exits 0). See Script for how it runs.
	When string
}

// Registry holds the presets available to a session.
type Registry struct {
	presets map[string]*Preset
	userDir string
}

// DefaultUserDir returns the directory of the user's own presets:
// $XDG_CONFIG_HOME/kubectl-eshell/plugins, or ~/.config/kubectl-eshell/plugins,
// or "" when neither is known.
func DefaultUserDir() string {
	d := config.Dir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, "plugins")
}

// located is a preset with the place it was defined, to report duplicates.
type located struct {
	p    *Preset
	file string
	line int
}

// Load returns the built-in presets plus those in userDir (its *.yaml and
// *.yml files; "" or a directory that does not exist means none). A user
// preset replaces the built-in one of the same name. Any broken file is an
// error naming file and line: a preset that silently fails to load would
// leave the user wondering why their console never shows up.
func Load(userDir string) (*Registry, error) {
	builtin, err := loadFS(plugins.FS, "plugins", BuiltinSource)
	if err != nil {
		// Only a broken build gets here; the tests load every built-in file.
		return nil, fmt.Errorf("built-in presets: %w", err)
	}
	r := &Registry{presets: make(map[string]*Preset, len(builtin)), userDir: userDir}
	for _, l := range builtin {
		r.presets[l.p.Name] = l.p
	}
	if userDir == "" {
		return r, nil
	}
	user, err := loadFS(os.DirFS(userDir), userDir, "")
	if err != nil {
		return nil, err
	}
	for _, l := range user {
		r.presets[l.p.Name] = l.p
	}
	return r, nil
}

// loadFS reads the preset files at the root of fsys. shownDir is that
// directory as shown in messages and recorded in Source; source, when not "",
// is recorded instead (for built-in presets).
func loadFS(fsys fs.FS, shownDir, source string) ([]located, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading preset directory %s: %w; fix its permissions, or make it a directory", shownDir, unwrapPath(err))
	}
	var all []located
	seen := map[string]located{}
	for _, e := range entries {
		name := e.Name()
		// Dot files are editor droppings (.#x.yaml) or deliberately hidden.
		if strings.HasPrefix(name, ".") || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		if e.IsDir() {
			continue // a directory that happens to be named like a preset file
		}
		shown := filepath.Join(shownDir, name)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading preset file %s: %w; fix its permissions or remove it", shown, unwrapPath(err))
		}
		src := source
		if src == "" {
			src = shown
		}
		ps, err := parseFile(shown, src, data)
		if err != nil {
			return nil, err
		}
		for _, l := range ps {
			if prev, dup := seen[l.p.Name]; dup {
				return nil, fmt.Errorf("%s:%d: preset %q is already defined at %s:%d; rename or remove one of them",
					l.file, l.line, l.p.Name, prev.file, prev.line)
			}
			seen[l.p.Name] = l
			all = append(all, l)
		}
	}
	return all, nil
}

// unwrapPath drops the *fs.PathError around err: its path is relative to
// the fs.FS root and would only confuse next to the full path we show.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Field names in a preset file.
const (
	fieldAPIVersion  = "apiVersion"
	fieldKind        = "kind"
	fieldName        = "name"
	fieldDescription = "description"
	fieldCommands    = "commands"
	fieldMode        = "mode"
	fieldDebugImage  = "debugImage"
	fieldArgv        = "argv"
	fieldWhen        = "when"
)

// validName keeps names usable as a flag value and an annotation value
// without quoting.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// parseFile reads the presets of one file. A file may hold several,
// separated by "---".
func parseFile(file, source string, data []byte) ([]located, error) {
	docs, err := yamlfile.Documents(file, data)
	if err != nil {
		return nil, err
	}
	out := make([]located, 0, len(docs))
	for _, doc := range docs {
		p, line, err := parseDoc(file, doc)
		if err != nil {
			return nil, err
		}
		p.Source = source
		out = append(out, located{p: p, file: file, line: line})
	}
	return out, nil
}

// parseDoc returns the preset in doc and the line of its name.
func parseDoc(file string, doc *yaml.Node) (*Preset, int, error) {
	fields, err := yamlfile.Fields(file, doc, "preset",
		fieldAPIVersion, fieldKind, fieldName, fieldDescription, fieldCommands, fieldMode, fieldDebugImage)
	if err != nil {
		return nil, 0, err
	}
	str := func(name string) (string, error) {
		f, ok := fields[name]
		if !ok {
			return "", nil
		}
		v, err := yamlfile.String(file, f.Value, name)
		return strings.TrimSpace(v), err
	}
	// where points errors about a field at its value, or at the start of the
	// preset when the field is missing.
	where := func(name string) *yaml.Node {
		if f, ok := fields[name]; ok {
			return f.Value
		}
		return doc
	}

	var p Preset
	var apiVersion, kind string
	for _, s := range []struct {
		name string
		dst  *string
	}{
		{fieldAPIVersion, &apiVersion}, {fieldKind, &kind}, {fieldName, &p.Name},
		{fieldDescription, &p.Description}, {fieldMode, (*string)(&p.Mode)}, {fieldDebugImage, &p.DebugImage},
	} {
		if *s.dst, err = str(s.name); err != nil {
			return nil, 0, err
		}
	}
	if apiVersion != APIVersion {
		return nil, 0, yamlfile.Errorf(file, where(fieldAPIVersion), "apiVersion is %q; preset files need apiVersion: %s", apiVersion, APIVersion)
	}
	if kind != Kind {
		return nil, 0, yamlfile.Errorf(file, where(fieldKind), "kind is %q; preset files need kind: %s", kind, Kind)
	}
	if p.Name == "" {
		return nil, 0, yamlfile.Errorf(file, where(fieldName), "preset has no name; add name: <name>, the word used to select it")
	}
	if !validName.MatchString(p.Name) {
		return nil, 0, yamlfile.Errorf(file, where(fieldName), "invalid preset name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", p.Name)
	}
	if p.Mode != "" {
		if err := p.Mode.Check(); err != nil {
			return nil, 0, yamlfile.Errorf(file, where(fieldMode), "preset %q: %w", p.Name, err)
		}
	}
	if f, ok := fields[fieldCommands]; ok && !yamlfile.IsNull(f.Value) {
		if p.Commands, err = parseCommands(file, f.Value); err != nil {
			return nil, 0, err
		}
	}
	return &p, where(fieldName).Line, nil
}

// parseCommands reads the commands list. An item is either a plain list of
// words, [python, manage.py, shell], or a mapping with argv and when.
func parseCommands(file string, n *yaml.Node) ([]Command, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, yamlfile.Errorf(file, n, "commands must be a list, each item a list of words like [python, manage.py, shell] or a mapping with argv and when")
	}
	cmds := make([]Command, 0, len(n.Content))
	for i, item := range n.Content {
		if item.Kind == yaml.AliasNode {
			item = item.Alias
		}
		var c Command
		var err error
		argvNode := item
		switch item.Kind {
		case yaml.SequenceNode:
			c.Argv, err = yamlfile.Strings(file, item, fmt.Sprintf("command %d", i+1))
		case yaml.MappingNode:
			var fields map[string]yamlfile.Field
			fields, err = yamlfile.Fields(file, item, fmt.Sprintf("command %d", i+1), fieldArgv, fieldWhen)
			if err != nil {
				return nil, err
			}
			f, ok := fields[fieldArgv]
			if !ok || yamlfile.IsNull(f.Value) {
				return nil, yamlfile.Errorf(file, item, "command %d has no argv; add argv: [program, args...]", i+1)
			}
			argvNode = f.Value
			c.Argv, err = yamlfile.Strings(file, f.Value, "argv")
			if err == nil {
				if w, ok := fields[fieldWhen]; ok {
					c.When, err = yamlfile.String(file, w.Value, fieldWhen)
					c.When = strings.TrimSpace(c.When)
				}
			}
		default:
			// A plain string is refused rather than split: whether it would
			// mean one program name or a shell line is a guess.
			return nil, yamlfile.Errorf(file, item, "command %d must be a list of words like [python, manage.py, shell], found %q", i+1, item.Value)
		}
		if err != nil {
			return nil, err
		}
		if len(c.Argv) == 0 {
			return nil, yamlfile.Errorf(file, argvNode, "command %d is empty; give at least the program to run", i+1)
		}
		if strings.TrimSpace(c.Argv[0]) == "" {
			return nil, yamlfile.Errorf(file, argvNode, "command %d has an empty program name", i+1)
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

// Get returns the preset called name; "" means DefaultName. The result is a
// copy the caller may change.
func (r *Registry) Get(name string) (*Preset, error) {
	if name == "" {
		name = DefaultName
	}
	if p, ok := r.presets[name]; ok {
		return p.clone(), nil
	}
	names := make([]string, 0, len(r.presets))
	for n := range r.presets {
		names = append(names, n)
	}
	slices.Sort(names)
	hint := ""
	if r.userDir != "" {
		hint = fmt.Sprintf(", or add %s/%s.yaml", r.userDir, name)
	}
	return nil, fmt.Errorf("unknown preset %q: choose one of %s%s", name, strings.Join(names, ", "), hint)
}

// List returns copies of all presets, sorted by name.
func (r *Registry) List() []*Preset {
	out := make([]*Preset, 0, len(r.presets))
	for _, p := range r.presets {
		out = append(out, p.clone())
	}
	slices.SortFunc(out, func(a, b *Preset) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (p *Preset) clone() *Preset {
	c := *p
	c.Commands = make([]Command, len(p.Commands))
	for i, cmd := range p.Commands {
		c.Commands[i] = Command{Argv: slices.Clone(cmd.Argv), When: cmd.When}
	}
	if p.Commands == nil {
		c.Commands = nil
	}
	return &c
}
