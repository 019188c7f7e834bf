package mode

import (
	"slices"

	"github.com/spf13/pflag"
)

// flagModes is the pflag annotation that lists the modes a flag applies
// to. A flag without it applies to every mode.
const flagModes = "eshell.mode"

// Only marks every flag of fs as meaning something in modes only, and
// returns fs: a mode's flags are registered into a set of their own and
// marked there, so a flag declares its modes where it is registered.
// Giving one in another mode is refused (see plan.Plan.CheckFlags), since
// silently ignoring it would run a session other than the one asked for
// (an exec where --keep was meant to keep a clone, say).
func Only(fs *pflag.FlagSet, modes ...Mode) *pflag.FlagSet {
	names := make([]string, len(modes))
	for i, m := range modes {
		names[i] = string(m)
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[flagModes] = slices.Clone(names)
	})
	return fs
}

// Of lists the modes f applies to; nil when it applies to all.
func Of(f *pflag.Flag) []Mode {
	var out []Mode
	for _, s := range f.Annotations[flagModes] {
		out = append(out, Mode(s))
	}
	return out
}
