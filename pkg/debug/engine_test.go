package debug

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
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

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/plan/plantest"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/session/sessiontest"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// engineRun is one debug session driven to the end against a fake API
// server, whose kubelet starts the added container at once (unless
// told not to), and a fake executor.
type engineRun struct {
	// refuse, when set, is the API server's answer to adding the container.
	refuse error
	// deny, when set, refuses the patches it matches (the patch's body).
	deny func(patch string) error
	// noStart leaves the added container without a status.
	noStart bool
	// lifeline and shell are the remote programs of the attach and the exec.
	lifeline, shell sessiontest.Program
	// onPatch runs when the container is added.
	onPatch func()
	// profile is the plan's (ProfileGeneral when empty); dryRun is
	// --dry-run's value ("", client or server).
	profile, dryRun string
	// heartbeat is the plan's heartbeat timeout (the default when 0).
	heartbeat time.Duration
	// reuse is --reuse, and the pod already runs alice's debug container.
	reuse bool

	out, progress, warnings string
	printed                 []any
	patches, dryRuns        int
	ended                   []error
	stored                  *corev1.Pod
	f                       *sessiontest.Streamer
}

const engineContainer = "eshell-abcde"

func (r *engineRun) run(ctx context.Context, t *testing.T) error {
	t.Helper()
	// The fake keeps its resource versions apart from the objects': the
	// engine's watch from the pod's version (none) sees every later one.
	pod := runningPod()
	pod.ResourceVersion = ""
	if r.reuse {
		pod.Spec.EphemeralContainers = []corev1.EphemeralContainer{{TargetContainerName: "web", EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: engineContainer, Image: "busybox:1.37", Stdin: true, Env: []corev1.EnvVar{{Name: keys.DebugUserEnv, Value: "alice"}}}}}
		withStatus(pod, engineContainer, running)
	}
	c := fake.NewClientset(pod)
	var mu sync.Mutex
	c.PrependReactor("patch", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pa := a.(k8stesting.PatchActionImpl)
		dry := len(pa.GetPatchOptions().DryRun) > 0
		mu.Lock()
		if dry {
			r.dryRuns++
		} else {
			r.patches++
		}
		mu.Unlock()
		if r.refuse != nil {
			return true, nil, r.refuse
		}
		if r.deny != nil {
			if err := r.deny(string(pa.GetPatch())); err != nil {
				return true, nil, err
			}
		}
		if dry {
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
	if r.profile == "" {
		r.profile = ProfileGeneral
	}
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	var progress strings.Builder
	rec := &plantest.Recorder{}
	p := plan.Plan{Mode: mode.Debug, Pod: pod, Container: "web", Image: "busybox:1.37", SessionID: "abcde",
		Command: []string{"sh", "-c", "id"}, Debug: plan.DebugSettings{Profile: r.profile, Reuse: r.reuse},
		DryRun: r.dryRun != "", ServerDryRun: r.dryRun == "server",
		Timeouts: plan.Timeouts{PodRunningTimeout: 10 * time.Second, MaxDuration: time.Hour, HeartbeatTimeout: r.heartbeat}}
	d := plan.Deps{IO: streams, Remote: session.Remote{Client: c, Streamer: r.f}, Progress: &progress,
		Whoami: plantest.User("alice"), Recorder: rec,
		Print: func(obj any) error { r.printed = append(r.printed, obj); return nil }}
	err := Run(ctx, p, d)
	r.ended = rec.Ended()
	r.f.Ended(t)
	r.out, r.progress, r.warnings = out.String(), progress.String(), errOut.String()
	r.stored, _ = c.CoreV1().Pods("shop").Get(context.Background(), "web-1", metav1.GetOptions{})
	return err
}

// streamed reports whether the session attached to the lifeline and
// exec'd its command, once each, in whichever order.
func (r *engineRun) streamed() bool {
	var attach, exec int
	for _, req := range r.f.Requests() {
		switch {
		case req.Attach && req.Stdin:
			attach++
		case !req.Attach && strings.Join(req.Command, " ") == "sh -c id":
			exec++
		}
	}
	return attach == 1 && exec == 1 && len(r.f.Requests()) == 2
}

// A debug session adds the container with one patch (a requested profile
// needs no dry run), holds its lifeline, execs the command beside it,
// keeps its exit code and releases the lifeline.
func TestEngineRunsToTheEnd(t *testing.T) {
	for _, code := range []int{0, 7} {
		r := &engineRun{shell: sessiontest.Print("uid=0\n", code)}
		err := r.run(context.Background(), t)
		if !sessiontest.Exited(err, code) {
			t.Errorf("exit %d: Run = %v", code, err)
		}
		if r.out != "uid=0\n" || !r.streamed() {
			t.Errorf("exit %d: stdout %q, requests %+v", code, r.out, r.f.Requests())
		}
		if len(r.stored.Spec.EphemeralContainers) != 1 || r.stored.Spec.EphemeralContainers[0].Name != engineContainer {
			t.Errorf("exit %d: ephemeral containers %v", code, r.stored.Spec.EphemeralContainers)
		}
		if r.patches != 1 || r.dryRuns != 0 {
			t.Errorf("exit %d: %d patches, %d dry runs; want the one patch", code, r.patches, r.dryRuns)
		}
		if len(r.ended) != 1 || r.ended[0] != err {
			t.Errorf("exit %d: audit ends %v", code, r.ended)
		}
		for _, want := range []string{"Using --profile general as requested", "Added debug container " + engineContainer, "stays in the pod spec"} {
			if !strings.Contains(r.progress, want) {
				t.Errorf("exit %d: progress lacks %q:\n%s", code, want, r.progress)
			}
		}
	}
}

// The command starts as soon as the container runs: the exec does not
// wait for the lifeline's attach, which here answers only once the
// command ran. The clean end still waits for the lifeline's answer.
func TestEngineExecsBesideTheLifeline(t *testing.T) {
	r := &engineRun{}
	r.shell, r.lifeline = sessiontest.ExecBeforeLifeline("early\n")
	if err := r.run(context.Background(), t); err != nil || r.out != "early\n" {
		t.Errorf("Run = %v, stdout %q", err, r.out)
	}
}

// A clean end that the lifeline does not confirm is not taken for the
// command's (a restarted runtime ends streams that way).
func TestEngineUnconfirmedEnd(t *testing.T) {
	deaf := func(ctx context.Context, _ session.StreamRequest, pio sessiontest.IO) error {
		// Says it is ready, then never answers a ping.
		_, _ = io.WriteString(pio.Stdout, shell.LifelineReady+"\n")
		_, _ = io.Copy(io.Discard, pio.Stdin)
		return nil
	}
	r := &engineRun{shell: sessiontest.Print("", 0), lifeline: deaf, heartbeat: 300 * time.Millisecond}
	err := r.run(context.Background(), t)
	if !errors.Is(err, session.ErrUnconfirmedEnd) {
		t.Errorf("Run = %v, want the unconfirmed end", err)
	}
}

// A lifeline that cannot be attached to ends the command it ran beside:
// the container would end without it anyway.
func TestEngineLifelineRefused(t *testing.T) {
	refused := func(context.Context, session.StreamRequest, sessiontest.IO) error {
		return apierrors.NewBadRequest("container eshell-abcde is not running")
	}
	r := &engineRun{shell: sessiontest.Block, lifeline: refused}
	err := r.run(context.Background(), t)
	if err == nil || !strings.Contains(err.Error(), "attaching to the session's lifeline") || !strings.Contains(err.Error(), "is not running") {
		t.Errorf("Run = %v, want the attach's error", err)
	}
	// A non-zero exit that came first is the command's.
	exited := make(chan struct{})
	r = &engineRun{
		shell: func(ctx context.Context, req session.StreamRequest, pio sessiontest.IO) error {
			defer close(exited)
			return sessiontest.Print("", 5)(ctx, req, pio)
		},
		lifeline: func(ctx context.Context, req session.StreamRequest, pio sessiontest.IO) error {
			<-exited
			// After the exec's stream returned: the fake's stream
			// picks at random between an end and a cancel that are both
			// ready.
			time.Sleep(100 * time.Millisecond)
			return refused(ctx, req, pio)
		},
	}
	if err := r.run(context.Background(), t); !sessiontest.Exited(err, 5) {
		t.Errorf("exit 5 beside a refused lifeline: Run = %v", err)
	}
}

// --profile auto sends the real patch, most capable profile first: a
// namespace that refuses general gets baseline, with the rule that
// refused general, and no dry run at all.
func TestEngineAutoProfile(t *testing.T) {
	noPtrace := func(patch string) error {
		if strings.Contains(patch, "SYS_PTRACE") {
			return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "web-1", errors.New(`violates PodSecurity "baseline:latest": non-default capabilities`))
		}
		return nil
	}
	r := &engineRun{profile: ProfileAuto, deny: noPtrace, shell: sessiontest.Print("ok\n", 0)}
	if err := r.run(context.Background(), t); err != nil || r.out != "ok\n" {
		t.Fatalf("Run = %v, stdout %q", err, r.out)
	}
	if r.patches != 2 || r.dryRuns != 0 || len(r.stored.Spec.EphemeralContainers) != 1 {
		t.Errorf("%d patches, %d dry runs, containers %v; want general refused, baseline stored", r.patches, r.dryRuns, r.stored.Spec.EphemeralContainers)
	}
	for _, want := range []string{`--profile general was refused: violates PodSecurity "baseline:latest"`, "Using --profile baseline, the most capable profile the API server admits here"} {
		if !strings.Contains(r.progress, want) {
			t.Errorf("progress lacks %q:\n%s", want, r.progress)
		}
	}
	r = &engineRun{profile: ProfileAuto, shell: sessiontest.Print("", 0)}
	if err := r.run(context.Background(), t); err != nil || r.patches != 1 || !strings.Contains(r.progress, "Using --profile general: the API server admits it") {
		t.Errorf("auto where nothing is enforced: Run = %v, %d patches:\n%s", err, r.patches, r.progress)
	}
}

