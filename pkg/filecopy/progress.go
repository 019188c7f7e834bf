package filecopy

import (
	"fmt"
	"io"
	"time"
)

// progressMin is the size from which a transfer shows a progress line:
// smaller ones are over before a line would help.
const progressMin = 4 << 20

// Progress prints one self-overwriting line (bytes, rate, ETA) to a
// terminal for each transfer of progressMin bytes or more.
type Progress struct {
	Out io.Writer
	// Now is the clock; tests replace it.
	Now func() time.Time

	size, done   int64
	start, shown time.Time
	active       bool
}

// Reader counts what is read from r as the transfer of size bytes.
func (p *Progress) Reader(r io.Reader, size int64) io.Reader {
	p.begin(size)
	return readerFunc(func(b []byte) (int, error) {
		n, err := r.Read(b)
		p.add(n)
		return n, err
	})
}

// Writer counts what is written to w as the transfer of size bytes.
func (p *Progress) Writer(w io.Writer, size int64) io.Writer {
	p.begin(size)
	return writerFunc(func(b []byte) (int, error) {
		n, err := w.Write(b)
		p.add(n)
		return n, err
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Progress) begin(size int64) {
	p.size, p.done, p.start, p.shown = size, 0, p.now(), time.Time{}
	p.active = size >= progressMin
}

func (p *Progress) add(n int) {
	p.done += int64(n)
	if !p.active {
		return
	}
	if now := p.now(); now.Sub(p.shown) >= 200*time.Millisecond {
		p.shown = now
		fmt.Fprintf(p.Out, "\r%s", p.Line(now))
	}
}

// Done ends the current transfer's line.
func (p *Progress) Done() {
	if p.active {
		fmt.Fprintf(p.Out, "\r%s\n", p.Line(p.now()))
		p.active = false
	}
}

// Line is the progress line at now: "12.0 MiB / 100.0 MiB  8.0 MiB/s  ETA 11s".
func (p *Progress) Line(now time.Time) string {
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed
	}
	eta := "--"
	if rate > 0 && p.size > p.done {
		eta = time.Duration(float64(p.size-p.done) / rate * float64(time.Second)).Round(time.Second).String()
	} else if p.size <= p.done {
		eta = "0s"
	}
	return fmt.Sprintf("%s / %s  %s/s  ETA %s   ", mib(p.done), mib(p.size), mib(int64(rate)), eta)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
