package picker

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// Ask keeps the answer's case, trims it, and reads no further than its
// line: what follows belongs to the session.
func TestAsk(t *testing.T) {
	in := strings.NewReader("  INC-7 Cache Misses \nls /\n")
	var out bytes.Buffer
	if got := Ask(in, &out, "Reason: "); got != "INC-7 Cache Misses" {
		t.Errorf("Ask = %q", got)
	}
	if out.String() != "Reason: " {
		t.Errorf("asked %q", out.String())
	}
	if rest, _ := io.ReadAll(in); string(rest) != "ls /\n" {
		t.Errorf("left %q for the session, want the next line", rest)
	}
	if got := Ask(strings.NewReader(""), io.Discard, "Reason: "); got != "" {
		t.Errorf("Ask at EOF = %q", got)
	}
}
