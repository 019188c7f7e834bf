package podwatch

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/mode"
)

func pod(state *corev1.ContainerState, ephemeral bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", ResourceVersion: "1"}}
	if state != nil {
		st := corev1.ContainerStatus{Name: "c", State: *state}
		if ephemeral {
			p.Status.EphemeralContainerStatuses = []corev1.ContainerStatus{st}
		} else {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{st}
		}
	}
	return p
}

func waiting(reason string) *corev1.ContainerState {
	return &corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "m"}}
}

var running = &corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}

// watching serves each list of events on one watch; when the lists run
// out, further watches stay open and silent.
func watching(t *testing.T, objs []runtime.Object, watches ...[]watch.Event) *fake.Clientset {
	t.Helper()
	c := fake.NewClientset(objs...)
	n := 0
	c.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		w := watch.NewFakeWithChanSize(10, false)
		if n < len(watches) {
			for _, ev := range watches[n] {
				w.Action(ev.Type, ev.Object)
			}
			w.Stop() // the server ends this watch
		}
		n++
		return true, w, nil
	})
	return c
}

func TestForContainerFailsFastWithTheModesHint(t *testing.T) {
	for _, tt := range []struct {
		mode mode.Mode
		want string
	}{
		{mode.Debug, "--image"},
		{mode.Clone, "pull secrets of the workload"},
	} {
		c := watching(t, nil, []watch.Event{
			{Type: watch.Modified, Object: pod(waiting("ContainerCreating"), tt.mode == mode.Debug)},
			{Type: watch.Modified, Object: pod(waiting("ErrImageNeverPull"), tt.mode == mode.Debug)},
		})
		var seen []string
		w := Wait{Client: c, Mode: tt.mode, Timeout: time.Minute, OnWaiting: func(r string) { seen = append(seen, r) }}
		_, err := w.ForContainer(context.Background(), pod(nil, false), "c")
		var se *StartError
		if !errors.As(err, &se) || se.Reason != "ErrImageNeverPull" || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want a StartError ErrImageNeverPull with %q", tt.mode, err, tt.want)
		}
		if len(seen) != 1 || seen[0] != "ContainerCreating" {
			t.Errorf("%s: waiting states told %q", tt.mode, seen)
		}
	}
}

func TestForContainerResumesAnExpiredWatch(t *testing.T) {
	up := pod(running, false)
	up.ResourceVersion = "7"
	expired := &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusGone, Reason: metav1.StatusReasonExpired}
	c := watching(t, []runtime.Object{up}, []watch.Event{{Type: watch.Error, Object: expired}})
	got, err := Wait{Client: c, Mode: mode.Clone, Timeout: 5 * time.Second}.ForContainer(context.Background(), pod(waiting("ContainerCreating"), false), "c")
	if err != nil || got.ResourceVersion != "7" {
		t.Fatalf("got %v, %v; want the pod read afresh after the watch expired", got, err)
	}
}

func TestForContainerFailures(t *testing.T) {
	exited := pod(&corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: 128, Reason: "StartError", Message: `exec: "sh": executable file not found in $PATH`}}, true)
	c := watching(t, nil, []watch.Event{{Type: watch.Modified, Object: exited}})
	_, err := Wait{Client: c, Mode: mode.Debug, Timeout: time.Minute}.ForContainer(context.Background(), pod(nil, true), "c")
	var se *StartError
	if !errors.As(err, &se) || !se.MissingProgram() || !strings.Contains(err.Error(), "needs a shell") {
		t.Errorf("err = %v, want StartError with the no-shell hint", err)
	}

	c = watching(t, nil, []watch.Event{{Type: watch.Deleted, Object: pod(nil, false)}})
	_, err = Wait{Client: c, Mode: mode.Clone, Timeout: time.Minute}.ForContainer(context.Background(), pod(nil, false), "c")
	if !errors.As(err, &se) || se.Reason != "Deleted" || !strings.HasSuffix(err.Error(), "(the pod was removed)") {
		t.Errorf("err = %v, want a Deleted StartError", err)
	}

	c = watching(t, nil)
	_, err = Wait{Client: c, Mode: mode.Debug, Timeout: 200 * time.Millisecond}.ForContainer(context.Background(), pod(nil, true), "c")
	if !errors.As(err, &se) || se.Reason != "Timeout" || !strings.Contains(err.Error(), "--pod-running-timeout") {
		t.Errorf("err = %v, want a timeout naming --pod-running-timeout", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Wait{Client: c, Mode: mode.Debug, Timeout: time.Minute}.ForContainer(ctx, pod(nil, true), "c")
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("err = %v, want an interruption", err)
	}
}

