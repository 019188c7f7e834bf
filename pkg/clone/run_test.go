package clone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

func testJob() *batchv1.Job {
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-x7k2p", Namespace: "shop",
		Labels: map[string]string{meta.ManagedByLabel: meta.ManagedByValue, meta.SessionLabel: "x7k2p"}}}
}

// A create whose response is lost still made a Job on the server: the
// session removes it, because its removal was registered before the
// request was sent.
func TestRunRemovesAJobWhoseCreateResponseWasLost(t *testing.T) {
	c := fake.NewClientset()
	c.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj := a.(k8stesting.CreateAction).GetObject()
		if err := c.Tracker().Create(schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, obj, "shop"); err != nil {
			t.Fatal(err)
		}
		return true, nil, apierrors.NewTimeoutError("the response was lost", 1)
	})
	s := &Session{Remote: session.Remote{Client: c}, StartTimeout: time.Second}
	err := s.Run(context.Background(), testJob(), "web")
	if err == nil || !strings.Contains(err.Error(), "creating the clone") {
		t.Fatalf("Run = %v, want the create's error", err)
	}
	if l, _ := c.BatchV1().Jobs("shop").List(context.Background(), metav1.ListOptions{}); len(l.Items) != 0 {
		t.Errorf("the Job the lost create made is still there")
	}
}

// A create the API server refused made nothing, and a Job of that name
// that already exists is someone else's: neither is deleted.
func TestRunDeletesNothingAfterARefusal(t *testing.T) {
	other := testJob()
	c := fake.NewClientset(other)
	deleted := false
	c.PrependReactor("delete", "jobs", func(k8stesting.Action) (bool, runtime.Object, error) {
		deleted = true
		return false, nil, nil
	})
	s := &Session{Remote: session.Remote{Client: c}, StartTimeout: time.Second}
	if err := s.Run(context.Background(), testJob(), "web"); err == nil {
		t.Fatal("Run succeeded over an existing Job")
	}
	if deleted {
		t.Error("the session deleted a Job it did not create")
	}
}

// A start failure names --set-image when that flag chose the image.
func TestStartErrorNamesSetImage(t *testing.T) {
	noShell := &podwatch.StartError{Mode: mode.Clone, Reason: "StartError", Message: `exec: "sh": executable file not found in $PATH`}
	pull := &podwatch.StartError{Mode: mode.Clone, Reason: "ErrImagePull", Message: "not found"}
	tests := []struct {
		image string
		err   error
		want  []string
	}{
		{"", noShell, []string{`the image of container "web" has no shell (sh)`, "--mode debug"}},
		{"distroless:1", noShell, []string{"the image distroless:1 given with --set-image has no shell (sh)", "pick an image with sh"}},
		{"missing:1", pull, []string{"ErrImagePull", "the image missing:1 was given with --set-image"}},
		{"", pull, []string{"ErrImagePull"}},
	}
	for _, tt := range tests {
		got := (&Session{Image: tt.image}).startError(tt.err, "web")
		if !containsAll(got.Error(), tt.want) {
			t.Errorf("image %q: %v, want %q", tt.image, got, tt.want)
		}
		if tt.image == "" && strings.Contains(got.Error(), "given with --set-image") {
			t.Errorf("no --set-image, but the error names it: %v", got)
		}
	}
}

// What the clone needs beside its Job (the env Secret, the NetworkPolicy
// copies) is made while the Job is suspended, so its pod cannot start
// without it, and the Job is resumed only after.
func TestRunPreparesWhileTheJobIsSuspended(t *testing.T) {
	c := fake.NewClientset()
	var order []string
	c.PrependReactor("*", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		switch a := a.(type) {
		case k8stesting.CreateAction:
			job := a.GetObject().(*batchv1.Job)
			order = append(order, fmt.Sprintf("create job suspended=%v", job.Spec.Suspend != nil && *job.Spec.Suspend))
		case k8stesting.PatchAction:
			order = append(order, "patch job "+string(a.GetPatch()))
		case k8stesting.DeleteAction:
			order = append(order, "delete job")
		}
		return false, nil, nil
	})
	s := &Session{Remote: session.Remote{Client: c}, StartTimeout: time.Second,
		Prepare: func(_ context.Context, job *batchv1.Job) error {
			order = append(order, "prepare "+job.Name)
			return nil
		}}
	// The fake runs no pod: the session ends waiting for it.
	if err := s.Run(context.Background(), testJob(), "web"); err == nil {
		t.Fatal("Run succeeded without a pod")
	}
	want := []string{"create job suspended=true", "prepare web-eshell-x7k2p", `patch job {"spec":{"suspend":false}}`, "delete job"}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("order %q, want %q", order, want)
	}

	// A failed preparation never resumes the Job, and removes it.
	order = nil
	s.Prepare = func(context.Context, *batchv1.Job) error {
		return errors.New("creating the Secret of --set-env: forbidden")
	}
	if err := s.Run(context.Background(), testJob(), "web"); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("Run = %v", err)
	}
	if want := []string{"create job suspended=true", "delete job"}; strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("order %q, want %q", order, want)
	}
}
