package cmd

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/audit"
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

// auditSession records the start of the plan's session in pod and
// container as Events, and returns what records its end.
func (o *Options) auditSession(ctx context.Context, pod, container string) func(error) {
	return o.auditPlan(ctx, o.plan, pod, container)
}

// auditPlan records the start of p's session in pod and container: the
// session of the command line, or one pod's part of a fan-out.
func (o *Options) auditPlan(ctx context.Context, p plan.Plan, pod, container string) func(error) {
	if p.NoAudit {
		return func(error) {}
	}
	w := p.Workload
	return o.begin(ctx, audit.Session{
		ID: p.SessionID, User: o.whoami.User(ctx), Mode: p.Mode, Namespace: w.Namespace, Command: p.Command, RecordCommand: p.RecordCommand,
		Workload: corev1.ObjectReference{Kind: w.Kind.Name(), Name: w.Name, Namespace: w.Namespace, APIVersion: w.APIVersion, UID: types.UID(w.UID)},
		Pod:      pod, Container: container, Started: time.Now(), Reason: p.Reason,
		Recorded: p.RecordPath != "",
	})
}

// begin records the start of s as Events and returns what records its end.
func (o *Options) begin(ctx context.Context, s audit.Session) func(error) {
	if o.recorder == nil {
		o.recorder = audit.NewRecorder(o.client, o.ErrOut)
	}
	return o.recorder.Begin(ctx, s)
}
