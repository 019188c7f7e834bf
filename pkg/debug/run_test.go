package debug

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

func runningPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", ResourceVersion: "7"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "python:3.13"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
}

func debugContainer(t *testing.T, pod *corev1.Pod, name, profile string) *corev1.EphemeralContainer {
	t.Helper()
	ec, _, err := GenerateEphemeralContainer(pod, ContainerOptions{
		Name: name, Image: "busybox:1.37", Target: "web", Command: []string{"sh"}, Stdin: true,
		Profile: profile, User: "alice",
	})
	if err != nil {
		t.Fatal(err)
	}
	return ec
}

func withStatus(pod *corev1.Pod, name string, state corev1.ContainerState) {
	pod.Status.EphemeralContainerStatuses = append(pod.Status.EphemeralContainerStatuses, corev1.ContainerStatus{Name: name, State: state})
}

var running = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}

func TestFindReusable(t *testing.T) {
	pod := runningPod()
	mine := debugContainer(t, pod, "eshell-aaaaa", ProfileGeneral)
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, *mine)
	withStatus(pod, "eshell-aaaaa", running)

	if ec := FindReusable(pod, "alice", "busybox:1.37", "web"); ec == nil || ec.Name != "eshell-aaaaa" {
		t.Fatalf("FindReusable = %v, want eshell-aaaaa", ec)
	}
	for _, c := range []struct{ what, user, image, target string }{
		{"another user's", "bob", "busybox:1.37", "web"},
		{"another image", "alice", "alpine:3", "web"},
		{"another target", "alice", "busybox:1.37", "sidecar"},
	} {
		if ec := FindReusable(pod, c.user, c.image, c.target); ec != nil {
			t.Errorf("%s: reused %s", c.what, ec.Name)
		}
	}

	ended := runningPod()
	ended.Spec.EphemeralContainers = append(ended.Spec.EphemeralContainers, *mine)
	withStatus(ended, "eshell-aaaaa", corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}})
	if ec := FindReusable(ended, "alice", "busybox:1.37", "web"); ec != nil {
		t.Errorf("reused the terminated container %s", ec.Name)
	}

	foreign := runningPod()
	other := *mine
	other.Name = "debugger-x"
	foreign.Spec.EphemeralContainers = append(foreign.Spec.EphemeralContainers, other)
	withStatus(foreign, "debugger-x", running)
	if ec := FindReusable(foreign, "alice", "busybox:1.37", "web"); ec != nil {
		t.Errorf("reused %s, which eshell did not add", ec.Name)
	}
}

func TestCheckPodSecurity(t *testing.T) {
	pod := runningPod()
	restricted := map[string]string{podSecurityEnforceLabel: "restricted"}
	err := CheckPodSecurity(pod, debugContainer(t, pod, "eshell-a", ProfileSysadmin), ProfileSysadmin, restricted)
	var pse *PodSecurityError
	if !errors.As(err, &pse) {
		t.Fatalf("sysadmin in a restricted namespace: err = %v, want a *PodSecurityError", err)
	}
	for _, want := range []string{`Pod Security "restricted"`, "(privileged, ", "--profile restricted", "would refuse it", `namespace "shop"`, `privileged,`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %s", want, err)
		}
	}
	if err := CheckPodSecurity(pod, debugContainer(t, pod, "eshell-a", ProfileRestricted), ProfileRestricted, restricted); err != nil {
		t.Errorf("restricted profile in a restricted namespace: %v", err)
	}
	if err := CheckPodSecurity(pod, debugContainer(t, pod, "eshell-a", ProfileSysadmin), ProfileSysadmin, nil); err != nil {
		t.Errorf("no enforce label: %v", err)
	}
}

// The patch must append: what other debuggers added meanwhile stays.
func TestAddMergesByName(t *testing.T) {
	pod := runningPod()
	existing := debugContainer(t, pod, "eshell-other", ProfileGeneral)
	stored := pod.DeepCopy()
	stored.Spec.EphemeralContainers = []corev1.EphemeralContainer{*existing}
	client := fake.NewClientset(stored)
	s := &Session{Remote: session.Remote{Client: client}}

	// pod is the caller's stale copy, without eshell-other.
	added, _, err := s.Add(context.Background(), pod, ProfileGeneral, func(p string) (*corev1.EphemeralContainer, []string, error) {
		return debugContainer(t, pod, "eshell-mine", p), nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := added.Pod
	byName := map[string]corev1.EphemeralContainer{}
	for _, ec := range got.Spec.EphemeralContainers {
		byName[ec.Name] = ec
	}
	if _, ok := byName["eshell-other"]; !ok || len(byName) != 2 {
		t.Fatalf("ephemeral containers after the patch: %v, want eshell-other and eshell-mine", byName)
	}
	for _, a := range client.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			if p.GetSubresource() != "ephemeralcontainers" || p.GetPatchType() != "application/strategic-merge-patch+json" {
				t.Errorf("patch of %q as %s, want a strategic merge patch of ephemeralcontainers", p.GetSubresource(), p.GetPatchType())
			}
		}
	}
	if ec := byName["eshell-mine"]; ec.TargetContainerName != "web" || debugUser(&ec) != "alice" {
		t.Errorf("the added container lost fields: target %q, user %q", ec.TargetContainerName, debugUser(&ec))
	}
}

