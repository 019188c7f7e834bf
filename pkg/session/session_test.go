package session

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

func TestDecide(t *testing.T) {
	streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &bytes.Buffer{}}
	yes, no := true, false
	for _, tt := range []struct {
		name               string
		stdin, tty         *bool
		wantStdin, wantTTY bool
	}{
		{name: "no terminal: stdin passed, no tty", wantStdin: true},
		{name: "-i=false", stdin: &no},
		{name: "-t forces stdin", stdin: &no, tty: &yes, wantStdin: true, wantTTY: true},
	} {
		s, tt2 := Decide(streams, tt.stdin, tt.tty)
		if s != tt.wantStdin || tt2 != tt.wantTTY {
			t.Errorf("%s: Decide = %v,%v want %v,%v", tt.name, s, tt2, tt.wantStdin, tt.wantTTY)
		}
	}
}

func TestRunMapsExitCodesAndSendsPreambleFirst(t *testing.T) {
	var seen string
	start := func(_ context.Context, o remotecommand.StreamOptions) error {
		b, _ := io.ReadAll(o.Stdin)
		seen = string(b)
		return utilexec.CodeExitError{Err: errors.New("x"), Code: 42}
	}
	s := Streams{IOStreams: genericiooptions.IOStreams{In: strings.NewReader("user input"), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Stdin: true, Preamble: "\n"}
	err := Run(context.Background(), s, start)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 42 {
		t.Fatalf("Run = %v, want exit code 42", err)
	}
	if seen != "\nuser input" {
		t.Fatalf("remote stdin = %q, want the preamble then the user's input", seen)
	}
	// Without -i only the preamble is sent, then EOF.
	s.Stdin = false
	_ = Run(context.Background(), s, start)
	if seen != "\n" {
		t.Fatalf("remote stdin without -i = %q", seen)
	}
}

func TestRunEndsAnIdleSession(t *testing.T) {
	errOut := &bytes.Buffer{}
	s := Streams{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: errOut}, IdleTimeout: 400 * time.Millisecond}
	start := func(ctx context.Context, o remotecommand.StreamOptions) error {
		<-ctx.Done() // a remote process that never prints
		return ctx.Err()
	}
	began := time.Now()
	err := Run(context.Background(), s, start)
	if !errors.Is(err, ErrIdle) {
		t.Fatalf("Run = %v, want ErrIdle", err)
	}
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("idle timeout of 400ms took %s", d)
	}
	if !strings.Contains(errOut.String(), "ends in") || !strings.Contains(errOut.String(), "--idle-timeout") {
		t.Fatalf("no warning and reason printed: %q", errOut.String())
	}
}

func TestRunOutputKeepsASessionAlive(t *testing.T) {
	s := Streams{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, IdleTimeout: 500 * time.Millisecond}
	start := func(ctx context.Context, o remotecommand.StreamOptions) error {
		for i := 0; i < 10; i++ { // 1s of steady output
			if ctx.Err() != nil {
				return ctx.Err()
			}
			_, _ = o.Stdout.Write([]byte("tick\n"))
			time.Sleep(100 * time.Millisecond)
		}
		return nil
	}
	if err := Run(context.Background(), s, start); err != nil {
		t.Fatalf("a session with output was ended: %v", err)
	}
}
