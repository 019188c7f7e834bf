package podexec

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/session/sessiontest"
)

// audited records what an engine audits: the start and the end's error.
type audited struct {
	mu     sync.Mutex
	starts []string
	ends   []error
}

func (a *audited) Begin(_ context.Context, s audit.Session) func(error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.starts = append(a.starts, s.Pod+"/"+s.Container)
	return func(err error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.ends = append(a.ends, err)
	}
}

// run drives the exec engine to the end with program as the remote
// process, and returns its error, its stdout and what it audited.
func run(ctx context.Context, t *testing.T, program sessiontest.Program) (string, *audited, *sessiontest.Streamer, error) {
	t.Helper()
	p := plan.Plan{Mode: mode.Exec, Container: "web", Command: []string{"psql", "-c", "select 1"},
		Pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop"}}}
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	a := &audited{}
	f := &sessiontest.Streamer{Program: func(req session.StreamRequest) sessiontest.Program {
		if req.Pod == "web-1" && req.Container == "web" && !req.Attach {
			return program
		}
		return nil
	}}
	d := plan.Deps{IO: streams, Remote: session.Remote{Client: fake.NewClientset(), Streamer: f}, Recorder: a}
	err := Run(ctx, p, d)
	f.Wait()
	return out.String(), a, f, err
}

// The engine runs the plan's command in the plan's container, streams its
// output, keeps its exit code and audits the start and the end.
func TestRunStreamsAndKeepsTheExitCode(t *testing.T) {
	for _, tt := range []struct {
		code int
	}{{0}, {3}} {
		out, a, f, err := run(context.Background(), t, sessiontest.Print("1\n", tt.code))
		var ee *session.ExitError
		switch {
		case tt.code == 0 && err != nil:
			t.Errorf("exit 0: Run = %v", err)
		case tt.code != 0 && (!errors.As(err, &ee) || ee.Code != tt.code):
			t.Errorf("exit %d: Run = %v, want the exit code", tt.code, err)
		}
		if out != "1\n" {
			t.Errorf("exit %d: stdout %q", tt.code, out)
		}
		if r := f.Requests(); len(r) != 1 || strings.Join(r[0].Command, " ") != "psql -c select 1" {
			t.Errorf("exit %d: requests %+v", tt.code, r)
		}
		if len(a.starts) != 1 || a.starts[0] != "web-1/web" || len(a.ends) != 1 || a.ends[0] != err {
			t.Errorf("exit %d: audited %v, ends %v", tt.code, a.starts, a.ends)
		}
	}
}

// A program the container lacks is named, with what to do.
func TestRunNamesAMissingProgram(t *testing.T) {
	_, _, _, err := run(context.Background(), t, func(context.Context, session.StreamRequest, sessiontest.IO) error {
		return errors.New(`exec: "psql": executable file not found in $PATH`)
	})
	if err == nil || !strings.Contains(err.Error(), `cannot run psql -c 'select 1' in container "web"`) || !strings.Contains(err.Error(), "check the program name") {
		t.Errorf("Run = %v", err)
	}
}

// A stream lost before the exit code came is a *session.LostError (exit
// 255) that names the stream, after the output that did arrive.
func TestRunReportsALostStream(t *testing.T) {
	out, a, _, err := run(context.Background(), t, sessiontest.Lost("partial\n"))
	var lost *session.LostError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), "lost the connection to the command in container web of pod web-1") ||
		!errors.Is(err, sessiontest.ErrLost) || !strings.HasSuffix(err.Error(), "exit code 255") {
		t.Errorf("Run = %v, want a lost stream", err)
	}
	if out != "partial\n" || len(a.ends) != 1 {
		t.Errorf("stdout %q, audit ends %v", out, a.ends)
	}
}

// An interrupt ends the stream at once and the session says so; before
// the stream it starts nothing.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go func() { <-started; cancel() }()
	_, a, _, err := run(ctx, t, func(ctx context.Context, req session.StreamRequest, pio sessiontest.IO) error {
		close(started)
		return sessiontest.Block(ctx, req, pio)
	})
	var lost *session.LostError
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "session interrupted") || errors.As(err, &lost) || len(a.ends) != 1 {
		t.Errorf("Run = %v (audit ends %v), want the interrupt", err, a.ends)
	}

	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if out, _, _, err := run(done, t, sessiontest.Print("ran", 0)); !errors.Is(err, context.Canceled) || out != "" {
		t.Errorf("Run on a cancelled context = %v, stdout %q", err, out)
	}
}
