package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// The planted-secret tests: an argument the user typed reaches no cluster
// object on any failure path, in any mode. The user's own terminal may
// show their own command (a missing program is named with its arguments,
// as the shell would); nothing else on stderr holds it.

// noSecretInCluster fails t when an Event, pod or Job of the test's
// namespace holds secret.
func noSecretInCluster(f *framework.F, secret string) {
	f.T.Helper()
	var objs []any
	evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	core, err := f.Client.CoreV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	pods, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	jobs, err := f.Client.BatchV1().Jobs(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	objs = append(objs, evs, core, pods, jobs)
	for _, o := range objs {
		b, err := json.Marshal(o)
		if err != nil {
			f.T.Fatal(err)
		}
		if strings.Contains(string(b), secret) {
			f.T.Errorf("the cluster holds the planted argument %q: %.2000s", secret, b[max(0, strings.Index(string(b), secret)-1000):])
		}
	}
}

// endNote waits for an End Event of the namespace whose note ends in
// class.
func endNote(f *framework.F, class string) {
	f.T.Helper()
	f.Eventually("an End Event naming "+class, 20*time.Second, func() bool {
		evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{})
		for _, e := range evs.Items {
			if err == nil && e.Reason == audit.ReasonEnded && strings.HasSuffix(e.Note, ": "+class) {
				return true
			}
		}
		return false
	})
}

func TestPlantedSecretOnFailurePaths(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	for _, tc := range []struct {
		name, secret string
		args         []string
		class        string
		// ownCommand: the error names the user's own command on their
		// terminal, arguments included.
		ownCommand bool
	}{
		{"exec missing program", "planted-exec-Zq9x", []string{"--mode", "exec", "--", "nosuchprog", "--password=planted-exec-Zq9x"}, audit.ClassMissingProgram, true},
		{"debug missing program", "planted-debug-Zq9x", []string{"--mode", "debug", "--", "nosuchprog", "planted-debug-Zq9x"}, audit.ClassMissingProgram, false},
		{"clone missing program", "planted-clone-Zq9x", []string{"--", "nosuchprog", "planted-clone-Zq9x"}, audit.ClassMissingProgram, false},
		{"exec timeout", "planted-timeout-Zq9x", []string{"--mode", "exec", "--max-duration", "2s", "--", "sh", "-c", "sleep 30; echo planted-timeout-Zq9x"}, audit.ClassMaxDuration, false},
		{"debug image pull", "planted-pull-Zq9x", []string{"--mode", "debug", "--image", "missing.invalid/tools:1", "--pod-running-timeout", "20s", "--", "sh", "-c", "echo planted-pull-Zq9x"}, "", false},
		{"clone image pull", "planted-clonepull-Zq9x", []string{"--set-image", "missing.invalid/tools:1", "--pod-running-timeout", "20s", "--", "sh", "-c", "echo planted-clonepull-Zq9x"}, "", false},
	} {
		r := f.Eshell("", tc.args...)
		if r.Code == 0 {
			t.Errorf("%s: succeeded: %+v", tc.name, r)
		}
		if strings.Contains(r.Stdout, tc.secret) && !strings.Contains(tc.name, "timeout") {
			t.Errorf("%s: stdout holds the argument: %+v", tc.name, r)
		}
		if !tc.ownCommand && strings.Contains(r.Stderr, tc.secret) {
			t.Errorf("%s: stderr holds the argument: %s", tc.name, r.Stderr)
		}
		if tc.class != "" {
			endNote(f, tc.class)
		}
		noSecretInCluster(f, tc.secret)
	}
}

// An interrupt (SIGINT, as Ctrl+C without a terminal) ends the session;
// its End Event says so and holds no argument.
func TestPlantedSecretOnInterrupt(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	const secret = "planted-interrupt-Zq9x"
	cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/web", "--mode", "exec", "-i=false", "--", "sh", "-c", "sleep 60 # "+secret)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Eventually("the session's start Event", 30*time.Second, func() bool {
		evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{})
		return err == nil && len(evs.Items) > 0
	})
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	t.Logf("stderr: %s", errb.String())
	if strings.Contains(errb.String(), secret) {
		t.Errorf("stderr holds the argument: %s", errb.String())
	}
	endNote(f, audit.ClassInterrupted)
	noSecretInCluster(f, secret)
}

// A refusal by admission (a ResourceQuota that allows no further pod)
// holds no argument either.
func TestPlantedSecretOnRefusals(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	f.Apply(`
apiVersion: v1
kind: ResourceQuota
metadata: {name: one-pod}
spec: {hard: {pods: "1"}}
`)
	const secret = "planted-quota-Zq9x"
	r := f.Eshell("", "deploy/web", "--", "psql", "postgres://app:"+secret+"@db")
	if r.Code != 1 || strings.Contains(r.Stderr, secret) {
		t.Errorf("clone refused by quota: want exit 1 without the argument on stderr, got %+v", r)
	}
	noSecretInCluster(f, secret)
}

func TestPlantedSecretOnPermissionRefusal(t *testing.T) {
	t.Parallel()
	g := framework.NewUnbound(t)
	webApp(g, "bash:5.2")
	g.BindDev("eshell-exec")
	const denied = "planted-rbac-Zq9x"
	r := g.Eshell("", "deploy/web", "--mode", "clone", "--", "psql", "--password="+denied)
	if r.Code != 1 || strings.Contains(r.Stderr, denied) || !strings.Contains(r.Stderr, "is missing") {
		t.Errorf("clone refused by RBAC: %+v", r)
	}
	noSecretInCluster(g, denied)
}

// A pod labelled like a session (anyone who may create pods can make one)
// is not the session's pod: sessions lists the pod the clone's Job
// controls, attach and end reach that one, and the decoy is left alone.
func TestDecoySessionPodIsIgnored(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	id := keptID(f, f.Eshell("", "deploy/web", "--keep", "--", "true"))
	f.Apply(`
apiVersion: v1
kind: Pod
metadata:
  name: zzz-decoy
  labels: {app.kubernetes.io/managed-by: kubectl-eshell, eshell.kubectl.io/session: ` + id + `}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: web, image: bash:5.2, command: [sleep, infinity]}
`)
	f.Eventually("the decoy to run", 60*time.Second, func() bool {
		p, err := f.Client.CoreV1().Pods(f.Namespace).Get(f.Ctx, "zzz-decoy", metav1.GetOptions{})
		return err == nil && p.Status.Phase == "Running"
	})
	r := f.Eshell("", "sessions", "-o", "json")
	if r.Code != 0 || strings.Contains(r.Stdout, "zzz-decoy") || !strings.Contains(r.Stdout, id) {
		t.Errorf("sessions lists the decoy, or not the session: %+v", r)
	}
	r = f.Eshell("", "attach", id, "--", "cat", "/etc/hostname")
	if r.Code != 0 || strings.Contains(r.Stdout, "zzz-decoy") || !strings.Contains(r.Stdout, "eshell") {
		t.Errorf("attach reached another pod than the clone's: %+v", r)
	}
	if r := f.Eshell("", "end", id); r.Code != 0 || !strings.Contains(r.Stdout, "its processes have ended") {
		t.Errorf("end %s: %+v", id, r)
	}
	if p, err := f.Client.CoreV1().Pods(f.Namespace).Get(f.Ctx, "zzz-decoy", metav1.GetOptions{}); err != nil || p.DeletionTimestamp != nil {
		t.Errorf("end touched the decoy: %v %v", err, p)
	}
	if err := f.Client.CoreV1().Pods(f.Namespace).Delete(f.Ctx, "zzz-decoy", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expectNoClones(f)
}
