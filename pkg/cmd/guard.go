package cmd

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// permissions asks the API server, before anything is created, whether the
// user may do everything the plan's mode needs. The check sent ahead during
// Complete counts only when it asked about this mode and target.
func (o *Options) permissions(ctx context.Context, p plan.Plan) error {
	w := p.Workload
	if w == nil {
		// -l alone names no workload: only the pods' permissions apply.
		return access.Check(ctx, o.client, access.Needed(p.Mode, p.Namespace, schema.GroupResource{}, ""))
	}
	gr, name := p.Named()
	if o.ahead != nil {
		return o.ahead.Check(ctx, p.Mode, w.Namespace, gr, name)
	}
	return access.Check(ctx, o.client, access.Needed(p.Mode, w.Namespace, gr, name))
}

// check asks whether the user may do what perms need (see missing).
func (o *Options) check(ctx context.Context, perms []access.Permission) error {
	return o.missing(ctx, access.Check(ctx, o.client, perms))
}

// missing names the user in a report of missing permissions (access.Named).
func (o *Options) missing(ctx context.Context, err error) error {
	return access.Named(ctx, err, o.whoami.User)
}
