package plan_test

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"

	"github.com/sberz/kubectl-eshell/pkg/clone"
	"github.com/sberz/kubectl-eshell/pkg/debug"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// Every flag a mode's package registers is refused in the other modes: a
// flag added there and forgotten in plan's table would be silently ignored
// by the other modes.
func TestModeFlagsAreRefusedElsewhere(t *testing.T) {
	var image string
	for _, tc := range []struct {
		mode mode.Mode
		add  func(*pflag.FlagSet)
		min  int
	}{
		{mode.Clone, func(fs *pflag.FlagSet) { clone.AddFlags(fs, &plan.CloneSettings{}) }, 10},
		{mode.Debug, func(fs *pflag.FlagSet) { debug.AddFlags(fs, &plan.DebugSettings{}, &image) }, 5},
	} {
		fs := pflag.NewFlagSet(string(tc.mode), pflag.ContinueOnError)
		tc.add(fs)
		n := 0
		fs.VisitAll(func(f *pflag.Flag) {
			n++
			if got := plan.ModesOf(f.Name); !slices.Equal(got, []mode.Mode{tc.mode}) {
				t.Errorf("--%s applies to %v, want %s only", f.Name, got, tc.mode)
			}
		})
		if n < tc.min {
			t.Errorf("only %d %s flags registered", n, tc.mode)
		}
	}
}
