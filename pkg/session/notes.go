package session

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sberz/kubectl-eshell/pkg/escape"
)

// Note writes one progress line to out (nil: --quiet, nothing). Names,
// kubelet reasons and API errors in it come from the cluster: escaped to
// one line each, none can fake or hide a line of eshell's.
func Note(out io.Writer, format string, args ...any) {
	if out != nil {
		fmt.Fprintln(out, escape.Line(fmt.Sprintf(format, args...)))
	}
}

// Notes are the progress lines of a session that may also show a spinner
// on the same terminal: a line clears the spinner's first, so the two
// never mix. The zero value is ready; Out nil writes nothing.
type Notes struct {
	Out io.Writer

	mu      sync.Mutex
	spinner string // the line the spinner currently shows, to clear it
}

// Say writes one progress line (see Note).
func (n *Notes) Say(format string, args ...any) {
	if n.Out == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.clearSpinner()
	Note(n.Out, format, args...)
}

// Spin redraws one line, a frame and what label returns for the time
// waited so far, until stop is closed, then clears it. Meant for a
// terminal: it rewrites its line with "\r\033[K".
func (n *Notes) Spin(label func(waited time.Duration) string, stop <-chan struct{}) {
	if n.Out == nil {
		return
	}
	frames := `|/-\`
	start := time.Now()
	t := time.NewTicker(120 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			n.mu.Lock()
			n.clearSpinner()
			n.mu.Unlock()
			return
		case <-t.C:
		}
		n.mu.Lock()
		// The label is often the cluster's text (a kubelet reason):
		// escaped, so only the spinner's own "\r\033[K" moves the cursor.
		n.spinner = escape.Line(fmt.Sprintf("%c %s", frames[i%len(frames)], label(time.Since(start))))
		fmt.Fprint(n.Out, "\r\033[K"+n.spinner)
		n.mu.Unlock()
	}
}

// clearSpinner erases the spinner's line; n.mu is held.
func (n *Notes) clearSpinner() {
	if n.spinner != "" {
		fmt.Fprint(n.Out, "\r\033[K")
		n.spinner = ""
	}
}
