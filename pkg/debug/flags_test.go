package debug

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// Every debug flag is refused in the other modes: a flag added here and
// forgotten in plan's table would be silently ignored by clone and exec.
func TestFlagsAreDebugOnly(t *testing.T) {
	fs := pflag.NewFlagSet("debug", pflag.ContinueOnError)
	var image string
	AddFlags(fs, &plan.DebugSettings{}, &image)
	n := 0
	fs.VisitAll(func(f *pflag.Flag) {
		n++
		if got := plan.ModesOf(f.Name); !slices.Equal(got, []mode.Mode{mode.Debug}) {
			t.Errorf("--%s applies to %v, want debug only", f.Name, got)
		}
	})
	if n < 5 {
		t.Errorf("only %d debug flags registered", n)
	}
}
