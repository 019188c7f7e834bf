package live

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

func TestList(t *testing.T) {
	started := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	labels := func(id string) map[string]string {
		return map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: id}
	}
	cloneJob := func(id, user string, finished bool) *batchv1.Job {
		j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-" + id, Namespace: "shop", Labels: labels(id), CreationTimestamp: started, UID: types.UID("uid-" + id),
			Annotations: map[string]string{keys.UserAnnotation: user, keys.SourceAnnotation: "deployment/web",
				keys.DefaultContainerAnnotation: "web", keys.ExpiresAnnotation: "2026-01-02T05:04:05Z", keys.ReasonAnnotation: "OPS-" + id}}}
		if finished {
			j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
		}
		return j
	}
	clonePod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-aaaaa-xyz12", Namespace: "shop", Labels: labels("aaaaa"),
		OwnerReferences: []metav1.OwnerReference{{Kind: "Job", Name: "web-eshell-aaaaa", UID: "uid-aaaaa", Controller: new(true)}}}}
	// Look-alikes labelled as session aaaaa, listed after the real pod:
	// one without an owner, one controlled by a Job of that name but
	// another UID. Neither is the session's pod.
	decoy := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "zz-decoy", Namespace: "shop", Labels: labels("aaaaa")}}
	forged := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "zz-forged", Namespace: "shop", Labels: labels("aaaaa"),
		OwnerReferences: []metav1.OwnerReference{{Kind: "Job", Name: "web-eshell-aaaaa", UID: "uid-other", Controller: new(true)}}}}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(started.Add(time.Minute))}}
	debugged := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop",
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-5d", Controller: new(true)}}},
		Spec: corev1.PodSpec{EphemeralContainers: []corev1.EphemeralContainer{
			{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "eshell-bbbbb", Env: []corev1.EnvVar{{Name: keys.DebugUserEnv, Value: "alice"}, {Name: keys.DebugExpiresEnv, Value: "2026-01-02T04:00:00Z"}, {Name: keys.DebugReasonEnv, Value: "INC-7"}}}},
			{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "eshell-ccccc", Env: []corev1.EnvVar{{Name: keys.DebugUserEnv, Value: "alice"}}}},
			{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger-x", Env: []corev1.EnvVar{{Name: keys.DebugUserEnv, Value: "alice"}}}},
		}},
		Status: corev1.PodStatus{EphemeralContainerStatuses: []corev1.ContainerStatus{
			{Name: "eshell-bbbbb", State: running},
			{Name: "eshell-ccccc", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}},
			{Name: "debugger-x", State: running},
		}},
	}
	c := fake.NewClientset(cloneJob("aaaaa", "alice", false), cloneJob("ddddd", "alice", true), cloneJob("eeeee", "bob", false), clonePod, decoy, forged, debugged)
	got, err := List(context.Background(), session.Remote{Client: c}, "shop", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("listed %+v, want alice's running clone and debug sessions", got)
	}
	cl, db := got[0], got[1]
	if cl.ID != "aaaaa" || cl.Mode != mode.Clone || cl.Job != "web-eshell-aaaaa" || cl.Pod != clonePod.Name || cl.Workload != "deployment/web" ||
		cl.Container != "web" || cl.User != "alice" || cl.Expires == nil || !cl.Started.Equal(started.Time) || cl.Reason != "OPS-aaaaa" {
		t.Errorf("clone session %+v", cl)
	}
	if db.ID != "bbbbb" || db.Mode != mode.Debug || db.Pod != "web-1" || db.Container != "eshell-bbbbb" || db.Workload != "replicaset/web-5d" ||
		db.Expires == nil || db.Expires.Hour() != 4 || db.Reason != "INC-7" {
		t.Errorf("debug session %+v", db)
	}
	all, _ := List(context.Background(), session.Remote{Client: c}, "", "")
	if len(all) != 3 {
		t.Errorf("everyone's: %d sessions, want 3", len(all))
	}
	if _, err := Find(context.Background(), session.Remote{Client: c}, "shop", "zzzzz"); err == nil {
		t.Error("Find of an unknown id succeeded")
	}
	if s, err := Find(context.Background(), session.Remote{Client: c}, "shop", "eeeee"); err != nil || s.User != "bob" {
		t.Errorf("Find finds any user's session: %+v, %v", s, err)
	}
}

func TestEndClone(t *testing.T) {
	c := fake.NewClientset(&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-aaaaa", Namespace: "shop"}})
	if err := End(context.Background(), session.Remote{Client: c}, Info{ID: "aaaaa", Mode: mode.Clone, Namespace: "shop", Job: "web-eshell-aaaaa"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := c.BatchV1().Jobs("shop").List(context.Background(), metav1.ListOptions{}); len(l.Items) != 0 {
		t.Errorf("the clone's Job is still there")
	}
}

func TestWorkloadOf(t *testing.T) {
	owned := func(kind, name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: labels,
			OwnerReferences: []metav1.OwnerReference{{Kind: kind, Name: name, Controller: new(true)}}}}
	}
	for _, tc := range []struct {
		pod  *corev1.Pod
		want string
	}{
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "solo"}}, "pod/solo"},
		{owned("ReplicaSet", "web-6496f7", map[string]string{"pod-template-hash": "6496f7"}), "deployment/web"},
		{owned("ReplicaSet", "web-6496f7", nil), "replicaset/web-6496f7"},                                             // a bare ReplicaSet
		{owned("ReplicaSet", "web-6496f7", map[string]string{"pod-template-hash": "other"}), "replicaset/web-6496f7"}, // not its hash
		{owned("StatefulSet", "db", nil), "statefulset/db"},
	} {
		if got := workloadOf(tc.pod); got != tc.want {
			t.Errorf("workloadOf(%v) = %q, want %q", tc.pod.OwnerReferences, got, tc.want)
		}
	}
}

