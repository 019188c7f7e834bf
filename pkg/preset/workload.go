package preset

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// ForWorkload reads a workload's own choice of console from its annotations:
// keys.PresetAnnotation names a preset, keys.WorkloadCommandAnnotation gives
// a command line (see SplitCommand). Blank annotations count as absent.
//
// With neither it returns nil, nil, nil. With a command, command is non-nil
// and is what should run, even when a preset is named too: it is the more
// specific of the two. The preset, when named, is still returned and still
// checked, because its Mode and DebugImage apply to the session either way,
// and a typo in an annotation should surface rather than silently fall back.
func ForWorkload(annotations map[string]string, r *Registry) (p *Preset, command []string, err error) {
	name := strings.TrimSpace(annotations[keys.PresetAnnotation])
	line := strings.TrimSpace(annotations[keys.WorkloadCommandAnnotation])
	if name != "" {
		if r == nil {
			return nil, nil, fmt.Errorf("workload annotation %s=%q: no presets are loaded", keys.PresetAnnotation, name)
		}
		if p, err = r.Get(name); err != nil {
			return nil, nil, fmt.Errorf("workload annotation %s: %w; fix the annotation or choose a preset explicitly", keys.PresetAnnotation, err)
		}
	}
	if line != "" {
		if command, err = SplitCommand(line); err != nil {
			return nil, nil, fmt.Errorf("workload annotation %s=%q: %w; fix the annotation or give the command explicitly", keys.WorkloadCommandAnnotation, line, err)
		}
	}
	return p, command, nil
}

// SplitCommand turns a shell command line into argv, splitting words and
// removing quotes the way sh does ('single', "double", backslash), so the
// command can run without a shell, which a distroless container may lack.
//
// A line that needs a shell to mean what it says (pipes, redirections, ;,
// &&, $variables, `substitutions`, globs, ~, comments, several lines, or a
// leading VAR=value) is returned whole as ["sh", "-c", line] instead: taking
// it apart would silently change what it does.
func SplitCommand(line string) ([]string, error) {
	var (
		words     []string
		cur       strings.Builder
		inWord    bool // cur holds a word, possibly empty ('' is a word)
		quoted    bool // some of cur came from quotes or a backslash
		needShell bool
	)
	end := func() {
		if !inWord {
			return
		}
		w := cur.String()
		if len(words) == 0 && !quoted && shell.IsReserved(w) {
			needShell = true
		}
		words = append(words, w)
		cur.Reset()
		inWord, quoted = false, false
	}
	// Bytes, not runes: every special character is ASCII, and going byte by
	// byte keeps any other bytes, even invalid UTF-8, exactly as they are.
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch c {
		case ' ', '\t':
			end()
		case '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote; close it with '")
			}
			cur.WriteString(line[i+1 : i+1+j])
			inWord, quoted = true, true
			i += j + 1
		case '"':
			inWord, quoted = true, true
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				d := line[i]
				// In double quotes a backslash only escapes these.
				if d == '\\' && i+1 < len(line) && strings.IndexByte("$`\"\\\n", line[i+1]) >= 0 {
					i++
					if line[i] != '\n' { // backslash-newline joins lines
						cur.WriteByte(line[i])
					}
					continue
				}
				if d == '$' || d == '`' {
					needShell = true
				}
				cur.WriteByte(d)
			}
			if i >= len(line) {
				return nil, errors.New(`unterminated double quote; close it with "`)
			}
		case '\\':
			if i+1 >= len(line) {
				return nil, errors.New(`line ends with a lone backslash; remove it or write \\`)
			}
			i++
			if line[i] == '\n' {
				continue // backslash-newline joins lines
			}
			cur.WriteByte(line[i])
			inWord, quoted = true, true
		default:
			if strings.IndexByte("|&;<>()$`*?[\n", c) >= 0 {
				needShell = true
			}
			if !inWord && (c == '~' || c == '#') {
				needShell = true
			}
			// NAME=value before the program is an assignment to sh.
			if c == '=' && len(words) == 0 && !quoted && isName(cur.String()) {
				needShell = true
			}
			cur.WriteByte(c)
			inWord = true
		}
	}
	end()
	if len(words) == 0 {
		return nil, errors.New("the command is empty")
	}
	if needShell {
		return []string{"sh", "-c", line}, nil
	}
	return words, nil
}

// isName reports whether s is a shell variable name.
func isName(s string) bool {
	if s == "" || ('0' <= s[0] && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
