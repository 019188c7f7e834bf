package e2e

// Fan-out end to end: one command in every pod of a Deployment (exec and
// debug mode), or in the pods -l selects, with prefixed lines, a summary
// of exit codes, the highest as eshell's own, and one session's audit
// Events per pod.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

const fanManifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: fan}
spec:
  replicas: 5
  selector: {matchLabels: {app: fan}}
  template:
    metadata: {labels: {app: fan}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: app, image: busybox:1.37, command: [sleep, infinity]}
`

// TestFanOut runs one command in each pod of a five-pod Deployment; its
// steps share the Deployment and run in order (the Event count of the
// first must not see the later sessions).
func TestFanOut(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(fanManifest)
	f.Rollout("deploy/fan")
	l, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: "app=fan"})
	if err != nil || len(l.Items) != 5 {
		t.Fatalf("want the 5 pods of deploy/fan, got %d (err %v)", len(l.Items), err)
	}
	var pods []string
	for _, p := range l.Items {
		pods = append(pods, p.Name)
	}
	slices.Sort(pods)
	for _, step := range []struct {
		name string
		run  func(*testing.T, *framework.F, []string)
	}{
		{"all pods: prefixed lines, a summary, the highest exit code, an Event pair per pod", fanOutAllPods},
		{"a label selector picks pods, in exec and debug mode", fanOutSelector},
		{"a dry run prints one document per pod", fanOutDryRun},
		{"what a fan-out cannot do is one error line", fanOutRefusals},
	} {
		t.Run(step.name, func(t *testing.T) { step.run(t, f.Sub(t), pods) })
	}
}

// fanOutAllPods: the pod named in $0 fails with 3; every pod writes a
// line to stdout and one to stderr. The last argument stands for a
// secret: it must reach no Event.
func fanOutAllPods(t *testing.T, f *framework.F, pods []string) {
	bad := pods[2]
	const secret = "s3cret-fanout-arg"
	script := `echo "ready $1"; echo "note" >&2; [ "$HOSTNAME" != "$0" ] || exit 3`
	r := f.Eshell("", "deploy/fan", "--mode", "exec", "--all-pods", "--max-parallel", "2", "--", "sh", "-c", script, bad, secret)
	if r.Code != 3 {
		t.Errorf("exit %d, want 3 (the highest of the pods' codes)", r.Code)
	}
	for _, p := range pods {
		// Pod names of one ReplicaSet have one length: no padding.
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p) + ` ready ` + secret + `$`).MatchString(r.Stdout) {
			t.Errorf("stdout lacks the prefixed line of %s", p)
		}
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p) + ` note$`).MatchString(r.Stderr) {
			t.Errorf("stderr lacks the prefixed line of %s", p)
		}
		code := 0
		if p == bad {
			code = 3
		}
		if !strings.Contains(r.Stderr, fmt.Sprintf("\n  %s exit %d\n", p, code)) {
			t.Errorf("summary lacks %s exit %d", p, code)
		}
	}
	if n := strings.Count(r.Stdout, "\n"); n != 5 || strings.Contains(r.Stdout, "note") || strings.Contains(r.Stdout, "\x1b[") {
		t.Errorf("stdout: want 5 uncoloured lines of stdout only, got %d", n)
	}
	if !strings.Contains(r.Stderr, "eshell: ran in 5 targets: 4 succeeded, 1 failed; exit code 3 (the highest)\n") {
		t.Errorf("stderr lacks the summary's first line")
	}
	wantEventPairs(t, f, pods, bad, secret)
}

// wantEventPairs: one session per pod, each with its start and its end
// Event on the Deployment, related to that pod; bad's end says exit code
// 3; the secret argument is in none of them.
func wantEventPairs(t *testing.T, f *framework.F, pods []string, bad, secret string) {
	f.Eventually("a start and an end Event per pod", 20*time.Second, func() bool {
		evs, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
		if err != nil {
			return false
		}
		starts, ends := map[string]int{}, map[string]int{}
		for _, ev := range evs.Items {
			if ev.Regarding.Kind != "Deployment" || ev.Related == nil {
				continue
			}
			if strings.Contains(ev.Note, secret) || strings.Contains(fmt.Sprint(ev.Annotations), secret) {
				t.Fatalf("Event %s holds the command's argument: %s %v", ev.Name, ev.Note, ev.Annotations)
			}
			switch ev.Reason {
			case audit.ReasonStarted:
				starts[ev.Related.Name]++
			case audit.ReasonEnded:
				ends[ev.Related.Name]++
				if ev.Related.Name == bad && !strings.Contains(ev.Note, "with exit code 3") {
					t.Errorf("the end Event of %s says %q, want exit code 3", bad, ev.Note)
				}
			}
		}
		for _, p := range pods {
			if starts[p] != 1 || ends[p] != 1 {
				return false
			}
		}
		return len(starts) == 5 && len(ends) == 5
	})
}

// fanOutSelector: -l alone selects among the namespace's pods (the two
// labelled ones); in debug mode a debug container in each runs it.
func fanOutSelector(t *testing.T, f *framework.F, pods []string) {
	picked := []string{pods[0], pods[4]}
	f.Kubectl("", "label", "pod", picked[0], picked[1], "pick=yes")
	r := f.Eshell("", "-l", "pick=yes", "--mode", "exec", "--", "hostname")
	if r.Code != 0 || r.Stdout != fmt.Sprintf("%s %s\n%s %s\n", picked[0], picked[0], picked[1], picked[1]) &&
		r.Stdout != fmt.Sprintf("%s %s\n%s %s\n", picked[1], picked[1], picked[0], picked[0]) {
		t.Errorf("-l pick=yes: exit %d, stdout %q; want each picked pod's hostname, prefixed", r.Code, r.Stdout)
	}
	r = f.Eshell("", "deploy/fan", "-l", "pick=yes", "--mode", "debug", "--", "sh", "-c", "echo dbg")
	if r.Code != 0 || strings.Count(r.Stdout, " dbg\n") != 2 || !strings.Contains(r.Stdout, picked[0]+" dbg\n") || !strings.Contains(r.Stdout, picked[1]+" dbg\n") {
		t.Errorf("debug fan-out: exit %d, stdout %q; want dbg from both picked pods", r.Code, r.Stdout)
	}
}

// fanOutDryRun: what each pod would run, one YAML document each.
func fanOutDryRun(t *testing.T, f *framework.F, pods []string) {
	r := f.Eshell("", "deploy/fan", "--mode", "exec", "--all-pods", "--dry-run=client", "--", "ls")
	if r.Code != 0 || strings.Count(r.Stdout, "kind: Exec\n") != 5 || strings.Count(r.Stdout, "---\n") != 4 || !strings.Contains(r.Stdout, "pod: "+pods[2]+"\n") {
		t.Errorf("dry run: exit %d, stdout %q; want 5 Exec documents", r.Code, r.Stdout)
	}
}

// fanOutRefusals: what a fan-out cannot do is one error line that says
// what to do.
func fanOutRefusals(t *testing.T, f *framework.F, _ []string) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy/fan", "--mode", "exec", "--all-pods"}, "error: --all-pods runs one command in many pods, and a shell or a console cannot span pods: give the command after --"},
		{[]string{"deploy/fan", "--mode", "exec", "--all-pods", "-t", "--", "ls"}, "error: -t opens a terminal, and one terminal cannot span pods: drop -t"},
		{[]string{"deploy/fan", "--all-pods", "--", "ls"}, "error: --all-pods applies to --mode exec and --mode debug only, and this session runs in --mode clone"},
	} {
		r := f.Eshell("", tc.args...)
		if r.Code != 1 || !strings.HasPrefix(r.Stderr, tc.want) || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}
