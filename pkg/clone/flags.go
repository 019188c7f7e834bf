package clone

import (
	"github.com/spf13/pflag"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// AddFlags registers the flags of --mode clone into s, their values parsed
// by the flag types of flagvalues.go. Each is marked as clone's
// (mode.Only), so the other modes refuse it.
func AddFlags(fs *pflag.FlagSet, s *plan.CloneSettings) {
	own := pflag.NewFlagSet(string(mode.Clone), pflag.ContinueOnError)
	own.BoolVar(&s.Keep, "keep", false, "clone: leave the pod running at the end and print how to reconnect and remove it")
	own.BoolVar(&s.KeepInitContainers, "keep-init-containers", false, "clone: run the workload's init containers too (they may run migrations)")
	own.BoolVar(&s.NoSidecars, "no-sidecars", false, "clone: drop native sidecars (kept by default, e.g. a database proxy)")
	own.BoolVar(&s.KeepPriority, "keep-priority", false, "clone: keep the workload's priorityClassName (dropped by default, so that a clone never preempts the workload's pods); for a namespace whose quota requires it")
	own.BoolVar(&s.WithPVC, "with-pvc", false, "clone: mount the workload's PersistentVolumeClaims read-only where the access mode allows")
	own.BoolVar(&s.NoNetworkPolicies, "no-network-policies", false, "clone: do not copy the NetworkPolicies that select the workload's pods to the clone (it is then less isolated; a warning says which)")
	own.Var(ImagesFlag{List: &s.SetImage}, "set-image", "clone: run the session's container (or CONTAINER: a sidecar, a kept init container) with IMAGE instead of the template's; repeatable")
	own.Var(EnvFlag{List: &s.Env}, "set-env", "clone: set a variable in the session's container, over the template's of that name; repeatable, the later wins. The value goes into a Secret of the session (it needs create on secrets), never into the pod or Job")
	own.Var(EnvFlag{List: &s.Env, File: true}, "set-env-file", "clone: --set-env for each NAME=VALUE line of a file (blank lines and # comments skipped, values taken as written); repeatable")
	own.Var(ResourcesFlag{List: &s.Requests}, "requests", "clone: resource requests of the session's container over the template's, e.g. cpu=500m,memory=256Mi (cpu, memory, ephemeral-storage)")
	own.BoolVar(&s.StaticShell, "static-shell", false, "clone: run the shell and the lifeline from a static busybox copied out of the debug image (config debugImage), inside the app's image: for an image without sh (known distroless images get it without this flag)")
	own.Var(ResourcesFlag{List: &s.Limits}, "limits", "clone: resource limits of the session's container over the template's, e.g. cpu=1,memory=512Mi")
	fs.AddFlagSet(mode.Only(own, mode.Clone))
}
