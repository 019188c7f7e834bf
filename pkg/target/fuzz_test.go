package target

import (
	"strings"
	"testing"
)

// Whatever the user types as a target, ParseRef neither panics nor
// returns an empty name, and a refusal is one line.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"deploy/web", "web", "svc/web", "statefulsets.apps/db", "/", "a/b/c", "deploy/", "\x1b[2J"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseRef(%q): refusal is not one line: %q", s, err)
			}
			return
		}
		if r.Name == "" {
			t.Fatalf("ParseRef(%q) = %+v: no name", s, r)
		}
	})
}
