package clone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

func testJob() *batchv1.Job {
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-x7k2p", Namespace: "shop",
		Labels: map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: "x7k2p"}}}
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
		image, tools string
		err          error
		want         []string
	}{
		{"", "", noShell, []string{`the image of container "web" has no shell (sh)`, "pass --static-shell", "--mode debug"}},
		{"distroless:1", "", noShell, []string{"the image distroless:1 given with --set-image has no shell (sh)", "pass --static-shell", "pick an image with sh"}},
		{"", "alpine:3", noShell, []string{"the static shell copied from alpine:3 did not start", "executable file not found", "debugImage", "static busybox"}},
		{"", "nosuch:1", &podwatch.StartError{Mode: mode.Clone, Container: ToolsContainer, Reason: "ErrImagePull", Message: "not found"}, []string{"copying a static shell out of nosuch:1 into the clone failed", "ErrImagePull", "debugImage"}},
		{"missing:1", "", pull, []string{"ErrImagePull", "the image missing:1 was given with --set-image"}},
		{"", "", pull, []string{"ErrImagePull"}},
	}
	for _, tt := range tests {
		got := (&Session{Image: tt.image, Tools: tt.tools}).startError(tt.err, "web")
		if !containsAll(got.Error(), tt.want) {
			t.Errorf("image %q: %v, want %q", tt.image, got, tt.want)
		}
		if tt.image == "" && strings.Contains(got.Error(), "given with --set-image") {
			t.Errorf("no --set-image, but the error names it: %v", got)
		}
	}
}

// What the clone needs beside its Job (the env Secret, the NetworkPolicy
// copies) is made while the Job's pod waits at a scheduling gate, and only
// the pod the Job controls is released: one that merely carries the
// session's label is not the clone. The Job starts with the short start
// deadline, not the session's.
func TestRunPreparesWhileThePodIsGated(t *testing.T) {
	run := func(prepare func(context.Context, *batchv1.Job) error) ([]string, error) {
		c := fake.NewClientset()
		var mu sync.Mutex
		var order []string
		note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
		pod := func(name string, owner *batchv1.Job) *corev1.Pod {
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: testJob().Labels}}
			if owner != nil {
				p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, batchv1.SchemeGroupVersion.WithKind("Job"))}
				p.Spec.SchedulingGates = owner.Spec.Template.Spec.SchedulingGates
			}
			return p
		}
		c.PrependReactor("*", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
			switch a := a.(type) {
			case k8stesting.CreateAction:
				job := a.GetObject().(*batchv1.Job)
				job.UID = "job-uid"
				note(fmt.Sprintf("create job deadline=%d gates=%v", *job.Spec.ActiveDeadlineSeconds, job.Spec.Template.Spec.SchedulingGates))
				// A decoy with the session's label, then the Job's own pod.
				for _, p := range []*corev1.Pod{pod("decoy", nil), pod("web-eshell-x7k2p-abcde", job)} {
					if err := c.Tracker().Create(corev1.SchemeGroupVersion.WithResource("pods"), p, "shop"); err != nil {
						t.Error(err)
					}
				}
			case k8stesting.DeleteAction:
				note("delete job")
			}
			return false, nil, nil
		})
		c.PrependReactor("*", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
			switch a := a.(type) {
			case k8stesting.PatchAction:
				note("patch pod " + a.GetName() + " " + string(a.GetPatch()))
			case k8stesting.DeleteAction:
				note("delete pod " + a.GetName())
			}
			return false, nil, nil
		})
		s := &Session{Remote: session.Remote{Client: c}, StartTimeout: time.Second,
			Prepare: func(ctx context.Context, job *batchv1.Job) error {
				note("prepare " + job.Name)
				return prepare(ctx, job)
			}}
		j := testJob()
		j.Spec.ActiveDeadlineSeconds = new(int64(7200))
		err := s.Run(context.Background(), j, "web")
		mu.Lock()
		defer mu.Unlock()
		return order, err
	}
	// The fake runs no pod: the session ends waiting for it to run.
	order, err := run(func(context.Context, *batchv1.Job) error { return nil })
	if err == nil {
		t.Fatal("Run succeeded without a running pod")
	}
	want := []string{"create job deadline=30 gates=[{eshell.kubectl.io/prepare}]", "prepare web-eshell-x7k2p",
		`patch pod web-eshell-x7k2p-abcde {"spec":{"schedulingGates":null}}`, "delete job"} // the pod goes with its Job
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("order %q, want %q", order, want)
	}

	// A failed preparation never releases the pod, and removes the Job.
	order, err = run(func(context.Context, *batchv1.Job) error {
		return errors.New("creating the Secret of --set-env: forbidden")
	})
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("Run = %v", err)
	}
	if want := []string{"create job deadline=30 gates=[{eshell.kubectl.io/prepare}]", "prepare web-eshell-x7k2p", "delete job"}; strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("order %q, want %q", order, want)
	}
}

