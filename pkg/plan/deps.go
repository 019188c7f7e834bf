package plan

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/audit"
)

// Identity names the authenticated user; *access.Whoami is one.
type Identity interface {
	User(ctx context.Context) string
}

// Recorder records the start of a session and returns what records its
// end; *audit.Recorder is one.
type Recorder interface {
	Begin(ctx context.Context, s audit.Session) (end func(error))
}

// User is the authenticated user, access.Unknown without Whoami.
func (d Deps) User(ctx context.Context) string {
	if d.Whoami == nil {
		return access.Unknown
	}
	return d.Whoami.User(ctx)
}

// Audit records the start of p's session in pod and container as Events,
// and returns what records its end. Nothing is recorded with --no-audit or
// without a Recorder. The engine passes the plan it runs (for a fan-out,
// one pod's part), so the Events describe that session.
func (d Deps) Audit(ctx context.Context, p Plan, pod, container string) (end func(error)) {
	if p.NoAudit || d.Recorder == nil {
		return func(error) {}
	}
	return d.Recorder.Begin(ctx, p.AuditSession(d.User(ctx), pod, container))
}

// AuditSession is what the audit Events of p's session in pod and
// container say, user being who opened it.
func (p Plan) AuditSession(user, pod, container string) audit.Session {
	s := audit.Session{
		ID: p.SessionID, User: user, Mode: p.Mode, Command: p.Command, RecordCommand: p.RecordCommand,
		Pod: pod, Container: container, Started: time.Now(), Reason: p.Reason, Recorded: p.RecordPath != "",
	}
	if w := p.Workload; w != nil {
		s.Namespace = w.Namespace
		s.Workload = corev1.ObjectReference{Kind: w.Kind.Name(), Name: w.Name, Namespace: w.Namespace, APIVersion: w.APIVersion, UID: types.UID(w.UID)}
	}
	return s
}
