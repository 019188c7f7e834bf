// Package record writes a session's terminal as an asciicast v2 file
// (asciinema's format: a header line of JSON, then one JSON array per
// event, [seconds, "o" or "i", data]) and plays one back.
//
// The recording is made on the client, from the bytes the session shows
// and, when asked, the keys it sends. It is therefore as trustworthy as the
// machine it is written on: whoever controls that machine can leave it out
// or edit it. It is a record for post-mortems and for sharing, not
// tamper-proof evidence; the audit Events on the server note that a
// recording was made.
package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Header is the first line of an asciicast v2 file.
type Header struct {
	Version   int               `json:"version"`
	Width     int               `json:"width"`
	Height    int               `json:"height"`
	Timestamp int64             `json:"timestamp,omitempty"`
	Title     string            `json:"title,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	// IdleTimeLimit caps pauses on replay, in seconds; 0 is no cap.
	IdleTimeLimit float64 `json:"idle_time_limit,omitempty"`
}

// Event types of asciicast v2 that eshell writes.
const (
	Output = "o"
	Input  = "i"
)

// Recorder writes the events of one session. Its writers are safe for
// concurrent use (output and input come from different goroutines), and
// they never fail: a recording that cannot be written must not break the
// session it records. Close reports the first write error.
type Recorder struct {
	mu    sync.Mutex
	w     io.Writer
	close func() error
	start time.Time
	// Now returns the current time; tests replace it.
	Now func() time.Time
	// pending holds, per event type, the start of a UTF-8 sequence that a
	// write cut off: asciicast data is a JSON string, and a rune split
	// across two events would be replaced with U+FFFD in each.
	pending map[string][]byte
	err     error
}

// Create creates the file path, never replacing an existing one (a
// recording is a record; overwriting one loses another), readable by its
// owner only (it holds whatever the session showed), and writes h to it.
func Create(path string, h Header) (*Recorder, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("recording %s: the file exists; choose another name or remove it", path)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the recording: %w; choose a writable path with --record", err)
	}
	r, err := New(f, h)
	if err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	r.close = f.Close
	return r, nil
}

// New writes h (as version 2, stamped now when it has no timestamp) to w
// and returns the Recorder of its events.
func New(w io.Writer, h Header) (*Recorder, error) {
	r := &Recorder{w: w, Now: time.Now, pending: map[string][]byte{}}
	r.start = r.Now()
	h.Version = 2
	if h.Timestamp == 0 {
		h.Timestamp = r.start.Unix()
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("writing the recording: %w", err)
	}
	return r, nil
}

// Writer returns the writer of events of type kind (Output or Input).
func (r *Recorder) Writer(kind string) io.Writer { return stream{r, kind} }

type stream struct {
	r    *Recorder
	kind string
}

func (s stream) Write(b []byte) (int, error) {
	s.r.event(s.kind, b)
	return len(b), nil
}

func (r *Recorder) event(kind string, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	data := slices.Concat(r.pending[kind], b)
	cut := completeRunes(data)
	r.pending[kind] = append([]byte(nil), data[cut:]...)
	r.write(kind, data[:cut])
}

// write appends one event; the caller holds mu.
func (r *Recorder) write(kind string, data []byte) {
	if len(data) == 0 || r.err != nil {
		return
	}
	var line bytes.Buffer
	line.WriteByte('[')
	line.WriteString(strconv.FormatFloat(r.Now().Sub(r.start).Seconds(), 'f', 6, 64))
	line.WriteString(`, "` + kind + `", `)
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false) // "<" stays "<": the file is read by people too
	_ = enc.Encode(string(data))
	line.Truncate(line.Len() - 1) // Encode ends with a newline
	line.WriteString("]\n")
	if _, err := r.w.Write(line.Bytes()); err != nil {
		r.err = fmt.Errorf("writing the recording: %w", err)
	}
}

// completeRunes is how much of b ends on a whole UTF-8 sequence: b less
// the start of a sequence that the next write completes. Bytes that are
// no valid start are left to json, which replaces them.
func completeRunes(b []byte) int {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return len(b) - k
			}
			break
		}
	}
	return len(b)
}

// Close writes what a cut-off sequence left pending, closes the file and
// returns the first error the recording met.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, kind := range []string{Output, Input} {
		r.write(kind, r.pending[kind])
		r.pending[kind] = nil
	}
	if r.close != nil {
		if err := r.close(); err != nil && r.err == nil {
			r.err = fmt.Errorf("closing the recording: %w", err)
		}
		r.close = nil
	}
	return r.err
}
