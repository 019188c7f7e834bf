package e2e

// `kubectl eshell attach ID` re-enters a live session: a kept clone, a
// debug container whose first client still holds it.

import (
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

func TestAttachKeptClone(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	marker := "marker-" + framework.RandSuffix()
	id := keptID(f, f.Eshell("", "deploy/web", "--keep", "--", "sh", "-c", "echo "+marker+" > /marker"))

	// A command: its output and its exit code.
	start := time.Now()
	r := f.Eshell("", "attach", id, "--", "cat", "/marker")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != marker || !strings.Contains(r.Stderr, "Opening a shell in clone pod web-eshell-"+id) {
		t.Fatalf("attach %s -- cat /marker: want %q from the kept clone, got %+v", id, marker, r)
	}
	t.Logf("attach -- cat took %s", time.Since(start).Round(time.Millisecond))
	if r := f.Eshell("", "attach", id, "--", "sh", "-c", "exit 7"); r.Code != 7 {
		t.Errorf("attach %s -- sh -c 'exit 7': exit %d, want 7", id, r.Code)
	}

	// A shell on a terminal: bash (the image has it), the same clone.
	term := f.Pty("attach", id)
	term.Expect(`bash-5\.2# `+`(?:\x1b\[[0-9;?]*[A-Za-z])*$`, 30*time.Second)
	term.Type("cat /marker; exit 3\r")
	term.Expect(marker, 10*time.Second)
	if code := term.Wait(20 * time.Second); code != 3 {
		t.Errorf("interactive attach: exit %d after `exit 3`, want 3", code)
	}

	// Completion offers the session, with its mode and workload.
	for _, sub := range []string{"attach", "end"} {
		if out := strings.Join(f.Complete("-n", f.Namespace, sub, ""), "\n") + "\n"; !strings.Contains(out, id+"\tclone of deployment/web\n") {
			t.Errorf("__complete %s '' lacks %s:\n%s", sub, id, out)
		}
	}

	// Each attach left its own pair of Events on the Deployment, beside the session's.
	evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.SessionLabel + "=" + id})
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, e := range evs.Items {
		notes = append(notes, e.Reason+"|"+e.Note)
		if strings.Contains(e.Name, "-attach-") && (e.Regarding.Kind != "Deployment" || e.Regarding.Name != "web" || e.Regarding.UID == "") {
			t.Errorf("attach event %s regards %+v, want the Deployment web with its UID", e.Name, e.Regarding)
		}
	}
	all := strings.Join(notes, "\n")
	for _, want := range []string{
		audit.ReasonStarted + "|dev started a clone session",
		audit.ReasonStarted + "|dev attached to the clone session " + id + " (command: cat (1 argument, not recorded))",
		audit.ReasonEnded + "|dev detached from the clone session " + id,
		"with exit code 7", "with exit code 3",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("events lack %q:\n%s", want, all)
		}
	}
	if len(evs.Items) != 8 {
		t.Errorf("want 8 events (the session's start and end, three attaches' start and end), got %d:\n%s", len(evs.Items), all)
	}

	// Once ended, the session cannot be entered.
	if r := f.Eshell("", "end", id); r.Code != 0 {
		t.Fatalf("end %s: %+v", id, r)
	}
	r = f.Eshell("", "attach", id, "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, `no live session "`+id+`"`) || !strings.Contains(r.Stderr, "kubectl eshell sessions -n "+f.Namespace) {
		t.Errorf("attach after end: want a clear error saying to list the sessions, got %+v", r)
	}
	expectNoClones(f)
}