// The table shows the reason last, "-" without one; JSON carries it as
// "reason", left out when empty.
func TestPrintReason(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	list := []Info{{ID: "aaaaa", User: "alice", Mode: mode.Clone, Started: now, Job: "j", Reason: "OPS-1 cache"}, {ID: "bbbbb", User: "bob", Mode: mode.Debug, Started: now, Pod: "p"}}
	var out, errOut bytes.Buffer
	if err := Print(&out, &errOut, list, "", now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "REASON") || !strings.HasSuffix(lines[1], "OPS-1 cache") || !strings.HasSuffix(lines[2], " -") {
		t.Errorf("table:\n%s", out.String())
	}
	out.Reset()
	if err := Print(&out, &errOut, list, "json", now); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), `"reason"`); n != 1 || !strings.Contains(out.String(), `"reason": "OPS-1 cache"`) {
		t.Errorf("json:\n%s", out.String())
	}
}

// A user name or workload annotation with escape sequences is printed
// escaped, each in its own cell.
func TestPrintEscapesClusterText(t *testing.T) {
	var out bytes.Buffer
	list := []Info{{ID: "x7k2p", User: "mallory\x1b]52;c;aGk=\x07", Mode: mode.Clone, Namespace: "shop",
		Workload: "deployment/web\n\x1b[1Afake row", Job: "eshell-x7k2p", Container: "web", Started: time.Unix(0, 0)}}
	if err := Print(&out, io.Discard, list, "", time.Unix(60, 0)); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.ContainsAny(got, "\x1b\x07") || strings.Count(got, "\n") != 2 || !strings.Contains(got, `mallory^[]52;c;aGk=\x07`) {
		t.Errorf("printed:\n%q", got)
	}
}

// Ended says true only once the session's processes are seen to end: the
// pod gone or replaced (another UID), or its containers terminated.
func TestEnded(t *testing.T) {
	pod := func(uid string, terminated bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-aaaaa-x", Namespace: "shop", UID: types.UID(uid)},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "web"}}}}
		if terminated {
			p.Status.ContainerStatuses[0].State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 137}
		} else {
			p.Status.ContainerStatuses[0].State.Running = &corev1.ContainerStateRunning{}
		}
		return p
	}
	listed := pod("uid-1", false)
	in := Info{ID: "aaaaa", Mode: mode.Clone, Namespace: "shop", Pod: listed.Name, PodObject: listed}
	for _, tc := range []struct {
		name    string
		objects []runtime.Object
		want    bool
	}{
		{"gone", nil, true},
		{"replaced", []runtime.Object{pod("uid-2", false)}, true},
		{"terminated", []runtime.Object{pod("uid-1", true)}, true},
		{"still running", []runtime.Object{pod("uid-1", false)}, false},
	} {
		c := fake.NewClientset(tc.objects...)
		got, err := Ended(context.Background(), session.Remote{Client: c}, in, 700*time.Millisecond)
		if err != nil || got != tc.want {
			t.Errorf("%s: Ended = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

// -o json leaves no control character a terminal acts on (encoding/json
// writes DEL and C1 raw) and stays JSON that decodes to the same text.
func TestPrintJSONEscapesC1(t *testing.T) {
	const user = "alice\x1b]52;c;aGk=\x07\u009b[2J\x7f"
	var out strings.Builder
	if err := Print(&out, io.Discard, []Info{{ID: "x7k2p", User: user}}, "json", time.Now()); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsFunc(out.String(), func(r rune) bool { return r == 0x1b || r == 0x07 || (r >= 0x7f && r <= 0x9f) }) {
		t.Errorf("a control character in the JSON: %q", out.String())
	}
	var back []Info
	if err := json.Unmarshal([]byte(out.String()), &back); err != nil || len(back) != 1 || back[0].User != user {
		t.Errorf("the JSON does not decode to the same user: %v %+v", err, back)
	}
}

// A control character in the cluster's text neither fails -o yaml (its
// encoder refuses them) nor reaches the terminal: it is shown escaped.
func TestPrintYAMLEscapesControls(t *testing.T) {
	const user = "alice\x1b]52;c;aGk=\x07\u009b[2J\x7f"
	var out strings.Builder
	if err := Print(&out, io.Discard, []Info{{ID: "x7k2p", User: user, Reason: "OPS-1\nforged"}}, "yaml", time.Now()); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsFunc(out.String(), func(r rune) bool { return r == 0x1b || r == 0x07 || (r >= 0x7f && r <= 0x9f) }) {
		t.Errorf("a control character in the YAML: %q", out.String())
	}
	if !strings.Contains(out.String(), "user: alice^[]52;c;aGk=") || strings.Contains(out.String(), "\nforged") {
		t.Errorf("yaml:\n%s", out.String())
	}
}
