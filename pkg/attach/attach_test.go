package attach

import (
	"bytes"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/live"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

func TestNewRequest(t *testing.T) {
	pipes := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	for _, tc := range []struct {
		name string
		args []string
		want Request
	}{
		{"shell", []string{"x7k2p"}, Request{Namespace: "shop", ID: "x7k2p", Command: []string{}}},
		{"command", []string{"x7k2p", "cat", "/marker"}, Request{Namespace: "shop", ID: "x7k2p", Command: []string{"cat", "/marker"}}},
		{"no ID (CheckArgs refuses it first)", nil, Request{Namespace: "shop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := streams(pipes, true, false, 30*time.Minute)
			got := NewRequest("shop", tc.args, s)
			if got.Namespace != tc.want.Namespace || got.ID != tc.want.ID || strings.Join(got.Command, " ") != strings.Join(tc.want.Command, " ") ||
				got.Streams.Stdin != s.Stdin || got.Streams.TTY != s.TTY || got.Streams.IdleTimeout != s.IdleTimeout {
				t.Errorf("NewRequest = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func streams(io genericiooptions.IOStreams, stdin, tty bool, idle time.Duration) session.Streams {
	return session.Streams{IOStreams: io, Stdin: stdin, TTY: tty, IdleTimeout: idle}
}

func TestAllowed(t *testing.T) {
	alice := live.Info{ID: "x7k2p", User: "alice", Mode: mode.Clone}
	unknown := live.Info{ID: "x7k2p", User: access.Unknown, Mode: mode.Clone}
	for _, tc := range []struct {
		name     string
		in       live.Info
		user     string
		allUsers bool
		want     string // a part of the error; "" is allowed
	}{
		{"own session", alice, "alice", false, ""},
		{"another user's", alice, "bob", false, "session x7k2p is alice's, not yours"},
		{"another user's, --all-users", alice, "bob", true, ""},
		{"who you are is unknown", unknown, access.Unknown, false, "cannot tell whether session x7k2p (started by unknown) is yours; pass --all-users"},
		{"who you are is unknown, --all-users", alice, access.Unknown, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Allowed(tc.in, tc.user, tc.allUsers)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), "--all-users"):
				t.Errorf("the refusal does not name the override: %v", err)
			}
		})
	}
}

func TestUsable(t *testing.T) {
	clone := live.Info{ID: "x7k2p", Mode: mode.Clone, Namespace: "shop", Job: "web-eshell-x7k2p", Pod: "web-eshell-x7k2p-abcde", Container: "web"}
	debug := live.Info{ID: "q3m9z", Mode: mode.Debug, Namespace: "shop", Pod: "web-1", Container: "eshell-q3m9z"}
	pod := func(name string, phase corev1.PodPhase, state corev1.ContainerState, ephemeral ...string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}, Status: corev1.PodStatus{Phase: phase}}
		for _, e := range ephemeral {
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: e}})
			p.Status.EphemeralContainerStatuses = append(p.Status.EphemeralContainerStatuses, corev1.ContainerStatus{Name: e, State: state})
		}
		if len(ephemeral) == 0 {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", State: state}}
		}
		return p
	}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	waiting := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	ended := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", ExitCode: 0}}
	deleting := pod(clone.Pod, corev1.PodRunning, running)
	deleting.DeletionTimestamp = new(metav1.Now())
	noPodYet := clone
	noPodYet.Pod = ""
	for _, tc := range []struct {
		name string
		in   live.Info
		pod  *corev1.Pod
		want string // a part of the error; "" is usable
	}{
		{"running clone", clone, pod(clone.Pod, corev1.PodRunning, running), ""},
		{"running debug container", debug, pod(debug.Pod, corev1.PodRunning, running, "eshell-q3m9z"), ""},
		{"clone without a pod yet", noPodYet, nil, "session x7k2p has no pod yet (clone job web-eshell-x7k2p)"},
		{"pod gone", clone, nil, "is gone: the session has ended; list the live sessions with: kubectl eshell sessions -n shop"},
		{"pod being deleted", clone, deleting, "is being deleted"},
		{"pod pending", clone, pod(clone.Pod, corev1.PodPending, waiting), "is Pending, not running; see why with kubectl describe pod web-eshell-x7k2p-abcde -n shop"},
		{"container waiting", clone, pod(clone.Pod, corev1.PodRunning, waiting), "is not running (ContainerCreating)"},
		{"debug container ended", debug, pod(debug.Pod, corev1.PodRunning, ended, "eshell-q3m9z"), "has ended (Completed, exit code 0): the session is over"},
		{"no such container", debug, pod(debug.Pod, corev1.PodRunning, running, "eshell-other"), "has no container eshell-q3m9z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Usable(tc.in, tc.pod)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("not usable: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		dash int
		want string // a part of the error; "" is none
	}{
		{[]string{"x7k2p"}, -1, ""},
		{[]string{"x7k2p", "cat", "/m"}, 1, ""},
		{nil, -1, "give the ID of the session"},
		{[]string{"cat"}, 0, "give the ID of the session"},
		{[]string{"x7k2p", "cat"}, -1, `too many arguments ["x7k2p" "cat"]`},
	} {
		err := CheckArgs(tc.args, tc.dash)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckArgs(%q, %d) = %v, want %q", tc.args, tc.dash, err, tc.want)
		}
	}
}

// An attach starts the shell a session would: --shell or the config's
// shells: (bash, sh without either), the note only on a terminal with
// progress, and in a shell-less clone from its static shell.
func TestArgv(t *testing.T) {
	tty := Request{Streams: session.Streams{TTY: true}}
	zsh := tty
	zsh.Shells = []string{"zsh"}
	cmd := Request{Command: []string{"ls", "/"}}
	for _, tc := range []struct {
		name            string
		req             Request
		progress, tools bool
		want            []string
	}{
		{"default shells", Request{}, true, false, shell.Choose(shell.DefaultShells, false)},
		{"chosen shell with its note", zsh, true, false, shell.Choose([]string{"zsh"}, true)},
		{"no note when quiet", zsh, false, false, shell.Choose([]string{"zsh"}, false)},
		{"a command as it is", cmd, true, false, []string{"ls", "/"}},
		{"a command in a shell-less clone", cmd, true, true, shell.Tools([]string{"ls", "/"}, false)},
		{"the shell in a shell-less clone", tty, true, true, shell.Tools(shell.Choose(nil, true), false)},
	} {
		if got := Argv(tc.req, tc.progress, tc.tools); strings.Join(got, "\x00") != strings.Join(tc.want, "\x00") {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
