package record

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newAt(t *testing.T, w *bytes.Buffer, c *clock, h Header) *Recorder {
	t.Helper()
	r, err := New(w, h)
	if err != nil {
		t.Fatal(err)
	}
	r.start, r.Now = c.t, c.now
	return r
}

func TestRecorderWritesAsciicastV2(t *testing.T) {
	c := &clock{time.Unix(1700000000, 0)}
	var buf bytes.Buffer
	r := newAt(t, &buf, c, Header{Width: 120, Height: 30, Timestamp: 1700000000, Env: map[string]string{"TERM": "xterm-256color", "SHELL": "/bin/bash"}})
	c.t = c.t.Add(1500 * time.Millisecond)
	_, _ = r.Writer(Output).Write([]byte("$ ls <dir> & \"q\"\r\n"))
	_, _ = r.Writer(Input).Write([]byte("l"))
	// é (c3 a9) cut in two writes: one event with the whole rune.
	c.t = c.t.Add(time.Millisecond)
	_, _ = r.Writer(Output).Write([]byte("caf\xc3"))
	c.t = c.t.Add(time.Millisecond)
	_, _ = r.Writer(Output).Write([]byte("\xa9\x1b[0m"))
	_, _ = r.Writer(Output).Write([]byte("end\xe2\x82")) // cut off for good: written on Close
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	want := `{"version":2,"width":120,"height":30,"timestamp":1700000000,"env":{"SHELL":"/bin/bash","TERM":"xterm-256color"}}
[1.500000, "o", "$ ls <dir> & \"q\"\r\n"]
[1.500000, "i", "l"]
[1.501000, "o", "caf"]
[1.502000, "o", "é\u001b[0m"]
[1.502000, "o", "end"]
[1.502000, "o", "\ufffd\ufffd"]
`
	if got := buf.String(); got != want {
		t.Errorf("recording:\n%s\nwant:\n%s", got, want)
	}
	// Every event line is valid JSON, as asciinema reads it.
	for i, l := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
		if _, _, _, err := ParseEvent([]byte(l)); err != nil {
			t.Errorf("event %d %q: %v", i, l, err)
		}
	}
}

