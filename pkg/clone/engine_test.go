package clone

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
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
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// cloneRun is one clone session driven to the end against a fake API
// server that plays the Job controller (it creates the Job's pod), the
// kubelet (it runs it) and the garbage collector (a deleted Job takes its
// pods), and a fake executor.
type cloneRun struct {
	// refuse answers the pod's server-side dry run ("dry run") or the
	// Job's create ("create").
	refuse     error
	refuseStep string
	// noStart leaves the pod Pending.
	noStart bool
	// onStep runs at "dry run", "create" and "pod" (the pod is created).
	onStep func(step string)
	// lifeline and shell are the remote programs of the attach and the exec.
	lifeline, shell sessiontest.Program

	out     string
	left    []string // the Jobs and pods left after the session
	f       *sessiontest.Streamer
	audited []string // the pods the audit Events named
	api     []string // the API requests, "verb resource" (a dry run: "dry-run pods")
}

const cloneJob = "web-eshell-abcde"

func (r *cloneRun) step(name string) {
	if r.onStep != nil {
		r.onStep(name)
	}
}

func (r *cloneRun) run(ctx context.Context, t *testing.T) error {
	t.Helper()
	c := fake.NewClientset()
	podsGVR := corev1.SchemeGroupVersion.WithResource("pods")
	c.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca := a.(k8stesting.CreateActionImpl)
		if len(ca.GetCreateOptions().DryRun) == 0 {
			return false, nil, nil
		}
		r.step("dry run")
		if r.refuseStep == "dry run" {
			return true, nil, r.refuse
		}
		return true, ca.GetObject(), nil // judged, not stored
	})
	c.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		job := a.(k8stesting.CreateAction).GetObject().(*batchv1.Job).DeepCopy()
		r.step("create")
		if r.refuseStep == "create" {
			return true, nil, r.refuse
		}
		job.UID = "job-uid"
		if err := c.Tracker().Create(batchv1.SchemeGroupVersion.WithResource("jobs"), job, job.Namespace); err != nil {
			return true, nil, err
		}
		// The Job controller's pod, and the kubelet running it.
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: cloneJob + "-x1y2z", Namespace: job.Namespace,
			Labels:          job.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(job, batchv1.SchemeGroupVersion.WithKind("Job"))}},
			Spec: job.Spec.Template.Spec}
		if !r.noStart {
			pod.Spec.NodeName = "node-1"
			pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
				{Name: "web", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
		}
		if err := c.Tracker().Create(podsGVR, pod, job.Namespace); err != nil {
			return true, nil, err
		}
		r.step("pod")
		return true, job, nil
	})
	c.PrependReactor("delete", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		// The garbage collector: the Job's pods go with it.
		pods, _ := c.Tracker().List(podsGVR, corev1.SchemeGroupVersion.WithKind("Pod"), "shop")
		for _, p := range pods.(*corev1.PodList).Items {
			if ref := metav1.GetControllerOf(&p); ref != nil && ref.Name == a.(k8stesting.DeleteAction).GetName() {
				_ = c.Tracker().Delete(podsGVR, "shop", p.Name)
			}
		}
		return false, nil, nil
	})
	if r.lifeline == nil {
		r.lifeline = sessiontest.Lifeline
	}
	r.f = &sessiontest.Streamer{Program: func(req session.StreamRequest) sessiontest.Program {
		switch {
		case req.Pod != cloneJob+"-x1y2z" || req.Container != "web":
			return nil
		case req.Attach:
			return r.lifeline
		}
		return r.shell
	}}
	template := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "python:3.13"}}}}
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	p := plan.Plan{Mode: mode.Clone, Container: "web", SessionID: "abcde", Command: []string{"sh", "-c", "id"},
		Workload: &target.Workload{Kind: target.KindDeployment, Name: "web", Namespace: "shop", Template: template},
		Timeouts: plan.Timeouts{PodRunningTimeout: 10 * time.Second, MaxDuration: time.Hour}}
	rec := &plantest.Recorder{}
	d := plan.Deps{IO: streams, Remote: session.Remote{Client: c, Streamer: r.f},
		Whoami: plantest.User("alice"), Recorder: rec}
	err := Run(ctx, p, d)
	for _, s := range rec.Started() {
		r.audited = append(r.audited, s.Pod)
	}
	for _, a := range c.Actions() {
		verb := a.GetVerb()
		if ca, ok := a.(k8stesting.CreateActionImpl); ok && len(ca.GetCreateOptions().DryRun) > 0 {
			verb = "dry-run"
		}
		r.api = append(r.api, verb+" "+a.GetResource().Resource)
	}
	r.f.Ended(t)
	r.out = out.String()
	jobs, _ := c.BatchV1().Jobs("shop").List(context.Background(), metav1.ListOptions{})
	for _, j := range jobs.Items {
		r.left = append(r.left, "job/"+j.Name)
	}
	pods, _ := c.CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{})
	for _, p := range pods.Items {
		r.left = append(r.left, "pod/"+p.Name)
	}
	return err
}

