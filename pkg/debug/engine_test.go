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
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/plan/plantest"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/session/sessiontest"
)

// engineRun is one debug session driven to the end against a fake API
// server, whose kubelet starts the added container at once (unless
// told not to), and a fake executor.
type engineRun struct {
	// refuse, when set, is the API server's answer to adding the container.
	refuse error
	// noStart leaves the added container without a status.
	noStart bool
	// lifeline and shell are the remote programs of the attach and the exec.
	lifeline, shell sessiontest.Program
	// onPatch runs when the container is added.
	onPatch func()

	out    string
	ended  []error
	stored *corev1.Pod
	f      *sessiontest.Streamer
}

const engineContainer = "eshell-abcde"

func (r *engineRun) run(ctx context.Context, t *testing.T) error {
	t.Helper()
	// The fake keeps its resource versions apart from the objects': the
	// engine's watch from the pod's version (none) sees every later one.
	pod := runningPod()
	pod.ResourceVersion = ""
	c := fake.NewClientset(pod)
	c.PrependReactor("patch", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pa := a.(k8stesting.PatchActionImpl)
		if r.refuse != nil {
			return true, nil, r.refuse
		}
		if len(pa.GetPatchOptions().DryRun) > 0 {
			return true, runningPod(), nil
		}
		_, obj, err := k8stesting.ObjectReaction(c.Tracker())(a)
		if r.onPatch != nil {
			r.onPatch()
		}
		if err != nil || r.noStart {
			return true, obj, err
		}
		// The kubelet starts the container: a later version of the pod,
		// which the engine's watch from the patched version sees.
		started := obj.(*corev1.Pod).DeepCopy()
		withStatus(started, engineContainer, running)
		return true, obj, c.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), started, "shop")
	})
	r.f = &sessiontest.Streamer{Program: func(req session.StreamRequest) sessiontest.Program {
		switch {
		case req.Pod != "web-1" || req.Container != engineContainer:
			return nil
		case req.Attach:
			return r.lifeline
		}
		return r.shell
	}}
	if r.lifeline == nil {
		r.lifeline = sessiontest.Lifeline
	}
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	rec := &plantest.Recorder{}
	p := plan.Plan{Mode: mode.Debug, Pod: pod, Container: "web", Image: "busybox:1.37", SessionID: "abcde",
		Command: []string{"sh", "-c", "id"}, Debug: plan.DebugSettings{Profile: ProfileGeneral},
		Timeouts: plan.Timeouts{PodRunningTimeout: 10 * time.Second, MaxDuration: time.Hour}}
	d := plan.Deps{IO: streams, Remote: session.Remote{Client: c, Streamer: r.f},
		Whoami: plantest.User("alice"), Recorder: rec}
	err := Run(ctx, p, d)
	r.ended = rec.Ended()
	r.f.Ended(t)
	r.out = out.String()
	r.stored, _ = c.CoreV1().Pods("shop").Get(context.Background(), "web-1", metav1.GetOptions{})
	return err
}

// A debug session adds the container, holds its lifeline, execs the
// command beside it, keeps its exit code and releases the lifeline.
func TestEngineRunsToTheEnd(t *testing.T) {
	for _, code := range []int{0, 7} {
		r := &engineRun{shell: sessiontest.Print("uid=0\n", code)}
		err := r.run(context.Background(), t)
		if !sessiontest.Exited(err, code) {
			t.Errorf("exit %d: Run = %v", code, err)
		}
		reqs := r.f.Requests()
		if r.out != "uid=0\n" || len(reqs) != 2 || !reqs[0].Attach || strings.Join(reqs[1].Command, " ") != "sh -c id" {
			t.Errorf("exit %d: stdout %q, requests %+v", code, r.out, reqs)
		}
		if len(r.stored.Spec.EphemeralContainers) != 1 || r.stored.Spec.EphemeralContainers[0].Name != engineContainer {
			t.Errorf("exit %d: ephemeral containers %v", code, r.stored.Spec.EphemeralContainers)
		}
		if len(r.ended) != 1 || r.ended[0] != err {
			t.Errorf("exit %d: audit ends %v", code, r.ended)
		}
	}
}

// A container admission refuses adds nothing, streams nothing, and the
// error says what to do.
func TestEngineAdmissionRefusal(t *testing.T) {
	for _, refusal := range []error{
		apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "web-1", errors.New(`violates PodSecurity "restricted:latest": privileged`)),
		apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, "web-1", nil),
	} {
		r := &engineRun{refuse: refusal, shell: sessiontest.Print("", 0)}
		err := r.run(context.Background(), t)
		if err == nil || !strings.Contains(err.Error(), "nothing was added") || !strings.Contains(err.Error(), "no profile eshell offers is admitted here") {
			t.Errorf("Run = %v, want the refusal and what to do", err)
		}
		if len(r.f.Requests()) != 0 || len(r.stored.Spec.EphemeralContainers) != 0 {
			t.Errorf("after a refusal: requests %+v, containers %v", r.f.Requests(), r.stored.Spec.EphemeralContainers)
		}
	}
}

// A lost shell stream is a *session.LostError (exit 255) that says the
// container ends on the server; the lifeline is released.
func TestEngineLostStream(t *testing.T) {
	r := &engineRun{shell: sessiontest.Lost("uid=")}
	err := r.run(context.Background(), t)
	var lost *session.LostError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), "lost the connection to the shell in debug container "+engineContainer+" of pod web-1") ||
		!strings.Contains(err.Error(), "the debug container ends on the server within") || !strings.HasSuffix(err.Error(), "exit code 255") {
		t.Errorf("Run = %v", err)
	}
	if r.out != "uid=" {
		t.Errorf("stdout %q", r.out)
	}
}

// An interrupt at each step ends the session at once, says so, and leaves
// no lifeline held (the ephemeral container, which cannot be removed,
// then ends by its lifeline).
func TestEngineInterruptedAtEachStep(t *testing.T) {
	for _, step := range []string{"add", "start", "attach", "exec"} {
		t.Run(step, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			blockAt := func(at string) sessiontest.Program {
				return func(ctx context.Context, req session.StreamRequest, pio sessiontest.IO) error {
					if step != at {
						if at == "attach" {
							return sessiontest.Lifeline(ctx, req, pio)
						}
						return sessiontest.Print("", 0)(ctx, req, pio)
					}
					cancel()
					return sessiontest.Block(ctx, req, pio)
				}
			}
			// Cancelled as the container is added, or while it starts: the
			// kubelet does not start it, so only the interrupt ends the wait.
			r := &engineRun{lifeline: blockAt("attach"), shell: blockAt("exec"), noStart: step == "add" || step == "start"}
			switch step {
			case "add":
				r.onPatch = cancel
			case "start":
				r.onPatch = func() { time.AfterFunc(50*time.Millisecond, cancel) }
			}
			err := r.run(ctx, t)
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") {
				t.Errorf("Run = %v, want the interrupt", err)
			}
		})
	}
}