// A failed init container of Before ends the wait at once, named.
func TestForContainerBefore(t *testing.T) {
	for _, st := range []corev1.ContainerState{
		{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "not found"}},
		{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", Message: "no busybox"}},
	} {
		p := pod(nil, true)
		p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "copy", State: st}}
		c := watching(t, nil, []watch.Event{{Type: watch.Modified, Object: p}})
		_, err := Wait{Client: c, Mode: mode.Clone, Timeout: time.Minute, Before: []string{"copy"}}.ForContainer(context.Background(), pod(nil, true), "c")
		var se *StartError
		if !errors.As(err, &se) || se.Container != "copy" {
			t.Errorf("state %+v: err = %v, want a StartError of container copy", st, err)
		}
	}
	// One that succeeded is no failure.
	p := pod(nil, true)
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "copy", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}}}
	c := watching(t, nil, []watch.Event{{Type: watch.Modified, Object: p}})
	_, err := Wait{Client: c, Mode: mode.Clone, Timeout: 300 * time.Millisecond, Before: []string{"copy"}}.ForContainer(context.Background(), pod(nil, true), "c")
	var se *StartError
	if errors.As(err, &se) && se.Container == "copy" {
		t.Errorf("a completed copy: err = %v, want no failure of the copy", err)
	}
}

func unschedulablePod() *corev1.Pod {
	p := pod(nil, false)
	p.UID = "pod-uid"
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."}}
	return p
}

// An Unschedulable pod with no scale-up in sight fails after the grace, as
// without it; one that cluster-autoscaler is adding a node for waits, says
// so with the scheduler's words, and runs once the node took it.
func TestForContainerWaitsForAScaleUp(t *testing.T) {
	stuck := unschedulablePod()
	c := watching(t, []runtime.Object{stuck})
	began := time.Now()
	_, err := Wait{Client: c, Mode: mode.Clone, Timeout: time.Minute, ScaleUpGrace: 2 * time.Second}.ForContainer(context.Background(), stuck, "c")
	var se *StartError
	if !errors.As(err, &se) || se.Reason != corev1.PodReasonUnschedulable || !strings.Contains(se.Message, "node affinity") {
		t.Fatalf("ForContainer = %v, want Unschedulable with the scheduler's message", err)
	}
	if took := time.Since(began); took < 2*time.Second || took > 5*time.Second {
		t.Errorf("failed after %s, want after the 2s grace", took)
	}

	scaled := pod(running, false)
	scaled.UID, scaled.ResourceVersion, scaled.Spec.NodeName = "pod-uid", "2", "new-node"
	event := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "web-1.scaleup", Namespace: "shop"}, Reason: "TriggeredScaleUp",
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-1", Namespace: "shop", UID: "pod-uid"},
		Source:         corev1.EventSource{Component: "cluster-autoscaler"}, Message: "pod triggered scale-up: [{pool 1->2 (max: 3)}]"}
	// The first watch ends at once (the pod is Unschedulable); the second
	// sees it still so, then running on the new node.
	c = watching(t, []runtime.Object{stuck, event}, nil, []watch.Event{{Type: watch.Modified, Object: stuck}, {Type: watch.Modified, Object: scaled}})
	var states []string
	p, err := Wait{Client: c, Mode: mode.Clone, Timeout: time.Minute, ScaleUpGrace: 2 * time.Second,
		OnWaiting: func(s string) { states = append(states, s) }}.ForContainer(context.Background(), stuck, "c")
	if err != nil || p.Spec.NodeName != "new-node" {
		t.Fatalf("ForContainer = %v, %v; want the pod running on the added node", p, err)
	}
	if len(states) != 1 || !strings.Contains(states[0], "waiting for one the autoscaler adds") || !strings.Contains(states[0], "node affinity") {
		t.Errorf("states = %q, want one that says a node is being added, with the scheduler's words", states)
	}
}

// ForControlled finds, in one watch, the pod its owner controls (a decoy
// with the same labels is not taken), tells found once, and follows that
// pod until its container runs, resuming from its version when the watch
// ends; with no pod of the owner's, it fails with ErrNoPod.
func TestForControlled(t *testing.T) {
	owned := func(name, uid string, state *corev1.ContainerState) *corev1.Pod {
		p := pod(state, false)
		p.Name, p.UID = name, types.UID(name+"-uid")
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "Job", Name: "j", UID: types.UID(uid), Controller: new(true)}}
		return p
	}
	mine := owned("clone", "job-uid", waiting("ContainerCreating"))
	c := watching(t, nil, []watch.Event{
		{Type: watch.Added, Object: owned("decoy", "other-uid", running)},
		{Type: watch.Added, Object: mine},
	}, []watch.Event{{Type: watch.Modified, Object: owned("clone", "job-uid", running)}})
	var found []string
	got, err := Wait{Client: c, Mode: mode.Clone, Timeout: 5 * time.Second}.ForControlled(context.Background(), "shop", "s=x", "job-uid", "c",
		func(_ context.Context, p *corev1.Pod) (*corev1.Pod, error) {
			found = append(found, p.Name)
			return p, nil
		})
	if err != nil || got.Name != "clone" || Status(got, "c").State.Running == nil || strings.Join(found, ",") != "clone" {
		t.Errorf("ForControlled = %v, %v; found %v", got, err, found)
	}

	c = watching(t, nil, []watch.Event{{Type: watch.Added, Object: owned("decoy", "other-uid", running)}})
	_, err = Wait{Client: c, Mode: mode.Clone, Timeout: 200 * time.Millisecond}.ForControlled(context.Background(), "shop", "s=x", "job-uid", "c",
		func(_ context.Context, p *corev1.Pod) (*corev1.Pod, error) { return p, nil })
	if !errors.Is(err, ErrNoPod) {
		t.Errorf("no pod of the owner's: %v, want ErrNoPod", err)
	}
}
