package cmd

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// precheck asks the API server, before anything is created, whether the
// user may do everything the mode needs, and lists all that is missing.
func (o *Options) precheck(ctx context.Context, w *target.Workload) error {
	gr := schema.GroupResource{Group: w.Kind.Group(), Resource: w.Kind.Resource()}
	err := access.Check(ctx, o.client, access.Needed(o.Mode, w.Namespace, gr, w.Name))
	var me *access.MissingError
	if errors.As(err, &me) {
		me.User = o.currentUser(ctx)
	}
	return err
}

// auditSession records the start of a session as an Event on the workload
// and the pod, and returns the function that records its end.
func (o *Options) auditSession(ctx context.Context, w *target.Workload, pod *corev1.Pod, container string) func(err error) {
	if o.NoAudit {
		return func(error) {}
	}
	if o.recorder == nil {
		o.recorder = audit.NewRecorder(o.client, o.ErrOut)
	}
	s := audit.Session{
		ID: o.sessionID, User: o.currentUser(ctx), Mode: o.Mode, Namespace: w.Namespace, Command: o.Command,
		Workload: corev1.ObjectReference{Kind: string(w.Kind), Name: w.Name, Namespace: w.Namespace, APIVersion: w.APIVersion, UID: types.UID(w.UID)},
		Pod:      pod.Name, Container: container, Started: time.Now(),
	}
	// The start Event goes out alongside the session rather than before it;
	// the end Event waits for it, so the two stay in order.
	started := make(chan struct{})
	go func() {
		defer close(started)
		o.recorder.Start(context.WithoutCancel(ctx), s)
	}()
	return func(err error) {
		<-started
		code := 0
		var ee *session.ExitError
		if errors.As(err, &ee) {
			code, err = ee.Code, nil
		} else if err != nil {
			code = 1
		}
		o.recorder.End(ctx, s, code, err)
	}
}
