package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// The pre-check lists every missing permission before anything is created,
// and the example Roles grant what each mode needs.
func TestGuardRBAC(t *testing.T) {
	t.Parallel()
	f := framework.NewUnbound(t)
	webApp(f, "bash:5.2")
	f.BindDev("eshell-exec")
	// The missing list policy must be missing: no cluster-wide grant to
	// dev (listPoliciesEverywhere) may be in place while the check runs.
	devGrants.Lock()
	r := f.Eshell("", "deploy/web", "--mode", "clone", "--", "true")
	devGrants.Unlock()
	if r.Code != 1 {
		t.Fatalf("clone with exec-only rights: exit %d, want 1", r.Code)
	}
	for _, want := range []string{`user "dev" is missing`, "create pods in namespace", "create jobs.batch in namespace", "delete jobs.batch in namespace", "create pods/attach in namespace", "list networkpolicies.networking.k8s.io in namespace", "watch pods in namespace", "deploy/rbac/"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("missing-permissions error lacks %q:\n%s", want, r.Stderr)
		}
	}
	if strings.Contains(r.Stderr, "pods/exec") {
		t.Errorf("the error lists a permission dev has (pods/exec):\n%s", r.Stderr)
	}
	if strings.Contains(r.Stderr, "delete pods") {
		t.Errorf("the error asks for delete pods, which a clone uses best-effort only:\n%s", r.Stderr)
	}
	if n := len(clones(f)); n != 0 {
		t.Fatalf("a refused session created %d pods", n)
	}
	if r := f.Eshell("", "deploy/web", "--mode", "exec", "--", "echo", "exec-ok"); r.Code != 0 || !strings.Contains(r.Stdout, "exec-ok") {
		t.Fatalf("the eshell-exec Role should allow exec mode: %+v", r)
	}
	f.BindDev("eshell-clone")
	if r := f.Eshell("", "deploy/web", "--", "echo", "clone-ok"); r.Code != 0 || !strings.Contains(r.Stdout, "clone-ok") {
		t.Fatalf("the eshell-clone Role should allow clone mode: %+v", r)
	}
	expectNoClones(f)
}

// Sessions leave start and end Events on the workload.
func TestGuardAuditEvents(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	if r := f.Eshell("", "deploy/web", "--mode", "exec", "--", "sh", "-c", "exit 4"); r.Code != 4 {
		t.Fatalf("exec: %+v", r)
	}
	if r := f.Eshell("", "deploy/web", "--", "true"); r.Code != 0 {
		t.Fatalf("clone: %+v", r)
	}
	if r := f.Eshell("", "deploy/web", "--mode", "debug", "--", "true"); r.Code != 0 {
		t.Fatalf("debug: %+v", r)
	}
	if r := f.Eshell("", "deploy/web", "--no-audit", "--mode", "exec", "--", "true"); r.Code != 0 {
		t.Fatalf("exec --no-audit: %+v", r)
	}
	evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs.Items {
		if e.Regarding.Kind != "Deployment" || e.Regarding.Name != "web" {
			t.Errorf("event %s regards %s/%s, want the Deployment web", e.Name, e.Regarding.Kind, e.Regarding.Name)
		}
		if e.Related == nil || e.Related.Kind != "Pod" {
			t.Errorf("event %s has no related pod", e.Name)
		}
		got = append(got, e.Reason+"|"+e.Note)
	}
	all := strings.Join(got, "\n")
	if len(evs.Items) != 6 {
		t.Errorf("want 6 events (start and end of three audited sessions), got %d:\n%s", len(evs.Items), all)
	}
	for _, want := range []string{"EshellSessionStarted|dev", "EshellSessionEnded|dev", "exec session", "clone session", "debug session", "exit code 4"} {
		if !strings.Contains(all, want) {
			t.Errorf("events lack %q:\n%s", want, all)
		}
	}
}

// An idle session ends like a normal exit and its clone is removed.
func TestGuardIdleTimeout(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	start := time.Now()
	r := f.Eshell("", "deploy/web", "--idle-timeout", "3s", "-i=false", "--", "sleep", "120")
	if r.Code != 0 || !strings.Contains(r.Stderr, "--idle-timeout") || !strings.Contains(r.Stderr, "the session ends in") {
		t.Fatalf("idle session: want exit 0 with a warning and the reason, got %+v", r)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("idle timeout of 3s took %s", d)
	}
	expectNoClones(f)

	// --max-duration bounds every mode on the client, exec included.
	start = time.Now()
	r = f.Eshell("", "deploy/web", "--mode", "exec", "--max-duration", "2s", "--", "sleep", "60")
	if r.Code != 1 || !strings.Contains(r.Stderr, "reached its --max-duration of 2s") {
		t.Fatalf("exec past --max-duration: %+v", r)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("--max-duration 2s took %s", d)
	}
	if strings.Contains(r.Stderr, "UnhandledError") {
		t.Errorf("client-go noise on a cancelled stream: %s", r.Stderr)
	}
}

// pidOf finds the plugin process whose command line mentions marker.
func pidOf(t *testing.T, marker string) int {
	t.Helper()
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		args := strings.Split(string(b), "\x00")
		if strings.HasSuffix(args[0], "kubectl-eshell") && strings.Contains(string(b), marker) {
			return pid
		}
	}
	return 0
}

// SIGTERM and SIGHUP while waiting for the clone to start: the terminal is
// restored (the shell around it reads canonical mode again) and nothing is
// left behind.
func TestGuardSignalsWhileWaiting(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck}
spec:
  replicas: 0
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec:
      containers: [{name: app, image: bash:5.2, volumeMounts: [{name: cfg, mountPath: /etc/eshell-e2e-stuck}]}]
      volumes: [{name: cfg, configMap: {name: not-there-yet}}]
`)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			script := f.Plugin + " -n " + f.Namespace + " deploy/stuck; echo EXIT=$?; stty -a | grep -o -- '-\\?icanon'; sleep 5"
			cmd := f.Cmd("sh", "-c", script)
			term := f.PtyCmd(cmd)
			term.Expect(`Waiting for stuck-eshell-[a-z0-9-]+: ContainerCreating`, 30*time.Second)
			pid := pidOf(t, f.Namespace)
			if pid == 0 {
				t.Fatal("plugin process not found")
			}
			_ = syscall.Kill(pid, sig)
			term.Expect(`EXIT=1`, 40*time.Second)
			m := term.Expect(`\n(-?icanon)`, 5*time.Second)
			if m[1] != "icanon" {
				t.Errorf("terminal left in raw mode after %v (stty shows %s)", sig, m[1])
			}
			if !strings.Contains(term.Output(), "Removed clone job") {
				t.Errorf("no cleanup after %v", sig)
			}
			expectJobRemoved(f, term.Output())
		})
	}
}