func TestAddErrors(t *testing.T) {
	gr := schema.GroupResource{Resource: "pods"}
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"rbac", apierrors.NewForbidden(gr, "web-1", errors.New(`User "dev" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "shop"`)),
			[]string{"patch pods/ephemeralcontainers", "deploy/rbac"}},
		{"pod security", apierrors.NewForbidden(gr, "web-1", errors.New(`violates PodSecurity "restricted:latest": privileged`)),
			[]string{"Pod Security admission", "with --profile general", "--profile baseline is admitted", "violates PodSecurity"}},
		{"no subresource", apierrors.NewNotFound(schema.GroupResource{}, ""),
			[]string{"does not support ephemeral containers", "1.25"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := fake.NewClientset(runningPod())
			// The real patch fails; of the dry runs for advice only baseline's is admitted.
			client.PrependReactor("patch", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if len(a.(k8stesting.PatchActionImpl).GetPatchOptions().DryRun) > 0 && !strings.Contains(string(a.(k8stesting.PatchAction).GetPatch()), "SYS_PTRACE") {
					return true, runningPod(), nil
				}
				return true, nil, c.err
			})
			s := &Session{Remote: session.Remote{Client: client}}
			_, _, err := s.Add(context.Background(), runningPod(), ProfileGeneral, building(t))
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
		})
	}
	t.Run("pod gone", func(t *testing.T) {
		client := fake.NewClientset()
		s := &Session{Remote: session.Remote{Client: client}}
		_, _, err := s.Add(context.Background(), runningPod(), ProfileGeneral, building(t))
		if err == nil || !strings.Contains(err.Error(), "is gone") {
			t.Errorf("error %v, want that the pod is gone", err)
		}
	})
}

func watching(pods ...*corev1.Pod) (*fake.Clientset, *watch.FakeWatcher) {
	client := fake.NewClientset()
	w := watch.NewFakeWithChanSize(len(pods), false)
	for _, p := range pods {
		w.Modify(p)
	}
	client.PrependWatchReactor("pods", k8stesting.DefaultWatchReactor(w, nil))
	return client, w
}

func TestWaitRunningFailsFast(t *testing.T) {
	creating, pulling := runningPod(), runningPod()
	withStatus(creating, "eshell-a", corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}})
	withStatus(pulling, "eshell-a", corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "not found"}})
	client, _ := watching(creating, pulling)
	var progress strings.Builder
	s := &Session{Remote: session.Remote{Client: client}, StartTimeout: time.Minute, Progress: &progress}
	start := time.Now()
	_, err := s.WaitRunning(context.Background(), runningPod(), "eshell-a")
	var se *podwatch.StartError
	if !errors.As(err, &se) || se.Reason != "ErrImagePull" || !strings.Contains(err.Error(), "--image") {
		t.Fatalf("err = %v, want a StartError ErrImagePull naming --image", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s: it should fail on the first ErrImagePull", time.Since(start))
	}
	for _, want := range []string{"Waiting for debug container eshell-a to start...", "ContainerCreating"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
}

func TestWaitRunning(t *testing.T) {
	up := runningPod()
	withStatus(up, "eshell-a", running)
	client, _ := watching(up)
	s := &Session{Remote: session.Remote{Client: client}, StartTimeout: time.Minute}
	if _, err := s.WaitRunning(context.Background(), runningPod(), "eshell-a"); err != nil {
		t.Fatal(err)
	}

	exited := runningPod()
	withStatus(exited, "eshell-a", corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: 128, Reason: "StartError", Message: `exec: "sh": executable file not found in $PATH`}})
	client, _ = watching(exited)
	s = &Session{Remote: session.Remote{Client: client}, StartTimeout: time.Minute}
	_, err := s.WaitRunning(context.Background(), runningPod(), "eshell-a")
	if err == nil || !strings.Contains(err.Error(), "StartError") || !strings.Contains(err.Error(), "needs a shell") {
		t.Errorf("err = %v, want StartError with the no-shell hint", err)
	}

	client, _ = watching()
	s = &Session{Remote: session.Remote{Client: client}, StartTimeout: 200 * time.Millisecond}
	_, err = s.WaitRunning(context.Background(), runningPod(), "eshell-a")
	if err == nil || !strings.Contains(err.Error(), "--pod-running-timeout") {
		t.Errorf("err = %v, want a timeout naming --pod-running-timeout", err)
	}
}

func TestPatchBodyNamesEshell(t *testing.T) {
	b, err := PatchBody(debugContainer(t, runningPod(), "eshell-a", ProfileGeneral))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`{"spec":{"ephemeralContainers":[{"name":"eshell-a"`, `"targetContainerName":"web"`, keys.DebugUserEnv} {
		if !strings.Contains(string(b), want) {
			t.Errorf("patch %s lacks %s", b, want)
		}
	}
}
