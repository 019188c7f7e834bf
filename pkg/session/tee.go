package session

import (
	"io"

	"k8s.io/client-go/tools/remotecommand"
)

// Tee receives copies of a session's streams, for a recording (package
// record). Its writers must not fail: a recording must never break the
// session it records. The zero Tee copies nothing.
type Tee struct {
	// Out receives what the remote process shows (stdout, and stderr when
	// there is no terminal).
	Out io.Writer
	// In receives what is sent to the remote process; nil: input is not
	// copied.
	In io.Writer
}

// apply copies opts' output streams and in through t. The terminal itself
// stays s.Out (an *os.File), so raw mode and the window size still work.
func (t Tee) apply(opts *remotecommand.StreamOptions, in io.Reader) io.Reader {
	if t.Out != nil {
		opts.Stdout = io.MultiWriter(opts.Stdout, t.Out)
		if opts.Stderr != nil {
			opts.Stderr = io.MultiWriter(opts.Stderr, t.Out)
		}
	}
	if t.In != nil && in != nil {
		in = io.TeeReader(in, t.In)
	}
	return in
}
