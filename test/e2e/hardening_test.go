package e2e

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// base64Token is a stretch that may be base64 (standard or URL alphabet).
var base64Token = regexp.MustCompile(`[A-Za-z0-9+/_-]{8,}`)

// holdsSecret reports whether text holds secret raw, hex-encoded, or
// inside a base64 token decoded at any of its four alignments.
func holdsSecret(text, secret string) bool {
	if strings.Contains(strings.ToLower(text), strings.ToLower(secret)) ||
		strings.Contains(strings.ToLower(text), hex.EncodeToString([]byte(secret))) {
		return true
	}
	for _, tok := range base64Token.FindAllString(text, -1) {
		for off := 0; off < 4 && off < len(tok); off++ {
			t := tok[off:]
			t = t[:len(t)/4*4]
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				if b, err := enc.DecodeString(t); err == nil && strings.Contains(string(b), secret) {
					return true
				}
			}
		}
	}
	return false
}

// At -v=6 client-go logs each request's URL; exec's URL carries the
// command's words. A short argument ("postgres") that is part of a longer
// one must not make the longer one's secret part survive its redaction.
func TestVerboseLogRedactsArguments(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	for _, args := range [][]string{
		{"sh", "-c", "exit 0", "postgres://postgres:hunter3@db", "-U", "postgres"},
		{"sh", "-c", "exit 0", "-U", "postgres", "postgres://postgres:hunter3@db"},
	} {
		r := f.Eshell("", append([]string{"deploy/web", "--mode", "exec", "-v=6", "--"}, args...)...)
		if r.Code != 0 {
			t.Errorf("the session failed: %+v", r)
		}
		// The log must be there for its absence of the secret to mean anything.
		if !strings.Contains(r.Stderr, "/exec?") {
			t.Errorf("-v=6 logged no exec request:\n%s", r.Stderr)
		}
		if holdsSecret(r.Stderr, "hunter3") || holdsSecret(r.Stdout, "hunter3") {
			t.Errorf("the -v=6 output holds the argument:\n%s", r.Stderr)
		}
	}
}

// Text any editor of a Job may set (the user and reason annotations of a
// kept clone) reaches the user's terminal escaped: no escape sequence can
// write the clipboard (OSC 52), and no newline can forge a line.
func TestClusterTextIsPrintedEscaped(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	id := keptID(f, f.Eshell("", "deploy/web", "--keep", "--", "true"))
	jobs, err := f.Client.BatchV1().Jobs(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.SessionLabel + "=" + id})
	if err != nil || len(jobs.Items) != 1 {
		t.Fatalf("the kept clone's Job: %v %+v", err, jobs)
	}
	const osc52 = "\x1b]52;c;aGk=\x07"
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		keys.UserAnnotation:   "alice" + osc52,
		keys.ReasonAnnotation: "INC-1" + osc52 + "\nerror: forged\u009b[2J",
	}}})
	if _, err := f.Client.BatchV1().Jobs(f.Namespace).Patch(f.Ctx, jobs.Items[0].Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		// The user annotation is no longer dev's: list everybody's.
		{"sessions", "--all-users"},
		// -o json escapes them by itself. (-o yaml refuses the whole
		// list today: "yaml: control characters are not allowed".)
		{"sessions", "--all-users", "-o", "json"},
		{"__complete", "attach", "--all-users", ""},
		{"attach", id, "--", "true"}, // refused: another user's session
		{"end", id},                  // refused too
		{"end", id, "--all-users"},   // names both users
	} {
		r := f.Eshell("", args...)
		out := r.Stdout + r.Stderr
		if refused := args[0] == "attach" || len(args) == 2 && args[0] == "end"; (r.Code != 0) != refused {
			t.Errorf("%v: exit %d, want refused=%v", args, r.Code, refused)
		}
		if strings.ContainsAny(out, "\x1b\x07\u009b") || strings.Contains(out, "\x9b") {
			t.Errorf("%v: a control character reached the terminal: %q", args, out)
		}
		if regexp.MustCompile(`(?m)^error: forged`).MatchString(out) {
			t.Errorf("%v: a forged line reached the terminal: %q", args, out)
		}
		if (len(args) == 2 || args[0] == "attach") && !strings.Contains(out, "alice^[]52;c;aGk=") {
			t.Errorf("%v: the user is not shown escaped: %q", args, out)
		}
	}
}

