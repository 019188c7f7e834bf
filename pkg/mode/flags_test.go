package mode

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"
)

// A mode's flags carry their modes into the set they are added to; a flag
// registered without Only applies to every mode.
func TestOnlyMarksTheFlagsOfASet(t *testing.T) {
	own := pflag.NewFlagSet("clone", pflag.ContinueOnError)
	own.Bool("keep", false, "")
	own.StringP("selector", "l", "", "")
	fs := pflag.NewFlagSet("eshell", pflag.ContinueOnError)
	fs.String("container", "", "")
	fs.AddFlagSet(Only(own, Exec, Debug))
	for name, want := range map[string][]Mode{"keep": {Exec, Debug}, "selector": {Exec, Debug}, "container": nil} {
		if got := Of(fs.Lookup(name)); !slices.Equal(got, want) {
			t.Errorf("--%s applies to %v, want %v", name, got, want)
		}
	}
	if err := fs.Parse([]string{"-l", "app=web", "--keep"}); err != nil || !fs.Changed("selector") {
		t.Errorf("the added flags parse in the set: %v", err)
	}
}
