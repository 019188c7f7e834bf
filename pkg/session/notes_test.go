package session

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuilder is a strings.Builder the spinner and a line may share.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A line clears the spinner's first and stays one line, escaped; the
// spinner is gone once stopped; a nil Out writes nothing.
func TestNotes(t *testing.T) {
	var out syncBuilder
	n := &Notes{Out: &out}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { n.Spin(func(time.Duration) string { return "Starting web-x" }, stop); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "Starting web-x") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	n.Say("Scheduled %s\n%s", "web-x", "error: forged\x1b[2K")
	close(stop)
	<-done
	got := out.String()
	i := strings.LastIndex(got, "Starting web-x")
	want := "\r\x1b[KScheduled web-x\\nerror: forged^[[2K\n"
	if i < 0 || !strings.HasPrefix(got[i+len("Starting web-x"):], want) {
		t.Errorf("the line does not clear the spinner first, or is not escaped to one line: %q", got)
	}
	if strings.Count(got, "\n") != 1 {
		t.Errorf("want one line: %q", got)
	}

	quiet := &Notes{}
	quiet.Say("nothing")
	quiet.Spin(func(time.Duration) string { return "x" }, stop) // returns at once
	Note(nil, "nothing")
}
