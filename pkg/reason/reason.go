// Package reason settles the stated reason for a session (--reason, and
// the config keys requireReason and reasonPattern) before anything is
// created in the cluster.
//
// The reason is written where namespace readers see it (the start Event,
// a clone's annotation, a debug container's environment), on purpose: it
// says why someone opened a shell next to production, which is what a
// colleague or an auditor reading the namespace wants to know. It is not a
// place for secrets, and the refusal of control characters keeps it one
// readable line in `kubectl get events` and `kubectl eshell sessions`.
package reason

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLen bounds a reason in bytes: enough for a ticket id and a sentence,
// and it keeps the Event's note (1024 bytes at most) for the rest.
const MaxLen = 256

// Policy is what the config file asks of reasons.
type Policy struct {
	// Required refuses a session without a reason.
	Required bool
	// Pattern, when not "", is a regular expression every reason must
	// match (e.g. ^[A-Z]+-[0-9]+ for a ticket id); it was checked to
	// compile when the config file was read.
	Pattern string
}

// Ask asks the user for a reason on the terminal; nil without one.
type Ask func(question string) (string, error)

// Settle returns the session's reason: given (from --reason) checked
// against p, else, when p requires one and ask is not nil, the answer to
// the question, checked the same way. "" means no reason, which only a
// policy that does not require one allows.
func Settle(given string, p Policy, ask Ask) (string, error) {
	given = strings.TrimSpace(given)
	if given != "" || !p.Required {
		return Check(given, p)
	}
	if ask == nil {
		return "", missing(p)
	}
	q := "Reason for this session"
	if p.Pattern != "" {
		q += " (must match " + p.Pattern + ")"
	}
	answer, err := ask(q + ": ")
	if err != nil {
		return "", fmt.Errorf("asking for a reason: %w; pass --reason TEXT", err)
	}
	if answer = strings.TrimSpace(answer); answer == "" {
		return "", missing(p)
	}
	return Check(answer, p)
}

// Check refuses a reason that is not one printable line of at most MaxLen
// bytes, or that does not match p.Pattern; "" passes unless p requires a
// reason. It returns the reason trimmed.
func Check(r string, p Policy) (string, error) {
	r = strings.TrimSpace(r)
	if r == "" {
		if p.Required {
			return "", missing(p)
		}
		return "", nil
	}
	if !utf8.ValidString(r) {
		return "", errors.New("--reason is not valid UTF-8: write it as plain text")
	}
	if i := strings.IndexFunc(r, unicode.IsControl); i >= 0 {
		return "", fmt.Errorf("--reason holds a control character (%q at byte %d): write it on one line of plain text", r[i:i+1], i)
	}
	if len(r) > MaxLen {
		return "", fmt.Errorf("--reason is %d bytes long: keep it to %d (a ticket id and a sentence)", len(r), MaxLen)
	}
	if p.Pattern != "" {
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return "", fmt.Errorf("reasonPattern %q in the config file does not compile: %w; fix it", p.Pattern, err)
		}
		if !re.MatchString(r) {
			return "", fmt.Errorf("--reason %q does not match the config file's reasonPattern %s: give a reason that does (e.g. the ticket id first)", r, p.Pattern)
		}
	}
	return r, nil
}

func missing(p Policy) error {
	example := `--reason "INC-1234 checking the cache"`
	if p.Pattern != "" {
		example = "--reason TEXT matching " + p.Pattern
	}
	return fmt.Errorf("a reason is required for every session (requireReason in the config file): pass %s", example)
}
