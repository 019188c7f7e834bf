package podexec

import (
	"context"

	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// checkAccess asks, before the command runs, whether the user may do all
// an exec session needs (see access.Needed). The rules the command fetched
// while it looked up the target answer it. A dry run asks nothing.
func checkAccess(ctx context.Context, p plan.Plan, d plan.Deps) error {
	if p.DryRun {
		return nil
	}
	return d.Check(ctx, p.Needed())
}
