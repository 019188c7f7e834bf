// Package attach re-enters a live session that `kubectl eshell sessions`
// lists: a new shell (or command) in a clone's container or in a debug
// session's ephemeral container, run beside the session's lifeline through
// exec exactly as the session's own shell runs.
package attach

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/clone"
	"github.com/sberz/kubectl-eshell/pkg/debug"
	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/live"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// NewRequest is an attach in namespace: args are the session ID and the
// command, s the streams the shell flags settled. The rest of Request
// (AllUsers, RecordCommand, Reason, ...) is the caller's to fill in.
func NewRequest(namespace string, args []string, s session.Streams) Request {
	req := Request{Namespace: namespace, Streams: s}
	if len(args) > 0 {
		req.ID, req.Command = args[0], args[1:]
	}
	return req
}

// CheckArgs refuses a command line without one session ID before the
// command (after --, at dash; -1: none).
func CheckArgs(args []string, dash int) error {
	n := len(args)
	if dash >= 0 {
		n = dash
	}
	switch {
	case n == 0:
		return errors.New("give the ID of the session to attach to; list them with: kubectl eshell sessions")
	case n > 1:
		return fmt.Errorf("too many arguments %q: give one session ID, and put the command after -- (e.g. kubectl eshell attach x7k2p -- ls /)", args[:n])
	}
	return nil
}

// Request is one `kubectl eshell attach`.
type Request struct {
	Namespace string
	ID        string
	// Command runs instead of the shell.
	Command []string
	// Shells is the order in which the shell is looked for (--shell, the
	// config's shells:), as in a session; nil is shell.DefaultShells.
	Shells  []string
	Streams session.Streams
	// AllUsers allows entering a session someone else started.
	AllUsers bool
	// Reason is why the attach was made (--reason); its start Event says it.
	Reason string
	// Recorded: the client records the attach (--record).
	Recorded bool
	// RecordCommand records Command's arguments in the audit Events.
	RecordCommand bool
}

// Deps is what an attach needs from the command line.
type Deps struct {
	Remote session.Remote
	// Progress receives status lines; nil when --quiet.
	Progress io.Writer
	// Whoami is the authenticated user; it may wait for the prefetch.
	Whoami *access.Whoami
	// Access answers the permission check (one rules review on the
	// happy path); required.
	Access *access.Reviewer
	// Recorder records the start and end of the attach as Events; nil
	// records nothing (--no-audit).
	Recorder *audit.Recorder
}

// Run checks the permissions an attach needs, finds the live session
// req.ID, refuses another user's without req.AllUsers, checks that its
// container still runs and runs the command in it. The remote exit code
// comes back as a *session.ExitError.
func Run(ctx context.Context, req Request, d Deps) (err error) {
	if req.Streams.TTY && !session.IsTerminal(req.Streams.In) {
		return errors.New("-t needs a terminal on stdin; drop -t when piping input")
	}
	r := d.Remote
	if err := access.Named(ctx, d.Access.Check(ctx, access.AttachNeeded(req.Namespace)), d.Whoami.User); err != nil {
		return err
	}
	in, err := live.Find(ctx, r, req.Namespace, req.ID)
	if err != nil {
		return err
	}
	user := d.Whoami.User(ctx)
	if err := Allowed(in, user, req.AllUsers); err != nil {
		return err
	}
	// The listing that found the session read its pod a moment ago; a pod
	// that goes after it makes the exec fail with its own error.
	pod := in.PodObject
	if err := Usable(in, pod); err != nil {
		return err
	}
	argv := Argv(req, d.Progress != nil, in.Mode == mode.Clone && clone.HasTools(pod, in.Container))
	if in.User != user && d.Progress != nil {
		// Only what is true: with --no-audit nothing records it.
		record := "the audit Events record that you did"
		if d.Recorder == nil {
			record = "--no-audit: no Event records that you did"
		}
		fmt.Fprintf(d.Progress, "Attaching to %s's %s session %s (--all-users); %s\n", escape.Line(in.User), in.Mode, escape.Line(in.ID), record)
	}
	if d.Recorder != nil {
		end := d.Recorder.Begin(ctx, audit.Session{
			ID: in.ID, Attach: session.NewID(), User: user, Owner: in.User, Mode: in.Mode, Namespace: in.Namespace,
			Command: req.Command, RecordCommand: req.RecordCommand, Workload: Regarding(ctx, r, in.Namespace, in.Workload),
			Pod: in.Pod, Container: in.Container, Started: time.Now(), Reason: req.Reason, Recorded: req.Recorded,
		})
		defer func() { end(err) }()
	}
	if in.Mode == mode.Debug {
		s := &debug.Session{Remote: r, Streams: req.Streams, Command: argv, Progress: d.Progress}
		return s.Reattach(ctx, pod, ephemeral(pod, in.Container))
	}
	s := &clone.Session{Remote: r, Streams: req.Streams, Command: argv, Progress: d.Progress}
	return s.Reattach(ctx, pod, in.Container)
}

// Argv is what an attach runs: the command, or the shell chosen as a
// session chooses it (the start note on a terminal with progress); in a
// shell-less clone (tools), from the static shell its session runs.
func Argv(req Request, progress, tools bool) []string {
	argv := req.Command
	if len(argv) == 0 {
		argv = shell.Choose(req.Shells, req.Streams.TTY && progress)
	}
	if tools {
		argv = shell.Tools(argv, false)
	}
	return argv
}

