package fanout

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sberz/kubectl-eshell/pkg/escape"
)

// MaxLine is the longest line kept whole: a longer one (a program that
// never writes a newline) is written in pieces of this size, each with
// its prefix, so memory stays bounded.
const MaxLine = 64 << 10

// LineWriter writes whole lines to Dst, each preceded by Prefix. Lines of
// many writers that share Mu and Dst never interleave: each is one Write
// under Mu. A partial line waits for its end, or for Flush.
type LineWriter struct {
	Mu     *sync.Mutex
	Dst    io.Writer
	Prefix string
	buf    []byte
}

// Write buffers b and writes every line it completes.
func (w *LineWriter) Write(b []byte) (int, error) {
	w.Mu.Lock()
	defer w.Mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if err := w.emit(w.buf[:i+1]); err != nil {
			return 0, err
		}
		w.buf = w.buf[i+1:]
	}
	for len(w.buf) >= MaxLine {
		if err := w.emit(append(w.buf[:MaxLine:MaxLine], '\n')); err != nil {
			return 0, err
		}
		w.buf = w.buf[MaxLine:]
	}
	// Drop what was written, so the buffer does not keep the stream.
	w.buf = append([]byte(nil), w.buf...)
	return len(b), nil
}

// Flush writes a last line that had no newline, ending it with one.
func (w *LineWriter) Flush() {
	w.Mu.Lock()
	defer w.Mu.Unlock()
	if len(w.buf) > 0 {
		_ = w.emit(append(w.buf, '\n'))
		w.buf = nil
	}
}

func (w *LineWriter) emit(line []byte) error {
	out := make([]byte, 0, len(w.Prefix)+len(line))
	out = append(append(out, w.Prefix...), line...)
	_, err := w.Dst.Write(out)
	return err
}

// palette is the colours of pod names, in turn: no red, which reads as an
// error, and none that a dark or light background hides.
var palette = []string{"36", "32", "35", "33", "34", "96", "92", "95", "93", "94"}

// prefixer names targets: "POD " or, when some pod runs the command in
// more than one container, "POD CONTAINER ", padded to one width so the
// output lines up. Names come from the cluster, so they are escaped.
type prefixer struct {
	names  []string
	colors []string
	width  int
	color  bool
	// containers: the container is part of the prefix.
	containers bool
}

func newPrefixer(targets []Target, color bool) *prefixer {
	p := &prefixer{color: color}
	perPod := map[string]int{}
	for _, t := range targets {
		perPod[t.Pod.Name]++
		if perPod[t.Pod.Name] > 1 {
			p.containers = true
		}
	}
	podColor := map[string]string{}
	for _, t := range targets {
		name := escape.Line(t.Pod.Name)
		if p.containers {
			name += " " + escape.Line(t.Container)
		}
		c, ok := podColor[t.Pod.Name]
		if !ok {
			c = palette[len(podColor)%len(palette)]
			podColor[t.Pod.Name] = c
		}
		p.names = append(p.names, name)
		p.colors = append(p.colors, c)
		p.width = max(p.width, len(name))
	}
	return p
}

// prefix is target i's prefix, with its padding and separator.
func (p *prefixer) prefix(i int) string {
	name := p.names[i]
	pad := strings.Repeat(" ", p.width-len(name))
	if p.color {
		return fmt.Sprintf("\x1b[%sm%s\x1b[0m%s ", p.colors[i], name, pad)
	}
	return name + pad + " "
}

// UseColor reports whether prefixes are painted on w: a terminal, unless
// NO_COLOR is set to anything (https://no-color.org).
func UseColor(w any, isTerminal func(any) bool) bool {
	if v, ok := os.LookupEnv("NO_COLOR"); ok && v != "" {
		return false
	}
	return isTerminal(w)
}
