package clone

import (
	"context"
	"reflect"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sberz/kubectl-eshell/pkg/keys"
)

func podWith(labels, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-x7k2p", Labels: labels, Annotations: annotations}}
}

func TestIsClone(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"clone", podWith(map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: "s3ss10n"}, nil), true},
		{"managed by eshell without a session", podWith(map[string]string{keys.ManagedByLabel: keys.ManagedByValue}, nil), false},
		{"managed by eshell with an empty session", podWith(map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: ""}, nil), false},
		{"session of another tool", podWith(map[string]string{keys.ManagedByLabel: "helm", keys.SessionLabel: "s3ss10n"}, nil), false},
		{"session label alone", podWith(map[string]string{keys.SessionLabel: "s3ss10n"}, nil), false},
		{"no labels", podWith(nil, nil), false},
		{"nil pod", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsClone(tt.pod); got != tt.want {
				t.Errorf("IsClone = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	at := func(v string) *corev1.Pod { return podWith(nil, map[string]string{keys.ExpiresAnnotation: v}) }
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		pod  *corev1.Pod
		now  time.Time
		want bool
	}{
		{"before expiry", at("2026-03-01T12:00:01Z"), now, false},
		{"at expiry", at("2026-03-01T12:00:00Z"), now, true},
		{"after expiry", at("2026-03-01T11:59:59Z"), now, true},
		{"expiry with an offset", at("2026-03-01T12:30:00+01:00"), now, true},
		{"now in another zone", at("2026-03-01T12:00:01Z"), now.In(time.FixedZone("CET", 3600)), false},
		{"unparsable", at("tomorrow"), now, false},
		{"empty", at(""), now, false},
		{"no expiry", podWith(nil, nil), now, false},
		{"nil pod", nil, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expired(tt.pod, tt.now); got != tt.want {
				t.Errorf("Expired = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCollect(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clonePod := func(name, user string, phase corev1.PodPhase, expires time.Time) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop",
				Labels:      map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: name},
				Annotations: map[string]string{keys.UserAnnotation: user, keys.ExpiresAnnotation: expires.Format(time.RFC3339)}},
			Status: corev1.PodStatus{Phase: phase},
		}
	}
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	c := fake.NewClientset(
		clonePod("done", "alice", corev1.PodSucceeded, later),
		clonePod("expired", "alice", corev1.PodRunning, earlier),
		clonePod("live", "alice", corev1.PodRunning, later),
		clonePod("bobs", "bob", corev1.PodFailed, later),
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "shop", Labels: map[string]string{keys.ManagedByLabel: keys.ManagedByValue}}, Status: corev1.PodStatus{Phase: corev1.PodSucceeded}},
	)
	var got []string
	report := func(l Leftover) { got = append(got, l.Name+": "+l.Reason) }
	if err := Collect(context.Background(), c, Sweep{Namespace: "shop", User: "alice", DryRun: true, Now: now}, report); err != nil {
		t.Fatal(err)
	}
	want := []string{"done: finished: Succeeded", "expired: expired at " + earlier.Format(time.RFC3339)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("dry run found %q, want %q", got, want)
	}
	if l, _ := c.CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{}); len(l.Items) != 5 {
		t.Fatalf("a dry run deleted pods: %d left", len(l.Items))
	}
	got = nil
	if err := Collect(context.Background(), c, Sweep{Now: now}, report); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("everyone's, everywhere: %q, want done, expired and bobs", got)
	}
	l, _ := c.CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{})
	if len(l.Items) != 2 {
		t.Errorf("%d pods left, want live and the pod that is no clone", len(l.Items))
	}
}

func TestCollectJobs(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	job := func(name string, expires time.Time, cond batchv1.JobConditionType, reason string) *batchv1.Job {
		j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop",
			Labels:      map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: name},
			Annotations: map[string]string{keys.UserAnnotation: "alice", keys.ExpiresAnnotation: expires.Format(time.RFC3339)}}}
		if cond != "" {
			j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue, Reason: reason}}
		}
		return j
	}
	// The pod of a Job goes with its Job, whatever its phase.
	owned := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "gone-abcde", Namespace: "shop",
		Labels:          map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: "gone"},
		Annotations:     map[string]string{keys.UserAnnotation: "alice"},
		OwnerReferences: []metav1.OwnerReference{{Kind: "Job", Name: "gone", Controller: new(true)}}},
		Status: corev1.PodStatus{Phase: corev1.PodSucceeded}}
	c := fake.NewClientset(
		job("gone", later, batchv1.JobComplete, ""),
		job("deadline", later, batchv1.JobFailed, batchv1.JobReasonDeadlineExceeded),
		job("never", later, batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded),
		job("expired", earlier, "", ""),
		job("live", later, "", ""),
		owned,
	)
	stuck := job("stuck", later, "", "")
	stuck.Spec.Suspend = new(true)
	stuck.CreationTimestamp = metav1.NewTime(now.Add(-StuckSuspended - time.Second))
	isolating := job("isolating", later, "", "")
	isolating.Spec.Suspend = new(true)
	isolating.CreationTimestamp = metav1.NewTime(now.Add(-time.Second))
	for _, j := range []*batchv1.Job{stuck, isolating} {
		if _, err := c.BatchV1().Jobs("shop").Create(context.Background(), j, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	report := func(l Leftover) { got = append(got, l.Kind+" "+l.Name+": "+l.Reason) }
	if err := Collect(context.Background(), c, Sweep{Namespace: "shop", Now: now}, report); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"job deadline: finished: past its --max-duration",
		"job expired: expired at " + earlier.Format(time.RFC3339),
		"job gone: finished: its lifeline ended, so its client is gone",
		"job never: finished: failed (BackoffLimitExceeded), its client is gone or never connected",
		"job stuck: never started: its client died before the clone's NetworkPolicy copies were in place",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("found\n%q\nwant\n%q", got, want)
	}
	l, _ := c.BatchV1().Jobs("shop").List(context.Background(), metav1.ListOptions{})
	if len(l.Items) != 2 || l.Items[0].Name != "isolating" || l.Items[1].Name != "live" {
		t.Errorf("jobs left %v, want isolating and live", l.Items)
	}
}