// Another user's session is theirs: refused unless --all-users, which the
// Events record.
func TestAttachOtherUsersSession(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	id := keptID(f, f.Run(f.AsAdmin("-n", f.Namespace, "deploy/web", "--keep", "--", "true"), ""))
	r := f.Eshell("", "attach", id, "--", "echo", "entered")
	if r.Code != 1 || strings.Contains(r.Stdout, "entered") || !strings.Contains(r.Stderr, "session "+id+" is ") ||
		!strings.Contains(r.Stderr, "'s, not yours") || !strings.Contains(r.Stderr, "--all-users") {
		t.Errorf("attach to another user's session: want a refusal naming --all-users, got %+v", r)
	}
	if out := strings.Join(f.Complete("-n", f.Namespace, "attach", ""), "\n") + "\n"; strings.Contains(out, id) {
		t.Errorf("__complete attach '' offers another user's session %s:\n%s", id, out)
	}
	if out := strings.Join(f.Complete("-n", f.Namespace, "attach", "--all-users", ""), "\n") + "\n"; !strings.Contains(out, id+"\tclone of deployment/web by ") {
		t.Errorf("__complete attach --all-users '' lacks %s:\n%s", id, out)
	}
	r = f.Eshell("", "attach", "--all-users", id, "--", "echo", "entered")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "entered" || !strings.Contains(r.Stderr, "(--all-users); the audit Events record that you did") {
		t.Fatalf("attach --all-users: %+v", r)
	}
	evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.SessionLabel + "=" + id})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs.Items {
		found = found || regexp.MustCompile(`^dev attached to \S+'s clone session `+id).MatchString(e.Note)
	}
	if !found {
		t.Errorf("no event says dev attached to the other user's session: %+v", evs.Items)
	}
	// With --no-audit the note says nothing records it, and nothing does.
	r = f.Eshell("", "attach", "--all-users", "--no-audit", id, "--", "echo", "entered")
	if r.Code != 0 || !strings.Contains(r.Stderr, "--no-audit: no Event records that you did") || strings.Contains(r.Stderr, "the audit Events record") {
		t.Errorf("attach --all-users --no-audit: %+v", r)
	}
	if again, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.SessionLabel + "=" + id}); err != nil || len(again.Items) != len(evs.Items) {
		t.Errorf("attach --no-audit recorded Events: %d before, %d after (%v)", len(evs.Items), len(again.Items), err)
	}

	// Ending it is refused the same way; --all-users ends it, waits for its
	// processes, and an Event names both users.
	if r := f.Eshell("", "end", id); r.Code != 1 || !strings.Contains(r.Stderr, "'s, not yours") || !strings.Contains(r.Stderr, "--all-users") {
		t.Errorf("end of another user's session without --all-users: %+v", r)
	}
	if r := f.Eshell("", "end", "--all-users", id); r.Code != 0 || !strings.Contains(r.Stdout, "its processes have ended") {
		t.Errorf("end --all-users %s: %+v", id, r)
	}
	f.Eventually("the Event of the end", 20*time.Second, func() bool {
		evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.SessionLabel + "=" + id})
		for _, e := range evs.Items {
			if err == nil && e.Reason == audit.ReasonTerminated && regexp.MustCompile(`^dev ended \S+'s clone session `+id).MatchString(e.Note) &&
				e.Regarding.Kind == "Deployment" && e.Regarding.Name == "web" {
				return true
			}
		}
		return false
	})
	expectNoClones(f)
}

// A debug session left running on a terminal is entered from a second
// eshell: the same container (a file the first shell wrote), the exit
// code kept; once its first client ends, so does the session.
func TestAttachDebugSession(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	d := newDebugTarget(f, false)
	term := f.Pty("deploy/web", "--mode", "debug")
	name := term.Expect(`(?s)Waiting for debug container (eshell-[a-z0-9]{5}) to start\.\.\..*`+framework.Prompt, 30*time.Second)[1]
	id := strings.TrimPrefix(name, keys.DebugContainerPrefix)
	term.Type("echo first-shell > /tmp/attach-marker; echo wrote-$((6*7))\r")
	term.Expect(`wrote-42`, 10*time.Second)

	r := f.Eshell("", "attach", id, "--", "sh", "-c", "cat /tmp/attach-marker; exit 6")
	if r.Code != 6 || strings.TrimSpace(r.Stdout) != "first-shell" || !strings.Contains(r.Stderr, "Opening a shell in debug container "+name) {
		t.Errorf("attach %s: want the first shell's file and exit 6, got %+v", id, r)
	}
	if out := strings.Join(f.Complete("-n", f.Namespace, "attach", ""), "\n") + "\n"; !strings.Contains(out, id+"\tdebug of deployment/web") {
		t.Errorf("__complete attach '' lacks the debug session %s:\n%s", id, out)
	}
	// Without a terminal, a second debug session says how to enter the running one.
	r = f.Eshell("", "deploy/web", "--mode", "debug", "--", "true")
	if r.Code != 0 || !strings.Contains(r.Stderr, "kubectl eshell attach "+id+" -n "+f.Namespace) {
		t.Errorf("debug without a terminal should offer attach %s: %+v", id, r)
	}
	d.expectCount(2, "attach must not add a container")

	term.Type("exit\r")
	if code := term.Wait(20 * time.Second); code != 0 {
		t.Errorf("first debug session: exit %d", code)
	}
	d.expectTerminated(name, 30*time.Second)
	r = f.Eshell("", "attach", id, "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, `no live session "`+id+`"`) {
		t.Errorf("attach to an ended debug session: %+v", r)
	}
}

