package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// What cp refuses before it needs a cluster: one error line saying what
// to do, exit 1 (the kubeconfig points nowhere, so a round trip would fail
// differently).
func TestCpRefusesLocally(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "f")
	if err := os.WriteFile(existing, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", filepath.Join(dir, "none"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cp", "a", "b"}, "neither side is in a container; name one as TARGET:PATH"},
		{[]string{"cp", "pod/x:/a", "deploy/y:/b"}, "both sides are in containers"},
		{[]string{"cp", "pod/x:/a", existing}, existing + " exists; pass --force to replace it"},
		{[]string{"cp", filepath.Join(dir, "missing"), "pod/x:/tmp"}, "nothing to copy"},
		{[]string{"cp", "a/b/c:d", "pod/x:/tmp"}, "is neither a local path nor TARGET:PATH"},
		{[]string{"cp", "pod/x:/a"}, "accepts 2 arg(s)"},
	} {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut}, tc.args)
		lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want one error line with %q", tc.args, code, errOut.String(), tc.want)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine" {
		t.Errorf("the existing file changed: %q", b)
	}
}
