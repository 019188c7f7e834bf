package shell

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// runTools runs the argv Tools made with the local sh in place of the
// static one (ToolsDir does not exist here) and PATH as given.
func runTools(t *testing.T, argv []string, path string) string {
	t.Helper()
	if argv[0] != ToolsDir+"/sh" || argv[1] != "-c" {
		t.Fatalf("argv %q does not start the static shell", argv)
	}
	cmd := exec.Command("/bin/sh", argv[1:]...)
	cmd.Env = []string{"PATH=" + path}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%q: %v", argv, err)
	}
	return string(out)
}

func TestToolsPath(t *testing.T) {
	show := []string{"/bin/sh", "-c", `echo "$PATH"`}
	tests := []struct {
		path  string
		first bool
		want  string
	}{
		{"/usr/bin:/bin", false, "/usr/bin:/bin:" + ToolsDir},
		{"/usr/bin:/bin", true, ToolsDir + ":/usr/bin:/bin"},
	}
	for _, tt := range tests {
		if got := strings.TrimSpace(runTools(t, Tools(show, tt.first), tt.path)); got != tt.want {
			t.Errorf("PATH %q first=%v: the command sees %q, want %q", tt.path, tt.first, got, tt.want)
		}
	}
}

// The command's words reach it as they are: no expansion, no splitting.
func TestToolsKeepsArgv(t *testing.T) {
	words := []string{"a b", "$HOME", "'", "*", ""}
	argv := append([]string{"/bin/sh", "-c", `for w; do printf '[%s]' "$w"; done`, "x"}, words...)
	if got, want := runTools(t, Tools(argv, false), "/usr/bin:/bin"), "[a b][$HOME]['][*][]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestStaticLifeline(t *testing.T) {
	got := StaticLifelineScript(20*time.Second, time.Hour, true)
	want := ContainerArgv(Tools(lifeline(20*time.Second, time.Hour, true), true))
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got[0] != ToolsDir+"/sh" || !strings.Contains(got[2], "PATH=\""+ToolsDir+"$${PATH") {
		t.Errorf("the static lifeline does not run from %s with its tools first: %q", ToolsDir, got)
	}
}
