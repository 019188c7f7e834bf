package fanout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/session"
)

func pod(name string, phase corev1.PodPhase, containers ...string) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.PodStatus{Phase: phase}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c})
	}
	return p
}

func targets(names ...string) []Target {
	var ts []Target
	for _, n := range names {
		p := pod(n, corev1.PodRunning, "app")
		ts = append(ts, Target{Pod: &p, Container: "app"})
	}
	return ts
}

// syncBuffer is a bytes.Buffer the targets' goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunPrefixesCodesAndWorst(t *testing.T) {
	var out, errOut syncBuffer
	ts := targets("web-a", "web-bb", "web-c", "web-d", "web-e")
	run := func(ctx context.Context, tg Target, o, e io.Writer) error {
		// Written in pieces: the line must still come out whole.
		fmt.Fprint(o, "rea")
		fmt.Fprint(o, "dy\nsecond")
		fmt.Fprint(e, "warn\n")
		switch tg.Pod.Name {
		case "web-c":
			return &session.ExitError{Code: 3}
		case "web-d":
			return &session.LostError{What: "the shell", Err: errors.New("EOF")}
		case "web-e":
			return errors.New("pods \"web-e\" not found")
		}
		return nil
	}
	res := Run(context.Background(), ts, run, Options{MaxParallel: 2, Out: &out, ErrOut: &errOut})
	codes := []int{}
	for _, r := range res {
		codes = append(codes, r.Code)
	}
	if fmt.Sprint(codes) != "[0 0 3 255 1]" {
		t.Errorf("codes = %v, want [0 0 3 255 1]", codes)
	}
	if w := Worst(res); w != 255 {
		t.Errorf("worst = %d, want 255", w)
	}
	for _, n := range []string{"web-a ", "web-bb", "web-c ", "web-d ", "web-e "} {
		if !strings.Contains(out.String(), n+" ready\n") || !strings.Contains(out.String(), n+" second\n") {
			t.Errorf("stdout lacks %q lines:\n%s", n, out.String())
		}
		if !strings.Contains(errOut.String(), n+" warn\n") {
			t.Errorf("stderr lacks %q warn:\n%s", n, errOut.String())
		}
	}
	if strings.Contains(out.String(), "warn") || strings.Contains(errOut.String(), "ready") {
		t.Errorf("streams mixed:\nout %s\nerr %s", out.String(), errOut.String())
	}
	var sum bytes.Buffer
	Summary(&sum, res, []Skipped{{Pod: "web-f", Why: "Pending"}}, false)
	for _, want := range []string{
		"eshell: ran in 5 targets: 2 succeeded, 3 failed; exit code 255 (the highest)\n",
		"  web-c  exit 3\n",
		"  web-d  exit 255: lost the connection to the shell (EOF); exit code 255\n",
		"  web-e  exit 1: pods \"web-e\" not found\n",
		"eshell: skipped web-f (Pending)\n",
	} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
}

func TestRunBoundsParallelism(t *testing.T) {
	var running, most atomic.Int32
	run := func(ctx context.Context, _ Target, _, _ io.Writer) error {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		running.Add(-1)
		return nil
	}
	names := make([]string, 20)
	for i := range names {
		names[i] = fmt.Sprintf("p%02d", i)
	}
	Run(context.Background(), targets(names...), run, Options{MaxParallel: 3, Out: io.Discard, ErrOut: io.Discard})
	if m := most.Load(); m > 3 || m < 2 {
		t.Errorf("at most %d ran at once, want 3 (and more than 1)", m)
	}
}

func TestRunCancelledStartsNoMore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := 0
	run := func(context.Context, Target, io.Writer, io.Writer) error {
		started++ // MaxParallel 1 and cancel before the slot frees: one ran
		cancel()
		return nil
	}
	res := Run(ctx, targets("a", "b", "c"), run, Options{MaxParallel: 1, Out: io.Discard, ErrOut: io.Discard})
	if res[0].Code != 0 {
		t.Errorf("first = %+v, want exit 0", res[0])
	}
	for _, r := range res[1:] {
		if r.Code != 1 || !strings.HasPrefix(r.Note, "not started") {
			t.Errorf("%s = %+v, want not started with code 1", r.Target.Pod.Name, r)
		}
	}
	if started > 2 {
		t.Errorf("%d started after the cancel", started)
	}
}

