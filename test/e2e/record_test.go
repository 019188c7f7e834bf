package e2e

// Recordings: a terminal session recorded as asciicast v2 (the file
// checked line by line against the format), played back by replay; the
// start Event says a recording was made, not where.

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// cast is a recording as read back by the rules of asciicast v2.
type cast struct {
	header map[string]any
	// out and in are the data of the "o" and "i" events, in order.
	out, in string
	events  int
}

// readCast checks path against asciicast v2: a header object with
// version 2, positive integer width and height, a timestamp and an env
// object; then one [time, type, data] array a line, time a number not
// below the previous one, type "o" or "i", data a string.
func readCast(t *testing.T, path string) cast {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	if !sc.Scan() {
		t.Fatalf("%s is empty", path)
	}
	var c cast
	if err := json.Unmarshal(sc.Bytes(), &c.header); err != nil {
		t.Fatalf("header %q: %v", sc.Text(), err)
	}
	for _, k := range []string{"version", "width", "height", "timestamp"} {
		n, ok := c.header[k].(float64)
		if !ok || n <= 0 || n != float64(int64(n)) {
			t.Errorf("header field %s = %v, want a positive integer", k, c.header[k])
		}
	}
	if c.header["version"] != float64(2) {
		t.Errorf("header version %v, want 2", c.header["version"])
	}
	if _, ok := c.header["env"].(map[string]any); !ok {
		t.Errorf("header env %v, want an object", c.header["env"])
	}
	last := 0.0
	for sc.Scan() {
		var ev []any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || len(ev) != 3 {
			t.Fatalf("event %q is not [time, type, data]: %v", sc.Text(), err)
		}
		at, ok1 := ev[0].(float64)
		kind, ok2 := ev[1].(string)
		data, ok3 := ev[2].(string)
		if !ok1 || !ok2 || !ok3 || at < last || (kind != "o" && kind != "i") {
			t.Fatalf("event %q: want [time not before %f, \"o\" or \"i\", string]", sc.Text(), last)
		}
		last = at
		c.events++
		if kind == "o" {
			c.out += data
		} else {
			c.in += data
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRecordAndReplay(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, false)
	dir := t.TempDir()
	path := filepath.Join(dir, "session.cast")
	term := f.Pty("deploy/web", "--mode", "exec", "--record", path)
	term.Expect(framework.Prompt, 30*time.Second)
	term.Type("echo rec-$((6*7))\r")
	term.Expect(`rec-42`, 10*time.Second)
	term.Type("exit\r")
	if code := term.Wait(30 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	term.Expect(`Recorded the session in `+path, 5*time.Second)
	c := readCast(t, path)
	if c.header["width"] != float64(120) || c.header["height"] != float64(30) {
		t.Errorf("header size %vx%v, want the terminal's 120x30", c.header["width"], c.header["height"])
	}
	if !strings.Contains(c.out, "rec-42") || c.in != "" {
		t.Errorf("recorded output %q (want rec-42 in it), input %q (want none without --record-input)", c.out, c.in)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("recording mode %v, %v; want 0600", fi, err)
	}
	// The start Event says the session was recorded, not where.
	f.Eventually("the start Event", 30*time.Second, func() bool { return len(startEvents(f)) == 1 })
	for _, ev := range startEvents(f) {
		if !strings.Contains(ev, "recorded by the client") || strings.Contains(ev, dir) {
			t.Errorf("start Event %q: want that it was recorded, without the path", ev)
		}
	}

	// replay shows exactly the recorded output; the pauses capped.
	began := time.Now()
	r := f.Run(f.Cmd(f.Plugin, "replay", path, "--speed", "4", "--idle-limit", "100ms"), "")
	if r.Code != 0 || r.Stdout != c.out {
		t.Errorf("replay: exit %d, output %q, want the recorded %q", r.Code, r.Stdout, c.out)
	}
	if took, most := time.Since(began), time.Duration(c.events)*25*time.Millisecond+3*time.Second; took > most {
		t.Errorf("replay took %s with %d events at most 25ms apart", took, c.events)
	}

	// An existing file is never replaced: refused before the session.
	r = f.Eshell("", "deploy/web", "--mode", "exec", "--record", path, "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "the file exists") {
		t.Errorf("--record over an existing file: %+v", r)
	}
	if n := len(startEvents(f)); n != 1 {
		t.Errorf("the refused session recorded a start Event (%d)", n)
	}
	// Without a terminal stdout and stderr are recorded, as 80x24.
	piped := filepath.Join(dir, "piped.cast")
	if r := f.Eshell("", "deploy/web", "--mode", "exec", "--record", piped, "--", "sh", "-c", "echo to-out; echo to-err >&2"); r.Code != 0 {
		t.Fatalf("piped session: %+v", r)
	}
	if p := readCast(t, piped); p.header["width"] != float64(80) || p.header["height"] != float64(24) ||
		!strings.Contains(p.out, "to-out") || !strings.Contains(p.out, "to-err") {
		t.Errorf("piped recording %v: %q", p.header, p.out)
	}
	// A file that is not a recording.
	if r := f.Run(f.Cmd(f.Plugin, "replay", filepath.Join(f.Root, "go.mod")), ""); r.Code != 1 || !strings.Contains(r.Stderr, "not an asciicast header") {
		t.Errorf("replay of go.mod: %+v", r)
	}
}

// --record-input records the keys as "i" events; record.dir and
// record.required in the config file record every session, and refuse
// one with nowhere to go.
func TestRecordInputAndConfig(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, false)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("record:\n  dir: "+dir+"\n  required: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	term := f.Pty("--config", cfg, "deploy/web", "--mode", "exec", "--record-input")
	term.Expect(framework.Prompt, 30*time.Second)
	term.Type("echo typed-$((1+1))\r")
	term.Expect(`typed-2`, 10*time.Second)
	term.Type("exit\r")
	if code := term.Wait(30 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	casts, _ := filepath.Glob(filepath.Join(dir, "*.cast"))
	if len(casts) != 1 {
		t.Fatalf("record.dir holds %v, want one recording", casts)
	}
	c := readCast(t, casts[0])
	if !strings.Contains(c.in, "echo typed-$((1+1))\r") || !strings.Contains(c.out, "typed-2") {
		t.Errorf("input %q, output %q: want the typed line and its output", c.in, c.out)
	}
	// required with no directory: refused before anything is created.
	if err := os.WriteFile(cfg, []byte("record:\n  required: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := f.Eshell("", "--config", cfg, "deploy/web", "--mode", "exec", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "record.required") {
		t.Errorf("record.required without a place: %+v", r)
	}
	if n := len(startEvents(f)); n != 1 {
		t.Errorf("%d start Events, want only the recorded session's", n)
	}
}
