package preset

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

func TestForWorkload(t *testing.T) {
	reg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		annotations map[string]string
		wantPreset  string
		wantCommand []string
		wantErr     string
	}{
		{name: "neither", annotations: map[string]string{"other": "x"}},
		{name: "nil map", annotations: nil},
		{name: "blank annotations count as absent", annotations: map[string]string{keys.PresetAnnotation: " ", keys.WorkloadCommandAnnotation: ""}},
		{name: "preset", annotations: map[string]string{keys.PresetAnnotation: "django"}, wantPreset: "django"},
		{
			name:        "command with quotes",
			annotations: map[string]string{keys.WorkloadCommandAnnotation: `bin/console --env "prod eu" 'it''s'`},
			wantCommand: []string{"bin/console", "--env", "prod eu", "its"},
		},
		{
			name:        "command wins, preset still returned",
			annotations: map[string]string{keys.PresetAnnotation: "rails", keys.WorkloadCommandAnnotation: "bin/rails c"},
			wantPreset:  "rails", wantCommand: []string{"bin/rails", "c"},
		},
		{
			name:        "shell syntax runs through sh",
			annotations: map[string]string{keys.WorkloadCommandAnnotation: "cd /app && exec ./console"},
			wantCommand: []string{"sh", "-c", "cd /app && exec ./console"},
		},
		{
			name:        "unknown preset",
			annotations: map[string]string{keys.PresetAnnotation: "djang", keys.WorkloadCommandAnnotation: "sh"},
			wantErr:     `workload annotation eshell.kubectl.io/preset: unknown preset "djang": choose one of django, node, rails, shell; fix the annotation or choose a preset explicitly`,
		},
		{
			name:        "broken command",
			annotations: map[string]string{keys.WorkloadCommandAnnotation: `python -c 'print(1)`},
			wantErr:     `workload annotation eshell.kubectl.io/command="python -c 'print(1)": unterminated single quote; close it with '; fix the annotation or give the command explicitly`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, cmd, err := ForWorkload(tt.annotations, reg)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v\nwant   %s", err, tt.wantErr)
				}
				if p != nil || cmd != nil {
					t.Errorf("got %v, %q along with the error", p, cmd)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gotPreset := ""
			if p != nil {
				gotPreset = p.Name
			}
			if gotPreset != tt.wantPreset {
				t.Errorf("preset %q, want %q", gotPreset, tt.wantPreset)
			}
			if diff := cmp.Diff(tt.wantCommand, cmd); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
		})
	}
}

func TestForWorkloadWithoutRegistry(t *testing.T) {
	if _, _, err := ForWorkload(map[string]string{keys.PresetAnnotation: "django"}, nil); err == nil {
		t.Error("a preset annotation without a registry was accepted")
	}
	p, cmd, err := ForWorkload(map[string]string{keys.WorkloadCommandAnnotation: "node"}, nil)
	if err != nil || p != nil || !cmp.Equal(cmd, []string{"node"}) {
		t.Errorf("got %v, %q, %v; want nil, [node], nil", p, cmd, err)
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		line  string
		want  []string
		shell bool // want ["sh", "-c", line]
	}{
		{line: "python manage.py shell", want: []string{"python", "manage.py", "shell"}},
		{line: "  spaced \t out  ", want: []string{"spaced", "out"}},
		{line: `a "b c" 'd e' f\ g`, want: []string{"a", "b c", "d e", "f g"}},
		{line: `x '' "" y`, want: []string{"x", "", "", "y"}},
		{line: `'it'\''s' "say \"hi\"" "a\b" "\\" 'a\b'`, want: []string{"it's", `say "hi"`, `a\b`, `\`, `a\b`}},
		{line: `con"cat"'en'ated`, want: []string{"concatenated"}},
		{line: "a\\\nb", want: []string{"ab"}},
		{line: `prog --opt=value a#b c~d`, want: []string{"prog", "--opt=value", "a#b", "c~d"}},
		{line: `'!' '{' "if"`, want: []string{"!", "{", "if"}},
		{line: `'FOO=bar' prog`, want: []string{"FOO=bar", "prog"}},
		{line: "a | b", shell: true},
		{line: "a && b", shell: true},
		{line: "a; b", shell: true},
		{line: "a > out", shell: true},
		{line: "echo $HOME", shell: true},
		{line: `echo "$HOME"`, shell: true},
		{line: "echo `id`", shell: true},
		{line: "ls *.py", shell: true},
		{line: "cat ~/x", shell: true},
		{line: "a # comment", shell: true},
		{line: "a\nb", shell: true},
		{line: "FOO=bar prog", shell: true},
		{line: "(cd x)", shell: true},
		{line: "! false", shell: true},
		{line: "if true; then x; fi", shell: true},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.line)
		if err != nil {
			t.Errorf("SplitCommand(%q): %v", tt.line, err)
			continue
		}
		want := tt.want
		if tt.shell {
			want = []string{"sh", "-c", tt.line}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("SplitCommand(%q) (-want +got):\n%s", tt.line, diff)
		}
		if !tt.shell {
			if fromSh := splitWithSh(t, tt.line); fromSh != nil && !cmp.Equal(fromSh, got) {
				t.Errorf("SplitCommand(%q) = %q, but sh splits it into %q", tt.line, got, fromSh)
			}
		}
	}
}

// splitWithSh asks the real sh how it splits line into arguments, or
// returns nil when there is no /bin/sh.
func splitWithSh(t *testing.T, line string) []string {
	t.Helper()
	out, err := exec.Command("/bin/sh", "-c", `p() { for a; do printf '%s\0' "$a"; done; }; p `+line).Output()
	if err != nil {
		if _, lookErr := exec.LookPath("/bin/sh"); lookErr != nil {
			return nil
		}
		t.Fatalf("sh on %q: %v", line, err)
	}
	args := strings.Split(string(out), "\x00")
	return args[:len(args)-1]
}

func TestSplitCommandErrors(t *testing.T) {
	for line, want := range map[string]string{
		"":          "the command is empty",
		" \t ":      "the command is empty",
		`a 'b`:      "unterminated single quote",
		`a "b\"`:    "unterminated double quote",
		`a "$x`:     "unterminated double quote",
		`trailing\`: "lone backslash",
	} {
		_, err := SplitCommand(line)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SplitCommand(%q) error = %v, want it to say %q", line, err, want)
		}
	}
}

// FuzzJoinSplit checks that SplitCommand reads back exactly what
// shell.Quote wrote, for any argv (joined by NUL in the fuzz input).
func FuzzJoinSplit(f *testing.F) {
	for _, seed := range []string{
		"python\x00manage.py\x00shell", "if\x00then", "a b\x00'\x00\"\x00\\", "\x00", "FOO=1\x00x",
		"new\nline", "\xff\xfe invalid utf8", "$(x)\x00`y`\x00*\x00~\x00#", "!", "{",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		argv := strings.Split(joined, "\x00")
		line := shell.Quote(argv)
		got, err := SplitCommand(line)
		if err != nil {
			t.Fatalf("SplitCommand(shell.Quote(%q)) = %q: %v", argv, line, err)
		}
		if !cmp.Equal(argv, got) {
			t.Fatalf("SplitCommand(shell.Quote(%q)) = %q via %q", argv, got, line)
		}
	})
}