func TestSelect(t *testing.T) {
	gone := pod("web-z", corev1.PodRunning, "app")
	gone.DeletionTimestamp = &metav1.Time{}
	pods := []corev1.Pod{
		pod("web-c", corev1.PodRunning, "app", "proxy"),
		pod("web-a", corev1.PodRunning, "app"),
		pod("web-b", corev1.PodPending, "app"),
		gone,
		pod("web-d", corev1.PodSucceeded, "app"),
		pod("web-e", corev1.PodRunning, "other"),
	}
	pick := func(p *corev1.Pod) (string, error) {
		for _, c := range p.Spec.Containers {
			if c.Name == "app" {
				return "app", nil
			}
		}
		return "", errors.New(`no container "app"`)
	}
	ts, skipped := Select(pods, false, pick)
	var got []string
	for _, t := range ts {
		got = append(got, t.Pod.Name+"/"+t.Container)
	}
	if fmt.Sprint(got) != "[web-a/app web-c/app]" {
		t.Errorf("targets = %v", got)
	}
	if s := SkippedList(skipped); s != `web-b (Pending), web-d (Succeeded), web-e (no container "app"), web-z (Terminating)` {
		t.Errorf("skipped = %s", s)
	}
	ts, _ = Select(pods, true, pick)
	got = nil
	for _, t := range ts {
		got = append(got, t.Pod.Name+"/"+t.Container)
	}
	if fmt.Sprint(got) != "[web-a/app web-c/app web-c/proxy web-e/other]" {
		t.Errorf("all containers = %v", got)
	}
}

func TestPrefixes(t *testing.T) {
	a, b := pod("web-a", corev1.PodRunning), pod("web-\x1b[2Jb", corev1.PodRunning)
	p := newPrefixer([]Target{{Pod: &a, Container: "app"}, {Pod: &a, Container: "proxy"}, {Pod: &b, Container: "app"}}, false)
	want := []string{"web-a app      ", "web-a proxy    ", `web-^[[2Jb app `}
	for i, w := range want {
		if got := p.prefix(i); got != w {
			t.Errorf("prefix %d = %q, want %q", i, got, w)
		}
	}
	p = newPrefixer([]Target{{Pod: &a, Container: "app"}, {Pod: &b, Container: "app"}}, true)
	if got := p.prefix(0); got != "\x1b[36mweb-a\x1b[0m      " {
		t.Errorf("coloured prefix = %q", got)
	}
	if got := p.prefix(1); !strings.HasPrefix(got, "\x1b[32m") {
		t.Errorf("second pod's colour = %q, want the palette's second", got)
	}
}

func TestUseColor(t *testing.T) {
	yes := func(any) bool { return true }
	t.Setenv("NO_COLOR", "")
	if !UseColor(nil, yes) {
		t.Error("a terminal with NO_COLOR empty: want colour")
	}
	if UseColor(nil, func(any) bool { return false }) {
		t.Error("not a terminal: want no colour")
	}
	t.Setenv("NO_COLOR", "1")
	if UseColor(nil, yes) {
		t.Error("NO_COLOR=1: want no colour")
	}
}

func TestCheckMaxParallel(t *testing.T) {
	for n, ok := range map[int]bool{0: false, 1: true, 10: true, 100: true, 101: false, -1: false} {
		if err := CheckMaxParallel(n); (err == nil) != ok {
			t.Errorf("CheckMaxParallel(%d) = %v", n, err)
		}
	}
}

func TestLongLineIsSplit(t *testing.T) {
	var out bytes.Buffer
	w := &LineWriter{Mu: &sync.Mutex{}, Dst: &out, Prefix: "p "}
	if _, err := w.Write(bytes.Repeat([]byte("x"), MaxLine+5)); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || len(lines[0]) != MaxLine+2 || lines[1] != "p xxxxx" {
		t.Errorf("got %d lines of %d and %d bytes", len(lines), len(lines[0]), len(lines[len(lines)-1]))
	}
}

// FuzzLineWriter: whatever the chunks, the output is the input's lines,
// each once, whole and prefixed (a last line without newline gets one).
func FuzzLineWriter(f *testing.F) {
	f.Add([]byte("ready\nsecond"), uint8(3))
	f.Add([]byte("\n\n\x1b[2J\n"), uint8(1))
	f.Add([]byte(""), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		var out bytes.Buffer
		w := &LineWriter{Mu: &sync.Mutex{}, Dst: &out, Prefix: "P "}
		chunk := int(step)%17 + 1
		for i := 0; i < len(in); i += chunk {
			if _, err := w.Write(in[i:min(i+chunk, len(in))]); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		var want bytes.Buffer
		for len(in) > 0 {
			i := bytes.IndexByte(in, '\n')
			line := in
			if i >= 0 {
				line, in = in[:i], in[i+1:]
			} else {
				in = nil
			}
			want.WriteString("P ")
			want.Write(line)
			want.WriteByte('\n')
		}
		if !bytes.Equal(out.Bytes(), want.Bytes()) {
			t.Errorf("got %q, want %q", out.Bytes(), want.Bytes())
		}
	})
}
