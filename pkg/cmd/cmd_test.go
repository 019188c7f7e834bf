package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
)

func TestPresetsCommand(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kubectl-eshell", "plugins")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "mine.yaml"), "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\nname: mine\nmode: exec\ncommands:\n- argv: [irb]\n  when: test -f Gemfile\n- [sh]\n")
	var out, errOut bytes.Buffer
	code := Main(context.Background(), genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut}, []string{"presets"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !regexpMatch(`^NAME\s+SOURCE\s+MODE\s+COMMANDS$`, lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	want := map[string]string{
		"django": `^django\s+builtin\s+-\s+python manage\.py shell_plus \(if .*\), else python manage\.py shell$`,
		"mine":   `^mine\s+\S+/kubectl-eshell/plugins/mine\.yaml\s+exec\s+irb \(if test -f Gemfile\), else sh$`,
		"shell":  `^shell\s+builtin\s+-\s+\(the container's shell\)$`,
	}
	for name, re := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, name+" ") {
				found = true
				if !regexpMatch(re, l) {
					t.Errorf("%s: %q does not match %s", name, l, re)
				}
			}
		}
		if !found {
			t.Errorf("no line for %s in:\n%s", name, out.String())
		}
	}
}

func TestFixedCompletions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "--mode", ""}, []string{"clone\t", "debug\t", "exec\t"}},
		{[]string{"__complete", "--profile", "re"}, []string{"restricted"}},
		{[]string{"__complete", "--preset", ""}, []string{"django\t", "node\t", "rails\t", "shell\t"}},
		{[]string{"__complete", "completion", ""}, []string{"bash\t", "fish\t", "powershell\t", "zsh\t"}},
	} {
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
		var out, errOut bytes.Buffer
		cmd := NewCmdEshell(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut})
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(tc.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		var got []string
		for _, l := range strings.Split(out.String(), "\n") {
			if l == "" || strings.HasPrefix(l, ":") {
				continue
			}
			got = append(got, l)
		}
		for _, w := range tc.want {
			ok := false
			for _, g := range got {
				if strings.HasPrefix(g, w) || g == strings.TrimSuffix(w, "\t") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%v: no %q among %q", tc.args, w, got)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%v: got %q, want %d candidates", tc.args, got, len(tc.want))
		}
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A pod that did not start because its node could not reach a registry is
// not a cluster this client cannot reach.
func TestAdviseKeepsStartErrors(t *testing.T) {
	se := &podwatch.StartError{Mode: mode.Clone, Pod: "web-eshell-x", Reason: "ErrImagePull", Message: `dial tcp 127.0.0.1:9: connect: connection refused`}
	got := advise(fmt.Errorf("%w; the image x was given with --set-image", se), "https://api").Error()
	if strings.Contains(got, "cannot reach the cluster") || !strings.Contains(got, "--set-image") {
		t.Errorf("advise = %q", got)
	}
	if got := advise(fmt.Errorf("get pods: %w", errors.New("dial tcp: connection refused")), "https://api").Error(); !strings.Contains(got, "cannot reach the cluster at https://api") {
		t.Errorf("advise = %q", got)
	}
}
