package session

import (
	"bufio"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// fakeLifeline is a Lifeline whose far end is answer: it gets every line
// the client sends and writes what it returns to the client's output.
func fakeLifeline(answer func(line string) string) *Lifeline {
	in, stdin := io.Pipe()
	l := &Lifeline{stdin: stdin, cancel: func() {}, done: make(chan error, 1), ended: make(chan struct{}),
		out: &lineWatcher{ready: make(chan struct{}), pong: make(chan struct{}, 1)}}
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			_, _ = io.WriteString(l.out, answer(sc.Text()))
		}
	}()
	return l
}

func TestConfirm(t *testing.T) {
	pong := func(line string) string {
		if line == shell.LifelinePing {
			return "x\n" + shell.LifelinePong + "\n"
		}
		return ""
	}
	exit := &ExitError{Code: 3}
	if err := fakeLifeline(pong).Confirm(exit, time.Second); err != exit {
		t.Errorf("an exit code is the command's own: got %v", err)
	}
	if err := fakeLifeline(pong).Confirm(nil, time.Second); err != nil {
		t.Errorf("a clean end the lifeline confirms is the command's: got %v", err)
	}
	silent := fakeLifeline(func(string) string { return "" })
	if err := silent.Confirm(nil, 100*time.Millisecond); !errors.Is(err, ErrUnconfirmedEnd) {
		t.Errorf("a lifeline that does not answer: want ErrUnconfirmedEnd, got %v", err)
	}
	ended := fakeLifeline(func(string) string { return "" })
	ended.endErr = errors.New("websocket: close 1006")
	close(ended.ended)
	if err := ended.Confirm(nil, time.Minute); !errors.Is(err, ErrUnconfirmedEnd) || !errors.Is(err, ended.endErr) {
		t.Errorf("a lifeline whose stream ended: want ErrUnconfirmedEnd and the cause, got %v", err)
	}
	if _, ok := Lost(ended.Confirm(nil, time.Minute), "the shell", "").(*LostError); !ok {
		t.Error("an unconfirmed end is a lost stream")
	}
}
