package cmd

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/resolve"
)

// reviewAhead starts fetching the user's rules in the session's namespace
// (see access.Reviewer), so that they travel beside the lookup of the
// target: the engine's permission check then waits for no round trip of
// its own. A dry run checks nothing, so it asks nothing.
func (o *Options) reviewAhead(ctx context.Context, req resolve.Request) {
	if !req.Base.DryRun {
		o.access.Prefetch(ctx, req.Base.Namespace)
	}
}

// lookupError explains a failed lookup of the target: missing permissions
// for the mode on what was named say more than the lookup's Forbidden,
// when it was named by TYPE/NAME in the session's namespace (--env may
// move it elsewhere).
func (o *Options) lookupError(ctx context.Context, req resolve.Request, err error) error {
	ref := req.Target
	if req.Base.DryRun || req.Env != "" || ref.Kind == "" {
		return err
	}
	gr := schema.GroupResource{Group: ref.Kind.Group(), Resource: ref.Kind.Resource()}
	if cerr := o.check(ctx, access.Needed(req.Base.Mode, req.Base.Namespace, gr, ref.Name)); cerr != nil {
		return cerr
	}
	return err
}

// refuseBeforeRecording asks, before --record creates its file, what the
// engine asks first (from the same rules, so it costs nothing more): a
// session its permissions refuse leaves no file behind, which would refuse
// the next try ("the file exists").
func (o *Options) refuseBeforeRecording(ctx context.Context, p plan.Plan) error {
	return access.Advise(o.check(ctx, p.Needed()), o.rest.Host)
}

// check asks whether the user may do what perms need (see missing), from
// the rules of their namespaces, fetched once for the command.
func (o *Options) check(ctx context.Context, perms []access.Permission) error {
	return o.missing(ctx, o.access.Check(ctx, perms))
}

// missing names the user in a report of missing permissions (access.Named).
func (o *Options) missing(ctx context.Context, err error) error {
	return access.Named(ctx, err, o.whoami.User)
}
