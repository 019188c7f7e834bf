package escape

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTerminal(t *testing.T) {
	for _, tc := range []struct{ in, terminal, line string }{
		{"web", "web", "web"},
		{"a\x1b]52;c;aGk=\x07b", `a^[]52;c;aGk=\x07b`, `a^[]52;c;aGk=\x07b`},
		{"note\x1b[2K\rfake", `note^[[2K\rfake`, `note^[[2K\rfake`},
		{"raw\x9b31m", "raw\ufffd31m", "raw\ufffd31m"},
		{"x\u009b31my", `x\u009b31my`, `x\u009b31my`},
		{"two\nlines\tand tab", "two\nlines\tand tab", `two\nlines\tand tab`},
		{"del\x7f, bell\x07, ünïcode", `del\x7f, bell\x07, ünïcode`, `del\x7f, bell\x07, ünïcode`},
	} {
		if got := Terminal(tc.in); got != tc.terminal {
			t.Errorf("Terminal(%q) = %q, want %q", tc.in, got, tc.terminal)
		}
		if got := Line(tc.in); got != tc.line {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.line)
		}
	}
}

// Nothing a terminal acts on survives, whatever the input.
func FuzzTerminal(f *testing.F) {
	f.Add("a\x1b]52;c;aGk=\x07b\u009b\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		out := Line(in)
		if !utf8.ValidString(out) || strings.ContainsFunc(out, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }) {
			t.Fatalf("Line(%q) = %q holds a control character", in, out)
		}
	})
}
