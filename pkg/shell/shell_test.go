package shell

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// kubelet undoes ContainerArgv's escaping, as the kubelet does with a
// container's command before starting it.
func kubelet(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = strings.ReplaceAll(a, "$$", "$")
	}
	return out
}

// run executes a container command with stdin, as the container would.
func run(t *testing.T, argv []string, stdin string) string {
	t.Helper()
	argv = kubelet(argv)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, out)
	}
	return string(out)
}

func TestContainerArgvSurvivesKubeletExpansion(t *testing.T) {
	in := []string{"sh", "-c", "echo $$ $(HOME) $HOME"}
	if got := kubelet(ContainerArgv(in)); strings.Join(got, "|") != strings.Join(in, "|") {
		t.Fatalf("after expansion %q, want %q", got, in)
	}
}

func TestDetectPrefersBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on this machine")
	}
	if got := run(t, Detect(), `echo "${BASH_VERSION:+bash}"`+"\n"); got != "bash\n" {
		t.Fatalf("got %q, want bash", got)
	}
}

func TestChooseTakesTheFirstShellTheImageHas(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on this machine")
	}
	for _, tt := range []struct {
		name  string
		prefs []string
		note  bool
		want  string
	}{
		{"missing ones are skipped and named", []string{"eshell-no-such-shell", "bash", "sh"}, true,
			"eshell: starting bash (not in the image: eshell-no-such-shell)\nbash\n"},
		{"sh is the last resort", []string{"eshell-no-such-shell", "eshell-nor-this"}, true,
			"eshell: starting sh (not in the image: eshell-no-such-shell eshell-nor-this)\nsh\n"},
		{"the first found says nothing missing", []string{"bash"}, true, "eshell: starting bash\nbash\n"},
		{"without a note, only the shell speaks", []string{"eshell-no-such-shell", "bash"}, false, "bash\n"},
		{"no preference is the default: bash, then sh", nil, false, "bash\n"},
		{"a quote in a name stays a word", []string{"it's", "bash"}, false, "bash\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, Choose(tt.prefs, tt.note), `if [ -n "$BASH_VERSION" ]; then echo bash; else echo sh; fi`+"\n")
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"zsh": true, "fish": true, "/bin/zsh": true, "busybox-ash": true,
		"": false, "zsh;rm": false, "z sh": false, "$(id)": false, "a:b": false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestNoShell(t *testing.T) {
	for msg, want := range map[string]bool{
		`exec: "sh": executable file not found in $PATH`:                   true,
		`OCI runtime exec failed: stat /bin/sh: no such file or directory`: true,
		"command terminated with exit code 1":                              false,
	} {
		if got := NoShell(errors.New(msg)); got != want {
			t.Errorf("NoShell(%q) = %v, want %v", msg, got, want)
		}
	}
	if NoShell(nil) {
		t.Error("NoShell(nil)")
	}
}

func TestQuote(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{[]string{"python", "manage.py", "shell_plus"}, "python manage.py shell_plus"},
		{[]string{"sh", "-c", "echo $HOME; ls"}, `sh -c 'echo $HOME; ls'`},
		{[]string{"echo", "it's"}, `echo 'it'\''s'`},
		{[]string{"printf", ""}, "printf ''"},
		// Keywords stay programs, "=" never reads as an assignment.
		{[]string{"if", "a b", "it's", "", "$x", "plain-word_1.2:3,4+5@6%7", "=", "~", "#"}, `'if' 'a b' 'it'\''s' '' '$x' plain-word_1.2:3,4+5@6%7 '=' '~' '#'`},
	} {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