// A kept clone whose container never ran cannot be entered, and says why;
// an unknown id says where to look; missing rights are listed.
func TestAttachRefusals(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	// Its pods never run, which a clone does not need: it is built from the template.
	f.Apply(idleWeb(`containers: [{name: web, image: registry.invalid/eshell/none:1, command: [sleep, infinity]}]`))
	// --keep keeps only a clone that reached its shell: this one is removed.
	r := f.Eshell("", "deploy/web", "--keep", "--pod-running-timeout", "30s", "--", "true")
	if r.Code != 1 || strings.Contains(r.Stderr, "kubectl eshell attach") || !strings.Contains(r.Stderr, "Removed clone job") {
		t.Fatalf("a clone of an image that cannot be pulled, with --keep: want a failure that removes it, got %+v", r)
	}
	// A session whose pod is still starting (a long init container) is Pending.
	f.Apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: slow}
spec:
  replicas: 0
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec:
      initContainers: [{name: wait, image: busybox:1.37, command: [sleep, "3600"]}]
      containers: [{name: app, image: busybox:1.37, command: [sleep, infinity]}]
`)
	waiting := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/slow", "--keep-init-containers", "--pod-running-timeout", "5m", "--", "true")
	if err := waiting.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = waiting.Process.Kill(); _ = waiting.Wait() }()
	var m []string
	f.Eventually("the waiting session's Job", 30*time.Second, func() bool {
		for _, j := range cloneJobs(f) {
			m = []string{"", j.Labels[keys.SessionLabel]}
		}
		return m != nil
	})
	f.Eventually("its pod", 30*time.Second, func() bool { return len(clones(f)) == 1 })
	r = f.Eshell("", "attach", m[1], "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "of session "+m[1]+" is Pending, not running; see why with kubectl describe pod") {
		t.Errorf("attach to a clone that never ran: %+v", r)
	}
	r = f.Eshell("", "attach", "zzzzz")
	if r.Code != 1 || !strings.Contains(r.Stderr, `no live session "zzzzz" in namespace "`+f.Namespace+`"; list them with: kubectl eshell sessions`) {
		t.Errorf("attach to an unknown id: %+v", r)
	}
	if r := f.Eshell("", "attach", "-t", m[1]); r.Code != 1 || !strings.Contains(r.Stderr, "-t needs a terminal on stdin") {
		t.Errorf("attach -t with piped input: %+v", r)
	}
	for _, args := range [][]string{{"attach"}, {"attach", "a", "b"}} {
		if r := f.Eshell("", args...); r.Code != 1 || !strings.Contains(r.Stderr, "session ID") && !strings.Contains(r.Stderr, "ID of the session") {
			t.Errorf("%v: want a usage error, got %+v", args, r)
		}
	}
	if r := f.Eshell("", "end", m[1]); r.Code != 0 {
		t.Errorf("end %s: %+v", m[1], r)
	}

	u := framework.NewUnbound(t)
	r = u.Eshell("", "attach", "x7k2p")
	if r.Code != 1 || !strings.Contains(r.Stderr, `user "dev" is missing`) || !strings.Contains(r.Stderr, "create pods/exec in namespace") {
		t.Errorf("attach without permissions: want the missing ones listed, got %+v", r)
	}
}
