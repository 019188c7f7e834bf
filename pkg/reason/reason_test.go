package reason

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

func TestSettle(t *testing.T) {
	ticket := Policy{Required: true, Pattern: `^[A-Z]+-[0-9]+`}
	tests := []struct {
		name    string
		given   string
		policy  Policy
		answer  *string // nil: no terminal
		want    string
		wantErr string
	}{
		{name: "nothing asked, nothing given", want: ""},
		{name: "given, trimmed", given: "  looking at logs ", want: "looking at logs"},
		{name: "required and missing, no terminal", policy: Policy{Required: true}, wantErr: "a reason is required"},
		{name: "required, missing, given blank", given: "   ", policy: Policy{Required: true}, wantErr: "pass --reason"},
		{name: "required, asked", policy: ticket, answer: new("OPS-7 cache"), want: "OPS-7 cache"},
		{name: "required, asked, blank answer", policy: ticket, answer: new(""), wantErr: "a reason is required"},
		{name: "required, asked, malformed answer", policy: ticket, answer: new("because"), wantErr: "does not match"},
		{name: "pattern only, given malformed", given: "fixing", policy: Policy{Pattern: `^[A-Z]+-[0-9]+`}, wantErr: "does not match the config file's reasonPattern ^[A-Z]+-[0-9]+"},
		{name: "pattern only, none given", policy: Policy{Pattern: `^[A-Z]+-[0-9]+`}, want: ""},
		{name: "given wins over the question", given: "INC-1", policy: ticket, answer: new("OPS-2"), want: "INC-1"},
		{name: "two lines", given: "a\nb", wantErr: "control character"},
		{name: "escape", given: "a\x1b[2Jb", wantErr: "control character"},
		{name: "too long", given: strings.Repeat("x", MaxLen+1), wantErr: "keep it to 256"},
		{name: "longest", given: strings.Repeat("x", MaxLen), want: strings.Repeat("x", MaxLen)},
		{name: "bad utf-8", given: "a\xffb", wantErr: "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ask Ask
			asked := 0
			if tt.answer != nil {
				ask = func(q string) (string, error) {
					asked++
					if tt.policy.Pattern != "" && !strings.Contains(q, tt.policy.Pattern) {
						t.Errorf("question %q does not name the pattern", q)
					}
					return *tt.answer, nil
				}
			}
			got, err := Settle(tt.given, tt.policy, ask)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Settle() = %q, %v; want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Settle() = %q, %v; want %q", got, err, tt.want)
			}
			if strings.TrimSpace(tt.given) != "" && asked > 0 {
				t.Errorf("asked although --reason was given")
			}
		})
	}
}

func TestSettleAskError(t *testing.T) {
	_, err := Settle("", Policy{Required: true}, func(string) (string, error) { return "", errors.New("interrupted") })
	if err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("Settle() error = %v; want the cause and --reason", err)
	}
}

// FuzzCheck: whatever Check accepts is one printable line of at most
// MaxLen bytes with no surrounding space, and matches the pattern.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"INC-1 x", "", " a ", "a\nb", "\x00", "OPS-77"} {
		f.Add(s)
	}
	p := Policy{Pattern: `^[A-Z]+-[0-9]+`}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Check(s, p)
		if err != nil || got == "" {
			return
		}
		if len(got) > MaxLen || strings.IndexFunc(got, unicode.IsControl) >= 0 || strings.TrimSpace(got) != got {
			t.Fatalf("Check(%q) accepted %q", s, got)
		}
		if got[0] < 'A' || got[0] > 'Z' {
			t.Fatalf("Check(%q) = %q does not match the pattern", s, got)
		}
	})
}
