package preset

import (
	"strings"
	"testing"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
)

func TestChoose(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	writeFile(t, dir, "mine.yaml", "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\nname: mine\nmode: exec\ndebugImage: tools:1\ncommands: [[irb]]\n")
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	script := func(cmd []string) string {
		if len(cmd) != 3 || cmd[0] != "sh" {
			return strings.Join(cmd, " ")
		}
		return cmd[2]
	}
	django := map[string]string{keys.PresetAnnotation: "django"}
	for _, tt := range []struct {
		name      string
		in        Inputs
		command   string // a substring of the script, or the exact argv joined by |
		mode      mode.Mode
		image     string
		note      string
		wantError string
	}{
		{name: "annotation", in: Inputs{Workload: "deploy/d", Annotations: django}, command: "exec python manage.py shell", image: "python:3.13-slim", note: "Using preset django (from the annotation eshell.kubectl.io/preset of deploy/d)"},
		{name: "command annotation", in: Inputs{Workload: "deploy/c", Annotations: map[string]string{keys.WorkloadCommandAnnotation: "bin/console --sandbox"}}, command: "bin/console|--sandbox", note: "Running bin/console --sandbox (from the annotation eshell.kubectl.io/command of deploy/c)"},
		{name: "flag over annotation", in: Inputs{Flag: "node", Annotations: django}, command: "exec node"},
		{name: "user command keeps all", in: Inputs{UserCommand: []string{"ls"}, Flag: "", Annotations: django}},
		{name: "user command with flag takes mode", in: Inputs{UserCommand: []string{"ls"}, Flag: "mine"}, mode: mode.Exec, image: "tools:1"},
		{name: "config", in: Inputs{Config: "rails"}, command: "bin/rails", note: "Using preset rails (from the config file)"},
		{name: "default is the shell", in: Inputs{}},
		{name: "typo", in: Inputs{Workload: "deploy/t", Annotations: map[string]string{keys.PresetAnnotation: "djang"}}, wantError: `deploy/t: workload annotation eshell.kubectl.io/preset: unknown preset "djang"`},
		{name: "bad flag", in: Inputs{Flag: "nope"}, wantError: "--preset: "},
		{name: "bad config", in: Inputs{Config: "nope"}, wantError: "preset in the config file: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Choose(r, tt.in)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("err = %v, want %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := script(c.Command)
			if strings.Contains(tt.command, "|") {
				got = strings.Join(c.Command, "|")
			}
			if tt.command == "" && c.Command != nil || !strings.Contains(got, tt.command) {
				t.Errorf("command %q, want %q", c.Command, tt.command)
			}
			if c.Mode != tt.mode || c.DebugImage != tt.image || c.Note != tt.note {
				t.Errorf("mode %q image %q note %q, want %q %q %q", c.Mode, c.DebugImage, c.Note, tt.mode, tt.image, tt.note)
			}
		})
	}
}

func TestWorkloadAnnotations(t *testing.T) {
	own := map[string]string{keys.PresetAnnotation: "django"}
	tmpl := map[string]string{keys.PresetAnnotation: "node"}
	if got := WorkloadAnnotations(own, tmpl); got[keys.PresetAnnotation] != "django" {
		t.Errorf("the object's own choice must win, got %v", got)
	}
	if got := WorkloadAnnotations(map[string]string{"other": "x"}, tmpl); got[keys.PresetAnnotation] != "node" {
		t.Errorf("without its own choice the template's applies, got %v", got)
	}
}
