package mode

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, m := range All() {
		if got, err := Parse(string(m)); err != nil || got != m {
			t.Errorf("Parse(%q) = %q, %v", m, got, err)
		}
		if m.Description() == "" {
			t.Errorf("%s has no description", m)
		}
	}
	for _, bad := range []string{"", "ssh", "Clone"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "use one of clone, debug or exec") {
			t.Errorf("Parse(%q) = %v, want an error naming the modes", bad, err)
		}
	}
}