// noneCreated fails unless the namespace holds no eshell Job, no pod but
// the workload's (none with an ephemeral container) and no eshell Event.
func noneCreated(f *framework.F) {
	f.T.Helper()
	if j := cloneJobs(f); len(j) != 0 {
		f.T.Errorf("a refused command created %d Job(s)", len(j))
	}
	pods, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Labels["app"] != "web" || len(p.Spec.EphemeralContainers) != 0 {
			f.T.Errorf("a refused command created or changed pod %s", p.Name)
		}
	}
	evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	for _, e := range evs.Items {
		if e.ReportingController == audit.ReportingController || strings.HasPrefix(e.Reason, "Eshell") {
			f.T.Errorf("a refused command recorded Event %s: %s", e.Reason, e.Note)
		}
	}
}

// Out-of-range durations are refused before anything reaches the cluster,
// with one line that says what is allowed.
func TestDurationBoundsAreRefused(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("idleTimeout: 1ns\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--idle-timeout=5ns"},
		{"--max-duration=10000h"},
		{"--heartbeat-timeout=1s"},
		{"--config", cfg},
		{"--mode", "debug", "--idle-timeout=5ns"},
		{"--mode", "debug", "--config", cfg},
		{"--mode", "exec", "--max-duration=10000h"},
	} {
		r := f.Eshell("", append(append([]string{"deploy/web"}, args...), "--", "true")...)
		if n := len(regexp.MustCompile(`(?m)^error: `).FindAllString(r.Stderr, -1)); r.Code != 1 || n != 1 {
			t.Errorf("%v: want exit 1 with one error: line, got %d lines: %+v", args, n, r)
		}
	}
	noneCreated(f)
}

// A clone never takes the workload's priority (it could preempt the
// workload's own pods) unless --keep-priority says so.
func TestClonePriority(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	// Value 0 and no preemption: the class changes no other pod's standing.
	never := corev1.PreemptNever
	pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: f.Namespace + "-prio"}, Value: 0, PreemptionPolicy: &never}
	if _, err := f.Client.SchedulingV1().PriorityClasses().Create(f.Ctx, pc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = f.Client.SchedulingV1().PriorityClasses().Delete(f.Ctx, pc.Name, metav1.DeleteOptions{})
	})
	f.Apply(fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: prio}
spec:
  replicas: 1
  selector: {matchLabels: {app: prio}}
  template:
    metadata: {labels: {app: prio}}
    spec:
      priorityClassName: %s
      terminationGracePeriodSeconds: 1
      containers:
      - {name: app, image: bash:5.2, command: [sleep, infinity]}
`, pc.Name))
	f.Rollout("deploy/prio")

	for _, keep := range []bool{false, true} {
		args := []string{"deploy/prio"}
		if keep {
			args = append(args, "--keep-priority")
		}
		r := f.Eshell("", append(args, "--dry-run=client", "-o", "json", "--", "true")...)
		if r.Code != 0 || strings.Contains(r.Stdout, pc.Name) != keep || !strings.Contains(r.Stdout, `"kind": "Job"`) {
			t.Errorf("%v --dry-run=client: want the Job with priorityClassName %s only with --keep-priority: %+v", args, pc.Name, r)
		}
		id := keptID(f, f.Eshell("", append(args, "--keep", "--", "true")...))
		pods, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.SessionLabel + "=" + id})
		if err != nil || len(pods.Items) != 1 {
			t.Fatalf("the clone's pod: %v %+v", err, pods)
		}
		want := ""
		if keep {
			want = pc.Name
		}
		if got := pods.Items[0].Spec.PriorityClassName; got != want {
			t.Errorf("%v: the clone's pod has priorityClassName %q, want %q", args, got, want)
		}
		if r := f.Eshell("", "end", id); r.Code != 0 {
			t.Errorf("end %s: %+v", id, r)
		}
	}
}
