// Package escape makes text that comes from the cluster safe to print on a
// terminal. Annotations, user names, pod messages and error texts are
// written by whoever may edit an object; printed raw, an escape sequence in
// them can write the user's clipboard (OSC 52), retitle the window, or
// move the cursor to hide or fake a line of eshell's own output.
package escape

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"k8s.io/cli-runtime/pkg/printers"
)

// Terminal returns s with every control character made visible: ESC and
// CR as kubectl prints them (printers.EscapeTerminal: "^[", "\r"), the
// other C0 and C1 controls and DEL as Go escapes (\x07, \u009b). Newlines
// and tabs stay, for multi-line messages; use Line for one line.
func Terminal(s string) string {
	s = printers.EscapeTerminal(s)
	// A byte that is no UTF-8 (a lone 0x9b, 8-bit CSI) is written as
	// U+FFFD by the loop below, so an invalid string takes it too.
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unsafe) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafe(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// Line is Terminal for text that must stay on one line (a table cell, a
// picker row, a name in a message): newlines and tabs are escaped too, so
// cluster text cannot start a line that looks like eshell's.
func Line(s string) string {
	return strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(Terminal(s))
}

// unsafe reports whether r is a control character a terminal acts on:
// C0 but newline and tab, DEL, and C1 (U+0080 to U+009F, which some
// terminals read as 8-bit CSI and OSC).
func unsafe(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f)
}
