package e2e

// Reasons: requireReason and reasonPattern refuse a session before
// anything is created; a given (or, on a terminal, asked) reason reaches
// the start Event and `sessions`.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/live"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// reasonConfig writes a config file that requires a ticket id first.
func reasonConfig(f *framework.F) string {
	f.T.Helper()
	path := filepath.Join(f.T.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("requireReason: true\nreasonPattern: '^[A-Z]+-[0-9]+'\n"), 0o600); err != nil {
		f.T.Fatal(err)
	}
	return path
}

// startEvents are the eshell start Events of the namespace, by session.
func startEvents(f *framework.F) map[string]string {
	f.T.Helper()
	evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
	if err != nil {
		f.T.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range evs.Items {
		if e.Reason == audit.ReasonStarted {
			out[e.Labels[keys.SessionLabel]] = e.Annotations[keys.ReasonAnnotation] + "\n" + e.Note
		}
	}
	return out
}

func TestReasonRequiredRefuses(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, false)
	cfg := reasonConfig(f)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy/web", "--", "true"}, "error: a reason is required for every session (requireReason in the config file): pass --reason TEXT matching ^[A-Z]+-[0-9]+\n"},
		{[]string{"deploy/web", "--mode", "debug", "--reason", "looking around", "--", "true"}, `error: --reason "looking around" does not match the config file's reasonPattern`},
		{[]string{"deploy/web", "--mode", "exec", "--reason", "OPS-1 two\nlines", "--", "true"}, "control character"},
		{[]string{"attach", "zzzzz"}, "a reason is required"},
	} {
		r := f.Eshell("", append([]string{"--config", cfg}, tc.args...)...)
		if r.Code != 1 || !strings.Contains(r.Stderr, tc.want) || r.Stdout != "" {
			t.Errorf("%q: want exit 1 with %q, got %+v", tc.args, tc.want, r)
		}
	}
	// Refused before anything was created or recorded.
	if n := len(cloneJobs(f)); n != 0 {
		t.Errorf("a refused session left %d clone Jobs", n)
	}
	d := &debugTarget{f: f}
	d.expectCount(0, "a refused debug session")
	if evs := startEvents(f); len(evs) != 0 {
		t.Errorf("refused sessions recorded start Events: %v", evs)
	}
	// A dry run creates nothing, so it needs no reason.
	if r := f.Eshell("", "--config", cfg, "deploy/web", "--dry-run=client", "--", "true"); r.Code != 0 {
		t.Errorf("--dry-run=client without a reason: %+v", r)
	}
}

// An accepted reason is on the clone's Job and the debug container, in
// `sessions` (table and JSON) and in both start Events.
func TestReasonRequiredAccepts(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, false)
	cfg := reasonConfig(f)
	cl := f.Cmd(f.Plugin, "-n", f.Namespace, "--config", cfg, "deploy/web", "-i=false", "--reason", "OPS-11 clone cache", "--", "sleep", "300")
	db := f.Cmd(f.Plugin, "-n", f.Namespace, "--config", cfg, "deploy/web", "--mode", "debug", "-i=false", "--reason", "OPS-12 debug dns", "--", "sleep", "300")
	for _, c := range []interface{ Start() error }{cl, db} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { _ = cl.Process.Kill(); _ = db.Process.Kill() }()
	var list []live.Info
	f.Eventually("both sessions to be listed", 60*time.Second, func() bool {
		list = listSessions(f)
		return len(list) == 2
	})
	want := map[string]string{"clone": "OPS-11 clone cache", "debug": "OPS-12 debug dns"}
	for _, s := range list {
		if s.Reason != want[string(s.Mode)] {
			t.Errorf("%s session lists reason %q, want %q", s.Mode, s.Reason, want[string(s.Mode)])
		}
	}
	table := f.Eshell("", "sessions")
	for _, w := range []string{"REASON", want["clone"], want["debug"]} {
		if !strings.Contains(table.Stdout, w) {
			t.Errorf("sessions table lacks %q:\n%s", w, table.Stdout)
		}
	}
	f.Eventually("both start Events", 30*time.Second, func() bool { return len(startEvents(f)) == 2 })
	evs := startEvents(f)
	for _, s := range list {
		w := want[string(s.Mode)]
		if ev := evs[s.ID]; !strings.HasPrefix(ev, w+"\n") || !strings.HasSuffix(ev, `reason: "`+w+`"`) {
			t.Errorf("start Event of the %s session: %q, want the reason %q in annotation and note", s.Mode, ev, w)
		}
	}
	for _, s := range list {
		if r := f.Eshell("", "end", s.ID); r.Code != 0 {
			t.Errorf("end %s: %+v", s.ID, r)
		}
	}
	expectNoClones(f)
}

// On a terminal the required reason is asked for; a malformed answer is
// refused before anything is created, a good one starts the session.
func TestReasonAskedOnATerminal(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, false)
	cfg := reasonConfig(f)
	term := f.Pty("--config", cfg, "deploy/web", "--mode", "exec", "--", "echo", "asked-ok")
	term.Expect(`Reason for this session \(must match \^\[A-Z\]\+-\[0-9\]\+\): $`, 30*time.Second)
	term.Type("no ticket\r")
	if code := term.Wait(30 * time.Second); code != 1 || !strings.Contains(term.Output(), "does not match") {
		t.Fatalf("a malformed answer: exit %d\n%s", code, term.Output())
	}
	if evs := startEvents(f); len(evs) != 0 {
		t.Errorf("a refused session recorded start Events: %v", evs)
	}
	term = f.Pty("--config", cfg, "deploy/web", "--mode", "exec", "--", "echo", "asked-ok")
	term.Expect(`Reason for this session`, 30*time.Second)
	term.Type("INC-3 asked on a terminal\r")
	term.Expect(`asked-ok`, 30*time.Second)
	if code := term.Wait(30 * time.Second); code != 0 {
		t.Fatalf("exit %d\n%s", code, term.Output())
	}
	f.Eventually("the start Event", 30*time.Second, func() bool { return len(startEvents(f)) == 1 })
	for _, ev := range startEvents(f) {
		if !strings.HasPrefix(ev, "INC-3 asked on a terminal\n") {
			t.Errorf("start Event %q lacks the answered reason", ev)
		}
	}
}
