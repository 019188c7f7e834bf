package e2e

import (
	"strings"
	"testing"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// A flag of another mode and every input gap end in one line that says
// what is wrong, and nothing is created.
func TestInputGaps(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	d := newDebugTarget(f, false)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy/web", "--mode", "exec", "--keep"}, "--keep applies to --mode clone only, and this session runs in --mode exec"},
		{[]string{"deploy/web", "--image", "busybox:1.37"}, "--image applies to --mode debug only, and this session runs in --mode clone"},
		{[]string{"deploy/web", "--mode", "exec", "--profile", "general"}, "--profile applies to --mode debug only"},
		{[]string{"deploy/web", "--mode", "exec", "--reuse"}, "--reuse applies to --mode debug only"},
		{[]string{"deploy/web", "--mode", "debug", "--with-pvc"}, "--with-pvc applies to --mode clone only"},
		{[]string{"deploy/web", "--pod", "web-0"}, "--pod applies to --mode exec and --mode debug only"},
		{[]string{"deploy/web", "--max-duration=-5m"}, "--max-duration -5m0s is negative"},
		{[]string{"deploy/web", "--mode", "exec", "--idle-timeout=-1s"}, "--idle-timeout -1s is negative"},
		{[]string{"deploy/web", "--mode", "exec", "--dry-run=server"}, "--dry-run=server applies to --mode clone and debug only"},
	} {
		r := f.Eshell("", c.args...)
		if r.Code != 1 || !strings.Contains(r.Stderr, c.want) || strings.Count(strings.TrimSpace(r.Stderr), "error:") != 1 {
			t.Errorf("%q: want one error %q, got %+v", c.args, c.want, r)
		}
	}
	r := f.Run(f.Cmd(f.Plugin, "-n", "no-such-ns-"+framework.RandSuffix(), "deploy/web"), "")
	if r.Code != 1 || !strings.Contains(r.Stderr, "does not exist: check -n or --env") || strings.Contains(r.Stderr, "no deployment") || strings.Contains(r.Stderr, "missing") {
		t.Errorf("a namespace that does not exist: %+v", r)
	}
	if n := len(clones(f)); n != 0 {
		t.Errorf("%d clone pods exist", n)
	}
	d.expectCount(0, "after refused inputs")
}