func TestRecorderConcurrentWriters(t *testing.T) {
	var buf bytes.Buffer
	r, err := New(&buf, Header{Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, kind := range []string{Output, Input} {
		wg.Go(func() {
			for range 200 {
				_, _ = r.Writer(kind).Write([]byte("ab"))
			}
		})
	}
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 401 {
		t.Fatalf("%d lines, want the header and 400 events", len(lines))
	}
	for _, l := range lines[1:] {
		if _, _, data, err := ParseEvent([]byte(l)); err != nil || data != "ab" {
			t.Fatalf("event %q: %q, %v", l, data, err)
		}
	}
}

type failing struct{ n int }

func (f *failing) Write(b []byte) (int, error) {
	if f.n--; f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

// A failed write does not fail the session's writer; Close reports it.
func TestRecorderWriteErrorOnClose(t *testing.T) {
	r, err := New(&failing{n: 1}, Header{Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Writer(Output).Write([]byte("x")); n != 1 || err != nil {
		t.Fatalf("Write = %d, %v; the session's output must not fail", n, err)
	}
	if err := r.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Close = %v, want the write error", err)
	}
}

func TestCreateNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.cast")
	r, err := Create(path, Header{Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("recording file %v, %v; want mode 0600", fi, err)
	}
	if _, err := Create(path, Header{Width: 80, Height: 24}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("Create over an existing file: %v", err)
	}
}

func TestReplay(t *testing.T) {
	rec := `{"version": 2, "width": 80, "height": 24, "idle_time_limit": 1.5}
[0.5, "o", "a"]
[0.6, "i", "typed"]
[4.6, "o", "b"]

[4.7, "r", "100x40"]
[5.0, "o", "c\r\n"]
`
	for _, tc := range []struct {
		name   string
		player Player
		want   []time.Duration
	}{
		{"the file's idle limit", Player{Speed: 1}, []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, 400 * time.Millisecond}},
		{"--idle-limit and --speed", Player{Speed: 2, IdleLimit: time.Second}, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 200 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var slept []time.Duration
			tc.player.Sleep = func(_ context.Context, d time.Duration) error {
				slept = append(slept, d.Round(time.Millisecond))
				return nil
			}
			var out bytes.Buffer
			if err := tc.player.Replay(context.Background(), strings.NewReader(rec), &out); err != nil {
				t.Fatal(err)
			}
			if out.String() != "abc\r\n" {
				t.Errorf("output %q, want only the output events", out.String())
			}
			if len(slept) != len(tc.want) {
				t.Fatalf("pauses %v, want %v", slept, tc.want)
			}
			for i := range slept {
				if slept[i] != tc.want[i] {
					t.Errorf("pauses %v, want %v", slept, tc.want)
				}
			}
		})
	}
}

func TestReplayErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "the recording is empty"},
		{"hello\n", "line 1 of the recording is not an asciicast header"},
		{`{"version": 1, "width": 80, "height": 24}` + "\n", "asciicast version 1; only version 2"},
		{`{"version": 2}` + "\n", "no terminal size"},
		{`{"version": 2, "width": 80, "height": 24}` + "\n[1, \"o\"]\n", "line 2 of the recording: an event has 3 fields"},
		{`{"version": 2, "width": 80, "height": 24}` + "\n[2, \"o\", \"a\"]\n[1, \"o\", \"b\"]\n", "line 3 of the recording: time 1.000000 is before"},
		{`{"version": 2, "width": 80, "height": 24}` + "\n[-1, \"o\", \"a\"]\n", "seconds since the start"},
	} {
		err := Player{Speed: 1, Sleep: func(context.Context, time.Duration) error { return nil }}.Replay(context.Background(), strings.NewReader(tc.in), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Replay(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	if err := (Player{}).Replay(context.Background(), strings.NewReader(""), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--speed") {
		t.Errorf("speed 0: %v", err)
	}
}

// FuzzReplay: a recording written by Recorder plays back exactly what was
// written to its output, whatever the bytes; any input never panics.
func FuzzReplay(f *testing.F) {
	f.Add([]byte("hello \xc3\xa9\x1b[0m"), []byte("x"))
	f.Add([]byte("\xff\xfe"), []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var buf bytes.Buffer
		r, err := New(&buf, Header{Width: 80, Height: 24})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = r.Writer(Output).Write(a)
		_, _ = r.Writer(Input).Write(b)
		_, _ = r.Writer(Output).Write(b)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		p := Player{Speed: 1, Sleep: func(context.Context, time.Duration) error { return nil }}
		if err := p.Replay(context.Background(), bytes.NewReader(buf.Bytes()), &out); err != nil {
			t.Fatalf("replaying our own recording: %v\n%s", err, buf.String())
		}
		// Valid UTF-8 comes back as it was; invalid bytes as U+FFFD (how
		// many depends on where writes cut them, so they are left out).
		clean := func(s string) string { return strings.ReplaceAll(strings.ToValidUTF8(s, "\ufffd"), "\ufffd", "") }
		if got, want := clean(out.String()), clean(string(a)+string(b)); got != want {
			t.Fatalf("replayed %q, want %q", got, want)
		}
		// Arbitrary input: an error or output, never a panic.
		_ = p.Replay(context.Background(), bytes.NewReader(append(a, b...)), &bytes.Buffer{})
	})
}

func TestSettingsPath(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.cast")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 8, 45, 1, 0, time.UTC)
	for _, tc := range []struct {
		name string
		s    Settings
		want string // "" none; starting with "error:" an error containing the rest
	}{
		{"nothing asked", Settings{}, ""},
		{"--record", Settings{File: filepath.Join(dir, "s.cast")}, filepath.Join(dir, "s.cast")},
		{"--record over the dir", Settings{File: filepath.Join(dir, "s.cast"), Dir: "/nowhere"}, filepath.Join(dir, "s.cast")},
		{"record.dir", Settings{Dir: dir, Required: true}, filepath.Join(dir, "20261203T084501Z-x7k2p.cast")},
		{"required, nowhere", Settings{Required: true}, "error:record.required"},
		{"input alone", Settings{Input: true}, "error:--record-input records the keys"},
		{"existing file", Settings{File: existing}, "error:the file exists"},
		{"missing directory", Settings{File: filepath.Join(dir, "no", "s.cast")}, "error:does not exist"},
		{"missing record.dir", Settings{Dir: filepath.Join(dir, "no")}, "error:record.dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.Path("x7k2p", now)
			if want, ok := strings.CutPrefix(tc.want, "error:"); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("Path() = %q, %v; want an error with %q", got, err, want)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Path() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