// A clone session creates the Job, waits for the pod the Job controller
// makes, holds its lifeline, execs the command beside it, keeps its exit
// code, and removes the Job and its pod.
func TestEngineRunsToTheEnd(t *testing.T) {
	for _, code := range []int{0, 7} {
		r := &cloneRun{shell: sessiontest.Print("uid=0\n", code)}
		err := r.run(context.Background(), t)
		if !sessiontest.Exited(err, code) {
			t.Errorf("exit %d: Run = %v", code, err)
		}
		// The lifeline's attach and the command's exec start side by side.
		reqs := r.f.Requests()
		attach, command := 0, ""
		for _, req := range reqs {
			if req.Attach {
				attach++
			} else {
				command = strings.Join(req.Command, " ")
			}
		}
		if r.out != "uid=0\n" || len(reqs) != 2 || attach != 1 || command != "sh -c id" {
			t.Errorf("exit %d: stdout %q, requests %+v", code, r.out, reqs)
		}
		// One watch for the pod and its start; no deadline PATCH for a
		// session shorter than the lease's turn; the pod goes with its Job.
		slices.Sort(r.api)
		if want := "create jobs, delete jobs, dry-run pods, list networkpolicies, watch pods"; strings.Join(r.api, ", ") != want {
			t.Errorf("exit %d: API requests %v, want %s", code, r.api, want)
		}
		if len(r.audited) != 1 || r.audited[0] != cloneJob+"-x1y2z" {
			t.Errorf("exit %d: the audit named pods %q, want the clone's pod", code, r.audited)
		}
		if len(r.left) != 0 {
			t.Errorf("exit %d: left behind %v", code, r.left)
		}
	}
}

// A clone admission refuses, at the pod's dry run or at the Job's create,
// creates nothing and streams nothing.
func TestEngineAdmissionRefusal(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, cloneJob, errors.New(`violates PodSecurity "restricted:latest": privileged`))
	invalid := apierrors.NewInvalid(schema.GroupKind{Group: "batch", Kind: "Job"}, cloneJob, nil)
	for _, tt := range []struct {
		step string
		err  error
		want string
	}{{"dry run", forbidden, "the API server refused the clone"}, {"create", forbidden, "the API server refused the clone"}, {"create", invalid, "the clone is invalid"}} {
		r := &cloneRun{refuse: tt.err, refuseStep: tt.step, shell: sessiontest.Print("", 0)}
		err := r.run(context.Background(), t)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "nothing was created") {
			t.Errorf("%s: Run = %v, want %q", tt.step, err, tt.want)
		}
		if len(r.f.Requests()) != 0 || len(r.left) != 0 {
			t.Errorf("%s: requests %+v, left %v", tt.step, r.f.Requests(), r.left)
		}
	}
}

// A lost shell stream is a *session.LostError (exit 255) that says the
// clone was removed, and it was.
func TestEngineLostStream(t *testing.T) {
	r := &cloneRun{shell: sessiontest.Lost("uid=")}
	err := r.run(context.Background(), t)
	var lost *session.LostError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), "lost the connection to the shell in clone pod "+cloneJob+"-x1y2z") ||
		!strings.Contains(err.Error(), "the clone was removed") || !strings.HasSuffix(err.Error(), "exit code 255") {
		t.Errorf("Run = %v", err)
	}
	if r.out != "uid=" || len(r.left) != 0 {
		t.Errorf("stdout %q, left %v", r.out, r.left)
	}
}

// An interrupt at each step ends the session at once, says so, releases
// the lifeline and leaves neither Job nor pod.
func TestEngineInterruptedAtEachStep(t *testing.T) {
	for _, step := range []string{"dry run", "create", "pod", "start", "attach", "exec"} {
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
			r := &cloneRun{lifeline: blockAt("attach"), shell: blockAt("exec"), noStart: step == "start"}
			r.onStep = func(at string) {
				switch {
				case at == step:
					cancel()
				case step == "start" && at == "pod":
					// Pending: only the interrupt ends the wait.
					time.AfterFunc(50*time.Millisecond, cancel)
				}
			}
			err := r.run(ctx, t)
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") {
				t.Errorf("Run = %v, want the interrupt", err)
			}
			if len(r.left) != 0 {
				t.Errorf("left behind %v", r.left)
			}
		})
	}
}

// The command's exec does not wait for the lifeline: it runs while the
// lifeline is not ready yet, and its clean end still counts only once the
// lifeline holds and answers.
func TestEngineExecRunsBeforeTheLifelineIsReady(t *testing.T) {
	r := &cloneRun{}
	r.shell, r.lifeline = sessiontest.ExecBeforeLifeline("uid=0\n")
	if err := r.run(context.Background(), t); err != nil || r.out != "uid=0\n" || len(r.left) != 0 {
		t.Errorf("Run = %v, stdout %q, left %v", err, r.out, r.left)
	}
}

// A lifeline that never becomes ready fails the session, whether the
// command ended cleanly first or still runs (it is ended), and the clone
// is removed.
func TestEngineLifelineNeverReady(t *testing.T) {
	for name, shell := range map[string]sessiontest.Program{"clean end": sessiontest.Print("uid=0\n", 0), "running": sessiontest.Block} {
		r := &cloneRun{shell: shell, lifeline: func(context.Context, session.StreamRequest, sessiontest.IO) error {
			return nil // ended before it said it is ready
		}}
		err := r.run(context.Background(), t)
		if err == nil || !strings.Contains(err.Error(), "the lifeline ended before it was ready") {
			t.Errorf("%s: Run = %v, want the lifeline's failure", name, err)
		}
		if len(r.left) != 0 {
			t.Errorf("%s: left behind %v", name, r.left)
		}
	}
}
