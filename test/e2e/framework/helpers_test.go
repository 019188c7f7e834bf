package framework

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what a helper reported.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestResultWant(t *testing.T) {
	for _, tc := range []struct {
		name   string
		r      Result
		code   int
		stdout string
		says   []string
		fails  bool
	}{
		{"match", Result{Stdout: "a\n", Code: 3}, 3, "a\n", nil, false},
		{"other code", Result{Stdout: "a\n", Code: 1}, 3, "a\n", nil, true},
		{"other stdout", Result{Stdout: "a\nb\n", Code: 3}, 3, "a\n", nil, true},
		{"stdout missing its newline", Result{Stdout: "a", Code: 0}, 0, "a\n", nil, true},
		{"says what stderr says", Result{Code: 0}, 0, "", []string{"the", "stderr"}, false},
		{"says what stderr does not", Result{Code: 0}, 0, "", []string{"the", "stdout"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			tc.r.Stderr = "the stderr"
			tc.r.Want(rec, tc.code, tc.stdout, tc.says...)
			if got := len(rec.errors) > 0; got != tc.fails {
				t.Fatalf("Want reported %q, want failure %v", rec.errors, tc.fails)
			}
			if tc.fails && !slices.ContainsFunc(rec.errors, func(e string) bool { return strings.Contains(e, "the stderr") }) {
				t.Errorf("a failure should show stderr: %q", rec.errors)
			}
		})
	}
}

func TestCandidatesAndValues(t *testing.T) {
	out := "deploy/web\tDeployment\nsts/db\n:4\n"
	c := candidates(out)
	if want := []string{"deploy/web\tDeployment", "sts/db"}; !slices.Equal(c, want) {
		t.Errorf("candidates(%q) = %q, want %q", out, c, want)
	}
	if got, want := Values(c), []string{"deploy/web", "sts/db"}; !slices.Equal(got, want) {
		t.Errorf("Values(%q) = %q, want %q", c, got, want)
	}
	if got := candidates(":0\n"); len(got) != 0 {
		t.Errorf("no candidates, only the directive: got %q", got)
	}
}
