package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Sample is one timed run of a command.
type Sample struct {
	Name string
	// First is the time from start until the marker line appeared on
	// stdout; negative when it never did.
	First time.Duration
	Total time.Duration
	Code  int
	// Out is how many bytes arrived on stdout.
	Out    int64
	Stderr string
	Err    error
	// CPU is the user and system time the process used.
	CPU time.Duration
	// Started is when the process was started (wall clock, for timelines).
	Started time.Time
	// Lines are stderr's lines with their arrival after the start, to put
	// eshell's progress messages (which carry no timestamp) on a timeline.
	Lines []TimedLine
	head  []byte
}

// TimedLine is one line of stderr and when it arrived.
type TimedLine struct {
	At   time.Duration
	Text string
}

// Stdout is the start (up to 64 KiB) of what the run wrote to stdout.
func (s Sample) Stdout() string { return string(s.head) }

// OK is a run that started and exited 0.
func (s Sample) OK() bool { return s.Err == nil && s.Code == 0 }

// Seen is a run whose marker appeared.
func (s Sample) Seen() bool { return s.First >= 0 }

// Runner starts the commands under test with one environment.
type Runner struct {
	Env []string
	// Log receives one line per run (progress on stderr).
	Log io.Writer
}

// Run starts argv, feeds stdin (nil: /dev/null), watches stdout for a line
// equal to marker ("" watches nothing) and waits at most timeout. stderr is
// kept (up to 4 MiB) for request counting and error messages.
func (r *Runner) Run(ctx context.Context, name string, timeout time.Duration, stdin io.Reader, marker string, argv ...string) Sample {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = r.Env
	cmd.Stdin = stdin
	// Its own process group, so a timeout ends everything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	s := Sample{Name: name, First: -1}
	if err != nil {
		s.Err = err
		return s
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		s.Err = err
		return s
	}
	start := time.Now()
	s.Started = start
	if err := cmd.Start(); err != nil {
		s.Err = err
		return s
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.Out, s.First, s.head = scan(out, marker, start)
	}()
	var stderr string
	go func() {
		defer wg.Done()
		stderr, s.Lines = lines(errPipe, start, 4<<20)
	}()
	wg.Wait() // the pipes are closed when the process (group) exits
	err = cmd.Wait()
	s.Total = time.Since(start)
	s.Stderr = stderr
	if cmd.ProcessState != nil {
		s.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		s.Code = ee.ExitCode()
		if ctx.Err() != nil {
			s.Err = fmt.Errorf("timed out after %s", timeout)
		}
	case err != nil:
		s.Err = err
	}
	if r.Log != nil {
		first := "-"
		if s.Seen() {
			first = ms(s.First)
		}
		status := fmt.Sprintf("exit %d", s.Code)
		if s.Err != nil {
			status = s.Err.Error()
		}
		fmt.Fprintf(r.Log, "  %-28s first %-9s total %-9s %s\n", name, first, ms(s.Total), status)
	}
	return s
}

// scan counts stdout, keeps its first 64 KiB and notes when a line equal
// to marker arrives.
func scan(r io.Reader, marker string, start time.Time) (int64, time.Duration, []byte) {
	first := time.Duration(-1)
	var n int64
	var head []byte
	buf := make([]byte, 64<<10)
	want := []byte("\n" + marker)
	window := []byte("\n") // the start of output counts as a line start
	for {
		k, err := r.Read(buf)
		if k > 0 {
			n += int64(k)
			if room := 64<<10 - len(head); room > 0 {
				head = append(head, buf[:min(k, room)]...)
			}
			if marker != "" && first < 0 {
				window = append(window, buf[:k]...)
				if i := bytes.Index(window, want); i >= 0 {
					after := window[i+len(want):]
					if len(after) > 0 && (after[0] == '\n' || after[0] == '\r') {
						first = time.Since(start)
					}
				}
				if first < 0 && len(window) > 2*len(want)+2 {
					window = append(window[:0], window[len(window)-len(want)-1:]...)
				}
			}
		}
		if err != nil {
			return n, first, head
		}
	}
}

// lines reads r to the end, keeping up to max bytes and each line with
// its arrival after start.
func lines(r io.Reader, start time.Time, max int) (string, []TimedLine) {
	var all strings.Builder
	var out []TimedLine
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			at := time.Since(start)
			if all.Len() < max {
				all.WriteString(line)
				out = append(out, TimedLine{At: at, Text: strings.TrimRight(line, "\r\n")})
			}
		}
		if err != nil {
			return all.String(), out
		}
	}
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func zeroStream(n int64) io.Reader { return io.LimitReader(zeros{}, n) }

func ms(d time.Duration) string {
	return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
}

// tail is the last lines of s, for error messages.
func tail(s string, lines int) string {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, " | ")
}

func environ(extra ...string) []string {
	return append(os.Environ(), extra...)
}
