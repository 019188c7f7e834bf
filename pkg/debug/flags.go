package debug

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// AddFlags registers the flags of --mode debug into s and image (the debug
// container's). Each is marked as debug's (mode.Only), so the other modes
// refuse it.
func AddFlags(fs *pflag.FlagSet, s *plan.DebugSettings, image *string) {
	own := pflag.NewFlagSet(string(mode.Debug), pflag.ContinueOnError)
	own.StringVar(image, "image", "", "debug: image of the debug container (default from config, busybox:1.37)")
	own.StringVar(&s.Profile, "profile", ProfileAuto,
		"debug: security profile, one of "+strings.Join(ProfileNames(), ", ")+" (auto: the most capable one the API server admits, tried in turn)")
	own.BoolVar(&s.CopyEnv, "copy-env", true, "debug: give the debug container the target container's env (references, secrets are never read by eshell)")
	own.BoolVar(&s.CopyMounts, "copy-mounts", true, "debug: mount the target container's volumes at the same paths")
	own.BoolVar(&s.Reuse, "reuse", false, "debug: attach to your still-running debug container of the same image in the pod instead of adding another (asked on a terminal)")
	fs.AddFlagSet(mode.Only(own, mode.Debug))
}
