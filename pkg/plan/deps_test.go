package plan

import (
	"context"
	"errors"
	"testing"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan/plantest"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// The Events describe the plan the engine was given (one pod's part of a
// fan-out has its own session id), name the user, and are not recorded
// with --no-audit or without a Recorder.
func TestDepsAudit(t *testing.T) {
	ctx := context.Background()
	rec := &plantest.Recorder{}
	d := Deps{Whoami: plantest.User("alice"), Recorder: rec}
	p := Plan{Mode: mode.Debug, SessionID: "part1", Reason: "OPS-1", RecordPath: "s.cast",
		Workload: &target.Workload{Kind: target.KindDeployment, Name: "web", Namespace: "shop", APIVersion: "apps/v1", UID: "u1"}}
	lost := errors.New("lost")
	d.Audit(ctx, p, "web-1", "app")(lost)
	started, ended := rec.Started(), rec.Ended()
	if len(started) != 1 || len(ended) != 1 || ended[0] != lost {
		t.Fatalf("started %+v, ended %v", started, ended)
	}
	s := started[0]
	if s.ID != "part1" || s.User != "alice" || s.Mode != mode.Debug || s.Namespace != "shop" || s.Pod != "web-1" || s.Container != "app" ||
		s.Workload.Kind != "Deployment" || s.Workload.Name != "web" || s.Workload.UID != "u1" || s.Reason != "OPS-1" || !s.Recorded {
		t.Errorf("session %+v", s)
	}

	p.NoAudit = true
	d.Audit(ctx, p, "web-1", "app")(nil)
	d.Recorder = nil
	p.NoAudit = false
	d.Audit(ctx, p, "web-1", "app")(nil)
	if n := len(rec.Started()); n != 1 {
		t.Errorf("%d sessions recorded, want the first only", n)
	}
	if u := (Deps{}).User(ctx); u != "unknown" {
		t.Errorf("user without Whoami %q", u)
	}
}
