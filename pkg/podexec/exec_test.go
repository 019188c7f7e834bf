package podexec

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/plan/plantest"
)

// A dry run prints the process it would start, runs nothing (the Deps
// have no cluster to run it on), and names no argument.
func TestDryRunRunsNothing(t *testing.T) {
	p := plan.Plan{Mode: mode.Exec, DryRun: true, Container: "web", Stdin: true,
		Pod:     &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop"}},
		Command: []string{"psql", "postgres://app:hunter2@db/app"}}
	var printed any
	rec := &plantest.Recorder{}
	d := plan.Deps{IO: genericiooptions.NewTestIOStreamsDiscard(), Print: func(obj any) error { printed = obj; return nil }, Recorder: rec}
	if err := Run(context.Background(), p, d); err != nil {
		t.Fatal(err)
	}
	if len(rec.Started()) != 0 {
		t.Error("a dry run was audited")
	}
	r, ok := printed.(Request)
	if !ok || r.Pod != "web-1" || r.Container != "web" || r.Command != "psql (1 argument, not recorded)" || strings.Contains(r.Command, "hunter2") {
		t.Errorf("printed %+v", printed)
	}
	p.RecordCommand = true
	if err := Run(context.Background(), p, d); err != nil || !strings.Contains(printed.(Request).Command, "hunter2") {
		t.Errorf("--record-command: printed %+v, %v", printed, err)
	}
}
