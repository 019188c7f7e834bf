package clone

import (
	"context"

	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// checkAccess asks, before anything is created, whether the user may do
// all a clone session needs: its Job, its pod, attach and exec (see
// access.Needed). The rules the command fetched while it looked up the
// target answer it, and later the checks of the clone's Secret and
// NetworkPolicy copies (prepare) alike. A dry run asks nothing.
func checkAccess(ctx context.Context, p plan.Plan, d plan.Deps) error {
	if p.DryRun {
		return nil
	}
	return d.Check(ctx, p.Needed())
}