// A removal that meets an API server restarting is retried until it
// passes; one the server refuses is reported at once, for the warning
// that names what the cluster removes by itself.
func TestRemoveRetriesThroughAnOutage(t *testing.T) {
	c := fake.NewClientset(testJob())
	calls := 0
	c.PrependReactor("delete", "jobs", func(k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		if calls <= 2 {
			return true, nil, errors.New(`Delete "https://127.0.0.1:16443/apis/batch/v1/namespaces/shop/jobs/web-eshell-x7k2p": dial tcp 127.0.0.1:16443: connect: connection refused`)
		}
		return false, nil, nil
	})
	var progress strings.Builder
	s := &Session{Remote: session.Remote{Client: c}, Progress: &progress, Heartbeat: 20 * time.Second}
	if err := s.remove("shop", "web-eshell-x7k2p"); err != nil {
		t.Fatalf("remove = %v", err)
	}
	if calls != 3 || strings.Count(progress.String(), "retrying") != 1 || !strings.Contains(progress.String(), "Removed clone job") {
		t.Errorf("%d delete calls, progress:\n%s", calls, progress.String())
	}

	c = fake.NewClientset(testJob())
	c.PrependReactor("delete", "jobs", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "batch", Resource: "jobs"}, "web-eshell-x7k2p", errors.New("no"))
	})
	s.Remote.Client = c
	err := s.remove("shop", "web-eshell-x7k2p")
	if !apierrors.IsForbidden(err) {
		t.Fatalf("remove = %v, want the refusal", err)
	}
	if w := s.leftBehind("shop", "web-eshell-x7k2p", err); !containsAll(w, []string{"the cluster removes it by itself", "within 20s", "10s after", "kubectl delete job web-eshell-x7k2p -n shop"}) {
		t.Errorf("warning = %q", w)
	}
}

// A kubelet reason or pod name carries whatever the cluster says; the
// progress lines and the spinner print it escaped, and only the spinner's
// own redraw sequence reaches the terminal.
func TestProgressEscapesClusterText(t *testing.T) {
	const planted = "Pulling\x1b]52;c;aGk=\x07\nerror: fake\u009b"
	var progress strings.Builder
	s := &Session{Progress: &progress}
	s.say("Waiting for %s: %s", "web-x", planted)
	s.warn("%s", planted)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		s.spin(func() string { return "web-x" }, func() string { return planted }, stop)
		close(done)
	}()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	<-done
	out := strings.ReplaceAll(progress.String(), "\r\x1b[K", "")
	if strings.ContainsAny(out, "\x1b\x07\u009b") || strings.Contains(out, "\nerror: fake") {
		t.Errorf("a control character or a forged line reached the terminal: %q", progress.String())
	}
	if !strings.Contains(out, `Starting web-x: Pulling^[]52;c;aGk=\x07\nerror: fake\u009b`) {
		t.Errorf("the spinner does not show the escaped state: %q", progress.String())
	}
	if strings.Count(out, "\n") != 2 {
		t.Errorf("want two progress lines, got %q", out)
	}
}
