package preset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const header = "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\n"

func TestBuiltinsLoad(t *testing.T) {
	r, err := Load(filepath.Join(t.TempDir(), "does-not-exist"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var names []string
	for _, p := range r.List() {
		names = append(names, p.Name)
		if p.Source != BuiltinSource {
			t.Errorf("%s: Source = %q, want %q", p.Name, p.Source, BuiltinSource)
		}
		if p.Description == "" {
			t.Errorf("%s: no description", p.Name)
		}
	}
	if diff := cmp.Diff([]string{"django", "node", "rails", "shell"}, names); diff != "" {
		t.Errorf("builtin names (-want +got):\n%s", diff)
	}

	django, err := r.Get("django")
	if err != nil {
		t.Fatal(err)
	}
	want := &Preset{
		Name:        "django",
		Description: "Django shell (shell_plus when django-extensions is installed)",
		DebugImage:  "python:3.13-slim",
		Commands: []Command{
			{Argv: []string{"python", "manage.py", "shell_plus"}, When: "python manage.py help shell_plus >/dev/null 2>&1"},
			{Argv: []string{"python", "manage.py", "shell"}},
		},
		Source: BuiltinSource,
	}
	if diff := cmp.Diff(want, django); diff != "" {
		t.Errorf("django (-want +got):\n%s", diff)
	}

	rails, _ := r.Get("rails")
	if diff := cmp.Diff([]Command{
		{Argv: []string{"bin/rails", "console"}},
		{Argv: []string{"bundle", "exec", "rails", "console"}},
	}, rails.Commands); diff != "" {
		t.Errorf("rails commands (-want +got):\n%s", diff)
	}
	node, _ := r.Get("node")
	if diff := cmp.Diff([]Command{{Argv: []string{"node"}}}, node.Commands); diff != "" {
		t.Errorf("node commands (-want +got):\n%s", diff)
	}

	def, err := r.Get("")
	if err != nil {
		t.Fatal(err)
	}
	if DefaultName != "shell" || def.Name != DefaultName || len(def.Commands) != 0 {
		t.Errorf("default preset = %+v, want the command-less shell preset", def)
	}
	if def.Argv() != nil || def.Script() != "" {
		t.Errorf("shell preset: Argv() = %q, Script() = %q; want nil and empty", def.Argv(), def.Script())
	}
}

func TestLoadWithoutUserDir(t *testing.T) {
	r, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.List()); n != 4 {
		t.Errorf("got %d presets, want the 4 builtins", n)
	}
}

func TestUserPresets(t *testing.T) {
	dir := t.TempDir()
	override := writeFile(t, dir, "django.yaml", header+`name: django
description: our Django
mode: exec
commands:
  - [python, -m, our.console]
`)
	extra := writeFile(t, dir, "more.yml", header+"name: psql\ncommands: [[psql]]\n---\n"+header+"name: redis\ncommands: [[redis-cli]]\n")
	writeFile(t, dir, "comments-only.yaml", "# name: nothing yet\n")
	writeFile(t, dir, "notes.txt", "not a preset")
	writeFile(t, dir, ".#django.yaml", "editor lock file: {{{")
	if err := os.Mkdir(filepath.Join(dir, "dir.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}

	r, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := map[string]string{}
	for _, p := range r.List() {
		got[p.Name] = p.Source
	}
	want := map[string]string{
		"django": override, "psql": extra, "redis": extra,
		"node": BuiltinSource, "rails": BuiltinSource, "shell": BuiltinSource,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	d, _ := r.Get("django")
	if d.Description != "our Django" || d.Mode != "exec" || d.DebugImage != "" ||
		!cmp.Equal(d.Commands, []Command{{Argv: []string{"python", "-m", "our.console"}}}) {
		t.Errorf("user django did not replace the builtin whole: %+v", d)
	}
}

func TestGetUnknown(t *testing.T) {
	dir := t.TempDir()
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Get("djang")
	if err == nil {
		t.Fatal("Get of an unknown preset succeeded")
	}
	for _, s := range []string{`"djang"`, "django, node, rails, shell", filepath.Join(dir, "djang.yaml")} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestGetReturnsCopies(t *testing.T) {
	r, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := r.Get("django")
	p.Commands[0].Argv[0] = "changed"
	p.Name = "changed"
	again, _ := r.Get("django")
	if again.Name != "django" || again.Commands[0].Argv[0] != "python" {
		t.Errorf("changing a returned preset changed the registry: %+v", again)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // after "<file>:"
	}{
		{"syntax", header + "name: x\ncommands:\n  - [python, manage.py\n", `5: invalid YAML`},
		{"syntax tab", header + "name: x\n\tmode: exec\n", `4: invalid YAML`},
		{"unknown field", header + "name: x\ncomands: [[sh]]\n", `4: unknown field "comands" in preset; known fields are apiVersion, commands, debugImage, description, kind, mode, name`},
		{"unknown command field", header + "name: x\ncommands:\n  - argv: [sh]\n    wen: true\n", `6: unknown field "wen" in command 1`},
		{"field twice", header + "name: x\nname: y\n", `4: field "name" is set twice in preset (first on line 3)`},
		{"wrong apiVersion", "apiVersion: v1\nkind: Preset\nname: x\n", `1: apiVersion is "v1"; preset files need apiVersion: eshell.kubectl.io/v1alpha1`},
		{"missing apiVersion", "kind: Preset\nname: x\n", `1: apiVersion is ""`},
		{"wrong kind", "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Pod\nname: x\n", `2: kind is "Pod"; preset files need kind: Preset`},
		{"missing name", header + "description: nameless\n", `1: preset has no name`},
		{"bad name", header + "name: my preset\n", `3: invalid preset name "my preset"`},
		{"invalid mode", header + "name: x\nmode: attach\n", `4: preset "x": invalid mode "attach": use one of clone, debug or exec`},
		{"empty argv", header + "name: x\ncommands:\n  - [sh]\n  - []\n", `6: command 2 is empty`},
		{"empty argv in mapping", header + "name: x\ncommands:\n  - argv: []\n", `5: command 1 is empty`},
		{"no argv in mapping", header + "name: x\ncommands:\n  - when: true\n", `5: command 1 has no argv`},
		{"empty program", header + "name: x\ncommands:\n  - ['', x]\n", `5: command 1 has an empty program name`},
		{"command as string", header + "name: x\ncommands:\n  - python manage.py shell\n", `5: command 1 must be a list of words`},
		{"commands not a list", header + "name: x\ncommands: sh\n", `4: commands must be a list`},
		{"null argument", header + "name: x\ncommands:\n  - [python, ~]\n", `5: command 1 item 2 is null`},
		{"not a mapping", "- a\n- b\n", `1: expected preset as a mapping`},
		{"duplicate in one file", header + "name: x\n---\n" + header + "name: x\n", `7: preset "x" is already defined at `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := writeFile(t, dir, "p.yaml", tt.content)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if want := file + ":" + tt.want; !strings.Contains(err.Error(), want) {
				t.Errorf("error\n  %v\ndoes not contain\n  %s", err, want)
			}
		})
	}
}

func TestDuplicateAcrossUserFiles(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", header+"name: tool\n")
	b := writeFile(t, dir, "b.yaml", "# the same again\n"+header+"name: tool\n")
	_, err := Load(dir)
	if err == nil {
		t.Fatal("Load succeeded")
	}
	want := b + `:4: preset "tool" is already defined at ` + a + ":3; rename or remove one of them"
	if err.Error() != want {
		t.Errorf("error\n  %v\nwant\n  %s", err, want)
	}
}

func TestUserDirIsAFile(t *testing.T) {
	f := writeFile(t, t.TempDir(), "plugins", "")
	_, err := Load(f)
	if err == nil || !strings.Contains(err.Error(), "reading preset directory "+f) {
		t.Errorf("Load(file) = %v, want an error about the directory", err)
	}
}

func TestDefaultUserDir(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	if got, want := DefaultUserDir(), "/xdg/kubectl-eshell/plugins"; got != want {
		t.Errorf("with XDG_CONFIG_HOME: %q, want %q", got, want)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	if got, want := DefaultUserDir(), "/home/u/.config/kubectl-eshell/plugins"; got != want {
		t.Errorf("without XDG_CONFIG_HOME: %q, want %q", got, want)
	}
}
