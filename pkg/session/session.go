// Package session is the part every mode shares: the local terminal (raw
// mode, resize, restore on every exit path), the streams, the connection to
// exec or attach, and the remote exit code.
package session

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"os"
	"time"

	"github.com/moby/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/kubectl/pkg/util/interrupt"
	kterm "k8s.io/kubectl/pkg/util/term"
	"k8s.io/streaming/pkg/httpstream"
)

// ExitError carries the remote command's exit code to the process exit.
type ExitError struct{ Code int }

func (e *ExitError) Error() string {
	return fmt.Sprintf("command terminated with exit code %d", e.Code)
}

// Streams is the local end of a session and how it is used.
type Streams struct {
	genericiooptions.IOStreams
	// Stdin sends local input to the remote process.
	Stdin bool
	// TTY allocates a remote terminal and puts the local one in raw mode.
	TTY bool
	// Preamble is sent before local input: attach uses it to release a
	// process that waits for its client, so no early output is lost.
	Preamble string
	// IdleTimeout ends the session (ErrIdle) after this long without input
	// or output; 0 disables it.
	IdleTimeout time.Duration
	// Tee copies the streams into a recording; zero: none.
	Tee Tee
}

// IsTerminal reports whether r is a terminal.
func IsTerminal(r any) bool {
	_, ok := term.GetFdInfo(r)
	return ok
}

// sizeQueue hands kubectl's terminal sizes to remotecommand, whose type of
// the same shape is a different type.
type sizeQueue struct{ q kterm.TerminalSizeQueue }

func (s sizeQueue) Next() *remotecommand.TerminalSize {
	size := s.q.Next()
	if size == nil {
		return nil
	}
	return &remotecommand.TerminalSize{Width: size.Width, Height: size.Height}
}

// Decide fills in -i and -t when the user did not set them: a terminal when
// both ends are terminals; stdin always (piped input works without -i).
func Decide(io genericiooptions.IOStreams, stdin, tty *bool) (bool, bool) {
	useTTY := IsTerminal(io.In) && IsTerminal(io.Out)
	if tty != nil {
		useTTY = *tty
	}
	useStdin := true
	if stdin != nil {
		useStdin = *stdin
	}
	if useTTY {
		useStdin = true
	}
	return useStdin, useTTY
}

// StreamFunc starts the remote side with the given streams.
type StreamFunc func(ctx context.Context, opts remotecommand.StreamOptions) error

// Run streams a session to completion. The local terminal is in raw mode
// only while streaming and is restored on every return, including when ctx
// is cancelled by a signal. A non-zero remote exit is an *ExitError.
func Run(ctx context.Context, s Streams, start StreamFunc) error {
	opts := remotecommand.StreamOptions{Stdout: s.Out, Tty: s.TTY}
	if !s.TTY {
		opts.Stderr = s.ErrOut
	}
	var in io.Reader
	if s.Stdin {
		in = s.In
	}
	in = s.Tee.apply(&opts, in) // before the Preamble: what the user typed only
	if s.Preamble != "" {
		if in == nil {
			in = emptyReader{}
		}
		in = io.MultiReader(stringReader(s.Preamble), in)
	}
	if s.IdleTimeout > 0 {
		a := &activity{}
		a.touch()
		if in != nil {
			in = activeReader{in, a}
		}
		opts.Stdout = activeWriter{opts.Stdout, a}
		if opts.Stderr != nil {
			opts.Stderr = activeWriter{opts.Stderr, a}
		}
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		go watchIdle(ctx, a, s.IdleTimeout, s.ErrOut, cancel)
	}
	opts.Stdin = in
	var err error
	if s.TTY {
		if !IsTerminal(s.In) {
			return errors.New("a TTY needs a terminal on stdin; run without -t (or with -t=false) when piping input")
		}
		// kubectl's terminal: raw while streaming, restored on every return
		// and on a termination signal; the remote terminal follows the
		// local window's size. A signal only restores the terminal here:
		// the caller's context ends the session, so its cleanup runs.
		t := kterm.TTY{In: s.In, Out: s.Out, Raw: true, Parent: interrupt.New(func(os.Signal) {})}
		if q := t.MonitorSize(t.GetSize()); q != nil {
			opts.TerminalSizeQueue = sizeQueue{q}
		}
		err = t.Safe(func() error { return start(ctx, opts) })
	} else {
		err = start(ctx, opts)
	}
	if errors.Is(context.Cause(ctx), ErrIdle) {
		return ErrIdle
	}
	var ce utilexec.CodeExitError
	if errors.As(err, &ce) {
		return &ExitError{Code: ce.Code}
	}
	var ee utilexec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return &ExitError{Code: ee.ExitStatus()}
	}
	return err
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }

type stringReaderT struct{ s string }

func stringReader(s string) io.Reader { return &stringReaderT{s} }

func (r *stringReaderT) Read(b []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(b, r.s)
	r.s = r.s[n:]
	return n, nil
}

// NewExecutor connects to an exec or attach URL over WebSocket, falling back
// to SPDY for API servers (or proxies) that cannot upgrade, as kubectl does.
func NewExecutor(cfg *rest.Config, u *url.URL) (remotecommand.Executor, error) {
	ws, err := remotecommand.NewWebSocketExecutor(cfg, "GET", u.String())
	if err != nil {
		return nil, err
	}
	spdy, err := remotecommand.NewSPDYExecutor(cfg, "POST", u)
	if err != nil {
		return nil, err
	}
	return remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}

// Stdin is the process's stdin, for callers that need a default.
var Stdin io.Reader = os.Stdin

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns 5 random lowercase letters and digits, as kubectl's
// generated names use: it names sessions, clone pods and debug containers.
func NewID() string {
	b := make([]byte, 5)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(idAlphabet))))
		b[i] = idAlphabet[n.Int64()]
	}
	return string(b)
}