// Allowed refuses a session that user did not start, unless allUsers: its
// shell history, environment and working files are its owner's, and an
// administrator wants entering them to be a decision, not a typo. It is no
// security boundary (whoever may exec into the pod can enter it with
// kubectl), which is why a flag is enough, and the audit Events name both.
func Allowed(in live.Info, user string, allUsers bool) error {
	return allowed(in, user, allUsers, "attach")
}

// AllowedEnd is Allowed for `end`: ending another user's session loses
// their work, so it is refused the same way.
func AllowedEnd(in live.Info, user string, allUsers bool) error {
	return allowed(in, user, allUsers, "end it")
}

func allowed(in live.Info, user string, allUsers bool, verb string) error {
	switch {
	case allUsers, in.User == user && user != access.Unknown:
		return nil
	case user == access.Unknown:
		return fmt.Errorf("the API server does not say who you are, so eshell cannot tell whether session %s (started by %s) is yours; "+
			"pass --all-users to %s anyway", escape.Line(in.ID), escape.Line(in.User), verb)
	}
	return fmt.Errorf("session %s is %s's, not yours: its shell history, environment and files are theirs; "+
		"%s only when they asked you to, with --all-users (unless --no-audit, the audit Events record that you did)", escape.Line(in.ID), escape.Line(in.User), verb)
}

// Usable says why the session's container cannot take a shell, or nil
// when it runs. pod is the session's pod as read just now; nil when there
// is none (a clone whose Job has no pod yet, or a pod gone since).
func Usable(in live.Info, pod *corev1.Pod) error {
	hint := fmt.Sprintf("list the live sessions with: kubectl eshell sessions -n %s", in.Namespace)
	switch {
	case pod == nil && in.Pod == "":
		return fmt.Errorf("session %s has no pod yet (clone job %s): it is starting or could not start; see why with kubectl describe job %s -n %s",
			in.ID, in.Job, in.Job, in.Namespace)
	case pod == nil:
		return fmt.Errorf("the pod %s of session %s is gone: the session has ended; %s", in.Pod, in.ID, hint)
	case pod.DeletionTimestamp != nil:
		return fmt.Errorf("the pod %s of session %s is being deleted: the session is ending; %s", pod.Name, in.ID, hint)
	case pod.Status.Phase != corev1.PodRunning:
		return fmt.Errorf("the pod %s of session %s is %s, not running; see why with kubectl describe pod %s -n %s",
			pod.Name, in.ID, pod.Status.Phase, pod.Name, in.Namespace)
	}
	st := podwatch.Status(pod, in.Container)
	switch {
	case st == nil:
		return fmt.Errorf("pod %s of session %s has no container %s yet; see why with kubectl describe pod %s -n %s", pod.Name, in.ID, in.Container, pod.Name, in.Namespace)
	case st.State.Running != nil:
		if in.Mode == mode.Debug && ephemeral(pod, in.Container) == nil {
			return fmt.Errorf("pod %s has no debug container %s; %s", pod.Name, in.Container, hint)
		}
		return nil
	case st.State.Terminated != nil:
		return fmt.Errorf("container %s of session %s has ended (%s, exit code %d): the session is over; %s",
			in.Container, in.ID, st.State.Terminated.Reason, st.State.Terminated.ExitCode, hint)
	case st.State.Waiting != nil:
		return fmt.Errorf("container %s of session %s is not running (%s); see why with kubectl describe pod %s -n %s",
			in.Container, in.ID, st.State.Waiting.Reason, pod.Name, in.Namespace)
	}
	return fmt.Errorf("container %s of session %s is not running; see why with kubectl describe pod %s -n %s", in.Container, in.ID, pod.Name, in.Namespace)
}

func ephemeral(pod *corev1.Pod, name string) *corev1.EphemeralContainer {
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			return &pod.Spec.EphemeralContainers[i]
		}
	}
	return nil
}

// Regarding is what the attach's Events are about: the workload the
// session was opened next to (workload is kind/name, as sessions lists
// it), or its controller when that is a kind eshell knows (a debug
// session's pod is listed by its ReplicaSet; its Deployment is what people
// describe). The object is read for its UID, without which `kubectl
// describe` does not show the Events; when it cannot be read they still
// name it, and an unreadable name leaves them on the pod.
func Regarding(ctx context.Context, r session.Remote, ns, workload string) corev1.ObjectReference {
	ref, err := target.ParseRef(workload)
	if err != nil || ref.Kind == "" {
		return corev1.ObjectReference{}
	}
	out := corev1.ObjectReference{Kind: string(ref.Kind), Name: ref.Name, Namespace: ns}
	w, err := target.Get(ctx, r.Client, ns, ref)
	if err != nil {
		return out
	}
	out.APIVersion, out.UID = w.APIVersion, types.UID(w.UID)
	m, err := meta.Accessor(w.Object)
	if err != nil {
		return out
	}
	if c := metav1.GetControllerOf(m); c != nil {
		for _, k := range target.Kinds() {
			if string(k) == c.Kind {
				return corev1.ObjectReference{Kind: c.Kind, APIVersion: c.APIVersion, Name: c.Name, UID: c.UID, Namespace: ns}
			}
		}
	}
	return out
}
