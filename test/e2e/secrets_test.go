package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// recorded is every Event, every pod (spec included: the clone's and the
// debug container's commands) and every Job of the namespace, as JSON:
// what anyone who may read pods, Jobs and Events sees of the sessions.
func recorded(f *framework.F) string {
	f.T.Helper()
	var b strings.Builder
	pods, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	for _, p := range pods.Items {
		m, _ := json.Marshal(p)
		b.Write(m)
	}
	jobs, err := f.Client.BatchV1().Jobs(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	for _, j := range jobs.Items {
		m, _ := json.Marshal(j)
		b.Write(m)
	}
	evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	for _, e := range evs.Items {
		m, _ := json.Marshal(e)
		b.Write(m)
	}
	return b.String()
}

// A password in the command line reaches no pod (annotations or spec: the
// clone's and the debug container's commands travel in exec requests), no
// Job, no Event and no log line, -v=9 included, in any mode.
func TestSecretsStayOut(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, false)
	secret := "hunter2-" + framework.RandSuffix()
	dsn := "postgres://app:" + secret + "@db/app"
	for _, args := range [][]string{
		{"deploy/web", "--keep", "-v=9", "--", "echo", dsn},
		{"deploy/web", "--mode", "exec", "-v=9", "--", "echo", dsn},
		{"deploy/web", "--mode", "debug", "-v=9", "--", "echo", dsn},
		{"deploy/web", "--mode", "exec", "-v=9", "--command", "echo," + dsn},
	} {
		r := f.Eshell("", args...)
		if r.Code != 0 || !strings.Contains(r.Stdout, dsn) {
			t.Errorf("%q: exit %d, stdout %q", args, r.Code, r.Stdout)
		}
		// client-go logs protobuf bodies as hex dumps: the password must
		// not be there either, in hex or in the text column.
		if strings.Contains(r.Stderr, secret) || strings.Contains(r.Stderr, "hunter") || strings.Contains(r.Stderr, "68 75 6e 74") {
			t.Errorf("%q: the log shows the password", args)
		}
		if !strings.Contains(r.Stderr, "[redacted]") {
			t.Errorf("%q: -v=9 logged no request that carried the argument, so the test proves nothing", args)
		}
	}
	rec := recorded(f)
	if strings.Contains(rec, secret) {
		t.Errorf("the password is recorded in the cluster:\n%s", rec)
	}
	if !strings.Contains(rec, `"`+keys.CommandAnnotation+`":"echo (1 argument, not recorded)"`) {
		t.Errorf("no record of the program and its number of arguments:\n%s", rec)
	}

	// Opting in records the whole command line.
	r := f.Eshell("", "deploy/web", "--mode", "exec", "--record-command", "--", "echo", "opted-in-"+secret)
	if r.Code != 0 || !strings.Contains(recorded(f), "opted-in-"+secret) {
		t.Errorf("--record-command did not record the command line: %+v", r)
	}
}

// --dry-run creates nothing and runs nothing in any mode: the command
// would leave a marker file in the running container.
func TestDryRunTouchesNothing(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, false)
	marker := "/tmp/eshell-marker-" + framework.RandSuffix()
	script := "touch " + marker
	count := func() int {
		pods, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
		if err != nil {
			t.Fatal(err)
		}
		return len(pods.Items) + len(evs.Items)
	}
	before := count()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--dry-run=client"}, "kind: Job"},
		{[]string{"--dry-run=server"}, "terminationMessagePath"}, // defaulted by the API server
		{[]string{"--mode", "debug", "--dry-run=client"}, "targetContainerName: web"},
		{[]string{"--mode", "debug", "--dry-run=server"}, "terminationMessagePath"},
		{[]string{"--mode", "exec", "--dry-run=client"}, "kind: Exec"},
	} {
		r := f.Eshell("", append(append([]string{"deploy/web"}, c.args...), "--", "sh", "-c", script)...)
		if r.Code != 0 || !strings.Contains(r.Stdout, c.want) {
			t.Errorf("%q: exit %d, want %q in:\n%s", c.args, r.Code, c.want, r.Stdout)
		}
		if strings.Contains(r.Stdout, marker) {
			t.Errorf("%q: the dry run shows the command's argument:\n%s", c.args, r.Stdout)
		}
	}
	r := f.Eshell("", "deploy/web", "--mode", "exec", "--dry-run=server", "--", "sh", "-c", script)
	if r.Code != 1 || !strings.Contains(r.Stderr, "--dry-run=server applies to --mode clone and debug only") {
		t.Errorf("exec --dry-run=server: %+v", r)
	}

	if got := count(); got != before {
		t.Errorf("the dry runs changed pods or Events:\n%s", recorded(f))
	}
	pods, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods %v, %v", pods, err)
	}
	if ecs := pods.Items[0].Spec.EphemeralContainers; len(ecs) != 0 {
		t.Errorf("a dry run added ephemeral containers: %v", ecs)
	}
	if r := f.Run(f.AsAdmin("-n", f.Namespace, "deploy/web", "--mode", "exec", "--", "test", "-e", marker), ""); r.Code != 1 {
		t.Errorf("the marker exists (exit %d): a dry run ran the command", r.Code)
	}
}
