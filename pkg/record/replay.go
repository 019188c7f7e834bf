package record

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Player plays a recording's output back.
type Player struct {
	// Speed divides every pause: 2 plays twice as fast.
	Speed float64
	// IdleLimit caps each pause (as recorded, before Speed); 0 takes the
	// file's idle_time_limit, and no cap when it has none.
	IdleLimit time.Duration
	// Sleep waits d or until ctx ends; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Replay reads an asciicast v2 recording from in and writes its output
// events to out with their pauses. A file that is not asciicast v2, or a
// malformed event, is an error naming its line; input events are not
// shown, as asciinema's player does not show them.
func (p Player) Replay(ctx context.Context, in io.Reader, out io.Writer) error {
	if p.Speed <= 0 {
		return fmt.Errorf("--speed must be more than 0, e.g. 2 for twice as fast")
	}
	sleep := p.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	h, err := readHeader(sc)
	if err != nil {
		return err
	}
	limit := p.IdleLimit
	if limit == 0 && h.IdleTimeLimit > 0 {
		limit = time.Duration(h.IdleTimeLimit * float64(time.Second))
	}
	// shown is the time of the last output event: the pauses of events
	// not shown (input, resizes) belong to the next one that is.
	var last, shown float64
	for n := 2; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		at, kind, data, err := ParseEvent(sc.Bytes())
		if err != nil {
			return fmt.Errorf("line %d of the recording: %w", n, err)
		}
		if at < last {
			return fmt.Errorf("line %d of the recording: time %.6f is before the previous event's %.6f", n, at, last)
		}
		last = at
		if kind != Output {
			continue
		}
		pause := time.Duration((at - shown) * float64(time.Second))
		shown = at
		if limit > 0 && pause > limit {
			pause = limit
		}
		if err := sleep(ctx, time.Duration(float64(pause)/p.Speed)); err != nil {
			return err
		}
		if _, err := io.WriteString(out, data); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the recording: %w", err)
	}
	return nil
}

// readHeader reads and checks the first line.
func readHeader(sc *bufio.Scanner) (Header, error) {
	var h Header
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return h, fmt.Errorf("reading the recording: %w", err)
		}
		return h, fmt.Errorf("the recording is empty: give an asciicast v2 file, as written by --record")
	}
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		return h, fmt.Errorf("line 1 of the recording is not an asciicast header (%v): give an asciicast v2 file, as written by --record", err)
	}
	if h.Version != 2 {
		return h, fmt.Errorf("the recording is asciicast version %d; only version 2 is supported", h.Version)
	}
	if h.Width <= 0 || h.Height <= 0 {
		return h, fmt.Errorf("the recording's header has no terminal size (width %d, height %d): it is not a valid asciicast v2 file", h.Width, h.Height)
	}
	return h, nil
}

// ParseEvent reads one event line: [time, type, data], time in seconds
// (not negative), type a non-empty string.
func ParseEvent(line []byte) (at float64, kind, data string, err error) {
	var ev []json.RawMessage
	if err := json.Unmarshal(line, &ev); err != nil {
		return 0, "", "", fmt.Errorf("not an event [time, type, data]: %w", err)
	}
	if len(ev) != 3 {
		return 0, "", "", fmt.Errorf("an event has 3 fields [time, type, data], this one %d", len(ev))
	}
	if err := json.Unmarshal(ev[0], &at); err != nil || at < 0 {
		return 0, "", "", fmt.Errorf("an event's time is seconds since the start, not %s", ev[0])
	}
	if err := json.Unmarshal(ev[1], &kind); err != nil || kind == "" {
		return 0, "", "", fmt.Errorf("an event's type is a string like \"o\", not %s", ev[1])
	}
	if err := json.Unmarshal(ev[2], &data); err != nil {
		return 0, "", "", fmt.Errorf("an event's data is a string, not %s", ev[2])
	}
	return at, kind, data, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
