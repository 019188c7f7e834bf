package clone

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// Every clone flag is refused in the other modes: a flag added here and
// forgotten in plan's table would be silently ignored by debug and exec.
func TestFlagsAreCloneOnly(t *testing.T) {
	fs := pflag.NewFlagSet("clone", pflag.ContinueOnError)
	AddFlags(fs, &plan.CloneSettings{})
	n := 0
	fs.VisitAll(func(f *pflag.Flag) {
		n++
		if got := plan.ModesOf(f.Name); !slices.Equal(got, []mode.Mode{mode.Clone}) {
			t.Errorf("--%s applies to %v, want clone only", f.Name, got)
		}
	})
	if n < 10 {
		t.Errorf("only %d clone flags registered", n)
	}
}
