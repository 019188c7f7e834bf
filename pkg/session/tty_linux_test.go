package session

import (
	"context"
	"io"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/remotecommand"
)

func TestRunMakesTheTerminalRawSizedAndRestoresIt(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() {
		_ = ptmx.Close() // test scaffolding: nothing to report on close
		_ = tty.Close()
	})
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	termios := func() *unix.Termios {
		st, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	before := termios()
	var during *unix.Termios
	var size *remotecommand.TerminalSize
	s := Streams{IOStreams: genericiooptions.IOStreams{In: tty, Out: tty, ErrOut: io.Discard}, TTY: true}
	err = Run(context.Background(), s, func(_ context.Context, opts remotecommand.StreamOptions) error {
		during = termios()
		if opts.TerminalSizeQueue != nil {
			size = opts.TerminalSizeQueue.Next()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if during.Lflag&(unix.ICANON|unix.ECHO) != 0 {
		t.Errorf("the terminal was not raw while streaming: lflag %#x", during.Lflag)
	}
	if after := termios(); after.Lflag != before.Lflag || after.Iflag != before.Iflag {
		t.Errorf("the terminal was not restored: lflag %#x, want %#x", after.Lflag, before.Lflag)
	}
	if size == nil || size.Width != 100 || size.Height != 40 {
		t.Errorf("first size %+v, want 100x40", size)
	}
}
