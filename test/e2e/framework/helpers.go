package framework

import (
	"strings"
	"testing"
	"time"
)

// Sub is f for a subtest t: the same namespace and context, with failures
// and cleanups of its own.
func (f *F) Sub(t *testing.T) *F {
	return &F{Env: f.Env, T: t, Namespace: f.Namespace, Ctx: f.Ctx}
}

// Want fails t unless r exited with code, printed exactly stdout, and
// said each of says on stderr.
func (r Result) Want(t testing.TB, code int, stdout string, says ...string) {
	t.Helper()
	if r.Code != code || r.Stdout != stdout {
		t.Errorf("exit %d, stdout %q; want exit %d, stdout %q (stderr: %s)", r.Code, r.Stdout, code, stdout, r.Stderr)
	}
	for _, s := range says {
		if !strings.Contains(r.Stderr, s) {
			t.Errorf("stderr does not say %q: %s", s, r.Stderr)
		}
	}
}

// completeWithin bounds one completion: a shell waits for it at each Tab.
const completeWithin = 10 * time.Second

// Complete runs `__complete ARGS` as user "dev" (ARGS name the namespace
// if it matters) and returns the candidates it offers, each "VALUE" or
// "VALUE\tDESCRIPTION", without cobra's closing ":DIRECTIVE" line. It fails
// the test unless the command succeeds, and unless it answers within 10 s.
func (f *F) Complete(args ...string) []string {
	f.T.Helper()
	start := time.Now()
	r := f.Run(f.Cmd(f.Plugin, append([]string{"__complete"}, args...)...), "")
	if r.Code != 0 {
		f.T.Fatalf("__complete %q: %+v", args, r)
	}
	if d := time.Since(start); d > completeWithin {
		f.T.Errorf("__complete %q took %s, want at most %s", args, d, completeWithin)
	}
	return candidates(r.Stdout)
}

// candidates are the non-empty lines of __complete's stdout but cobra's
// closing ":DIRECTIVE" line.
func candidates(out string) []string {
	var c []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, ":") {
			c = append(c, l)
		}
	}
	return c
}

// Values is the completion candidates' values, without descriptions.
func Values(candidates []string) []string {
	values := make([]string, 0, len(candidates))
	for _, c := range candidates {
		v, _, _ := strings.Cut(c, "\t")
		values = append(values, v)
	}
	return values
}

// Case is one behaviour of a test whose cases share objects (of type S),
// set up once because they are expensive (pods that must start, several
// namespaces); each case is a small function of its own.
type Case[S any] struct {
	Name string
	Run  func(t *testing.T, f *F, shared S)
}

// RunCases runs each case as a parallel subtest of f's test, named after
// the case, with an F of its own on f's namespace.
func RunCases[S any](f *F, shared S, cases []Case[S]) {
	for _, c := range cases {
		f.T.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			c.Run(t, f.Sub(t), shared)
		})
	}
}
