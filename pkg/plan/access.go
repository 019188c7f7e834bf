package plan

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sberz/kubectl-eshell/pkg/access"
)

// Needed is what the plan's session needs (see access.Needed) on what the
// user named; with -l alone, on pods only.
func (p Plan) Needed() []access.Permission {
	if p.Workload == nil {
		return access.Needed(p.Mode, p.Namespace, schema.GroupResource{}, "")
	}
	gr, name := p.Named()
	return access.Needed(p.Mode, p.Workload.Namespace, gr, name)
}

// Check asks d.Access whether the user may do what perms need, naming the
// user in a report of missing permissions, so that it can be forwarded to
// an admin as it is. A nil Access asks nothing: the engines' unit tests run
// them without one.
func (d Deps) Check(ctx context.Context, perms []access.Permission) error {
	if d.Access == nil {
		return nil
	}
	return access.Named(ctx, d.Access.Check(ctx, perms), d.User)
}

// CheckSession is each engine's first step: whether the user may do all
// the session of p's mode needs (see access.Needed), asked before anything
// is created, patched or streamed. The rules the command fetched while it
// looked up the target answer it, and later checks of the session (a
// clone's Secret and NetworkPolicy copies) alike. A dry run asks nothing.
func (d Deps) CheckSession(ctx context.Context, p Plan) error {
	if p.DryRun {
		return nil
	}
	return d.Check(ctx, p.Needed())
}