// --dry-run prints the container and adds nothing: server asks the API
// server's admission (a dry run per profile tried), client asks nothing.
func TestEngineDryRuns(t *testing.T) {
	for _, dry := range []string{"server", "client"} {
		r := &engineRun{dryRun: dry, profile: ProfileAuto}
		if err := r.run(context.Background(), t); err != nil {
			t.Fatalf("--dry-run=%s: %v", dry, err)
		}
		ec, ok := r.printed[0].(*corev1.EphemeralContainer)
		if len(r.printed) != 1 || !ok || ec.Name != engineContainer || ec.TargetContainerName != "web" {
			t.Errorf("--dry-run=%s printed %+v", dry, r.printed)
		}
		wantDry := map[string]int{"server": 1, "client": 0}[dry]
		if r.patches != 0 || r.dryRuns != wantDry || len(r.f.Requests()) != 0 || len(r.stored.Spec.EphemeralContainers) != 0 || len(r.ended) != 0 {
			t.Errorf("--dry-run=%s: %d patches, %d dry runs, %d streams, audit %v: want nothing but %d dry runs", dry, r.patches, r.dryRuns, len(r.f.Requests()), r.ended, wantDry)
		}
	}
}

// With --reuse, the user's running debug container gets the command: no
// patch, no lifeline of this session's (the container's is the earlier
// session's), the exit code kept and the session audited.
func TestEngineReuses(t *testing.T) {
	for _, code := range []int{0, 4} {
		r := &engineRun{reuse: true, shell: sessiontest.Print("again\n", code)}
		err := r.run(context.Background(), t)
		reqs := r.f.Requests()
		if !sessiontest.Exited(err, code) || r.out != "again\n" || len(reqs) != 1 || reqs[0].Attach {
			t.Errorf("exit %d: Run = %v, stdout %q, requests %+v", code, err, r.out, reqs)
		}
		if r.patches+r.dryRuns != 0 || len(r.stored.Spec.EphemeralContainers) != 1 || len(r.ended) != 1 {
			t.Errorf("exit %d: %d patches, containers %v, audit %v", code, r.patches+r.dryRuns, r.stored.Spec.EphemeralContainers, r.ended)
		}
		if !strings.Contains(r.progress, "Opening a shell in debug container "+engineContainer) {
			t.Errorf("exit %d: progress %q", code, r.progress)
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
	// With auto, every candidate is tried, and the error names each rule.
	r := &engineRun{profile: ProfileAuto, refuse: apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "web-1", errors.New("denied by no-debug"))}
	err := r.run(context.Background(), t)
	if err == nil || !strings.Contains(err.Error(), "every profile --profile auto tries") || r.patches != len(AutoCandidates()) || len(r.f.Requests()) != 0 {
		t.Errorf("auto, all refused: Run = %v after %d patches", err, r.patches)
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
			if len(r.ended) != 1 || r.ended[0] != err {
				t.Errorf("audit ends %v, want the interrupt recorded", r.ended)
			}
		})
	}
}
