package picker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/target"
	"github.com/sberz/kubectl-eshell/pkg/target/targettest"
)

const envLabel = keys.EnvNameLabel

func namespace(name string, labels, annotations map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}}
}

func forbid(c *fake.Clientset, verb, resource string) {
	c.PrependReactor(verb, resource, func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New("no"))
	})
}

// now is the fixed clock of the rendering tests.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// created is a namespace created ago before now.
func created(ns *corev1.Namespace, ago time.Duration) *corev1.Namespace {
	ns.CreationTimestamp = metav1.NewTime(now.Add(-ago))
	return ns
}

func TestListEnvironmentsLabelled(t *testing.T) {
	c := fake.NewClientset(
		created(namespace("shop-pr-7", map[string]string{envLabel: "shop"}, map[string]string{
			keys.EnvStatusAnnotationPrefix + "migrated": "false",
			keys.EnvStatusAnnotationPrefix + "deployed": "true",
			keys.EnvStatusAnnotationPrefix + "seeded":   "pending",
			keys.EnvURLAnnotationPrefix + "web":         "http://web.shop",
			keys.EnvURLAnnotationPrefix + "api":         "http://api.shop",
			keys.EnvOwnerKey:                            "ana@example.com",
			"unrelated":                                 "x",
		}), 3*time.Hour),
		// The owner label where there is no annotation; created-at wins
		// over the namespace's creation.
		created(namespace("demo-pr-42", map[string]string{envLabel: "demo", keys.EnvOwnerKey: "bo"},
			map[string]string{keys.EnvCreatedAtAnnotation: now.Add(-50 * time.Hour).Format(time.RFC3339)}), time.Minute),
		// A created-at that does not parse leaves the namespace's creation.
		created(namespace("api-pr-3", map[string]string{envLabel: "api"}, map[string]string{keys.EnvCreatedAtAnnotation: "yesterday"}), 90*time.Second),
		namespace("plain", nil, nil),
		namespace("gone", map[string]string{envLabel: "gone"}, nil),
	)
	// A terminating environment is not offered.
	gone, _ := c.CoreV1().Namespaces().Get(context.Background(), "gone", metav1.GetOptions{})
	gone.Status.Phase = corev1.NamespaceTerminating
	_, _ = c.CoreV1().Namespaces().Update(context.Background(), gone, metav1.UpdateOptions{})

	envs, err := ListEnvironments(context.Background(), c, envLabel, "shop-pr-7")
	if err != nil {
		t.Fatal(err)
	}
	if !envs.Labelled || envs.Forbidden {
		t.Fatalf("labelled=%v forbidden=%v, want labelled only", envs.Labelled, envs.Forbidden)
	}
	// Newest first; shop fails "migrated", so it is shown only with all,
	// marked.
	all := envs.Show(true)
	want := []string{
		"api   api-pr-3             -                90s",
		"shop  shop-pr-7 (current)  ana@example.com  3h    failing  deployed ✓ migrated ✗ seeded=pending  api=http://api.shop web=http://web.shop",
		"demo  demo-pr-42           bo               2d2h",
	}
	if diff := cmp.Diff(want, all.Rows(now)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if all.Default() != 1 || all.Hidden != 0 || all.AllFailing {
		t.Errorf("all: default %d, hidden %d, all failing %v; want 1 (the current namespace), 0, false", all.Default(), all.Hidden, all.AllFailing)
	}
	if got := envs.List[2].Label(); got != "environment demo (namespace demo-pr-42)" {
		t.Errorf("label %q", got)
	}
	shown := envs.Show(false)
	want = []string{
		"api   api-pr-3    -   90s",
		"demo  demo-pr-42  bo  2d2h",
	}
	if diff := cmp.Diff(want, shown.Rows(now)); diff != "" || shown.Hidden != 1 || shown.AllFailing || shown.Default() != 0 {
		t.Errorf("hiding the failing one: hidden %d, all failing %v, default %d, rows (-want +got):\n%s", shown.Hidden, shown.AllFailing, shown.Default(), diff)
	}
}

func TestShowEnvironments(t *testing.T) {
	fails := []Check{{"deployed", "true"}, {"migrated", " False "}}
	env := func(name string, ago time.Duration, checks ...Check) Environment {
		return Environment{Name: name, Namespace: name + "-ns", Created: now.Add(-ago), Checks: checks}
	}
	names := func(l []Environment) []string {
		var out []string
		for _, e := range l {
			out = append(out, e.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		list       []Environment
		all        bool
		want       []string
		hidden     int
		allFailing bool
	}{
		{"none fails", []Environment{env("a", time.Hour), env("b", 0, Check{"up", "pending"})}, false, []string{"a", "b"}, 0, false},
		{"one hidden", []Environment{env("a", time.Hour, fails...), env("b", 0)}, false, []string{"b"}, 1, false},
		{"all asked", []Environment{env("a", time.Hour, fails...), env("b", 0)}, true, []string{"a", "b"}, 0, false},
		{"every one fails", []Environment{env("a", time.Hour, fails...), env("b", 0, Check{"up", "false"})}, false, []string{"a", "b"}, 0, true},
		{"nothing", nil, false, nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := (&Environments{List: tc.list, Labelled: true}).Show(tc.all)
			if diff := cmp.Diff(tc.want, names(s.List)); diff != "" || s.Hidden != tc.hidden || s.AllFailing != tc.allFailing {
				t.Errorf("hidden %d (want %d), all failing %v (want %v), shown (-want +got):\n%s", s.Hidden, tc.hidden, s.AllFailing, tc.allFailing, diff)
			}
		})
	}
	if got := env("a", 0, fails...).Failing(); !cmp.Equal(got, []string{"migrated"}) {
		t.Errorf("Failing() = %q", got)
	}
}

func TestStatusFilter(t *testing.T) {
	env := func(name string, checks ...Check) Environment {
		return Environment{Name: name, Namespace: name + "-ns", Checks: checks}
	}
	list := []Environment{
		env("ready", Check{"deployed", "true"}, Check{"migrating", "false"}),
		env("moving", Check{"deployed", "True"}, Check{"migrating", "true"}),
		env("quiet", Check{"deployed", " true "}),                         // no migrating check: not migrating
		env("down", Check{"deployed", "false"}, Check{"seeded", "false"}), // fails, and is not deployed
		env("pending", Check{"deployed", "pending"}),                      // neither true nor false
		env("bare"),
	}
	names := func(l []Environment) []string {
		var out []string
		for _, e := range l {
			out = append(out, e.Name)
		}
		return out
	}
	for _, tc := range []struct {
		filter string
		all    bool
		want   []string
		hidden int
	}{
		{filter: "deployed,!migrating", want: []string{"ready", "quiet"}, hidden: 4},
		{filter: " deployed , ! migrating ", want: []string{"ready", "quiet"}, hidden: 4},
		{filter: "!deployed", want: []string{"down", "pending", "bare"}, hidden: 3},
		// A failed check the filter does not name hides nothing.
		{filter: "!migrating", want: []string{"ready", "quiet", "down", "pending", "bare"}, hidden: 1},
		// A filter that matches nothing shows nothing, unlike failing ones.
		{filter: "seeded", want: nil, hidden: 6},
		{filter: "seeded", all: true, want: names(list), hidden: 0},
		// No filter: the failing ones are hidden, ready too for its
		// migrating=false, which the filter above reads as it is meant.
		{filter: "", want: []string{"moving", "quiet", "pending", "bare"}, hidden: 2},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := ParseStatusFilter(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			s := (&Environments{List: list, Labelled: true}).ShowFiltered(tc.all, f)
			if diff := cmp.Diff(tc.want, names(s.List)); diff != "" || s.Hidden != tc.hidden || s.AllFailing {
				t.Errorf("hidden %d (want %d), all failing %v, shown (-want +got):\n%s", s.Hidden, tc.hidden, s.AllFailing, diff)
			}
		})
	}
	if f, _ := ParseStatusFilter("deployed, !migrating"); f.String() != "deployed,!migrating" {
		t.Errorf("String() = %q", f.String())
	}
	for _, bad := range []string{"deployed,", "!", "a=b", "!!x", "status.envs.sberz.de/deployed", "a b"} {
		if _, err := ParseStatusFilter(bad); err == nil || !strings.Contains(err.Error(), "e.g. deployed,!migrating") {
			t.Errorf("ParseStatusFilter(%q) = %v, want an error with an example", bad, err)
		}
	}
}

func FuzzParseStatusFilter(f *testing.F) {
	for _, s := range []string{"deployed,!migrating", "", "!", "a,,b", " x "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		filter, err := ParseStatusFilter(s)
		if err != nil || filter == nil {
			return
		}
		// What parsed reads back as itself.
		again, err := ParseStatusFilter(filter.String())
		if err != nil || !cmp.Equal(filter, again) {
			t.Fatalf("%q -> %q -> %v, %v", s, filter.String(), again, err)
		}
	})
}

func TestSortNewestFirst(t *testing.T) {
	list := []Environment{
		{Name: "old", Namespace: "old", Created: now.Add(-48 * time.Hour)},
		{Name: "b", Namespace: "b2", Created: now},
		{Name: "unknown", Namespace: "u"},
		{Name: "b", Namespace: "b1", Created: now},
		{Name: "a", Namespace: "a", Created: now},
		{Name: "new", Namespace: "new", Created: now.Add(time.Minute)},
	}
	sortNewestFirst(list)
	var got []string
	for _, e := range list {
		got = append(got, e.Namespace)
	}
	if want := []string{"new", "a", "b1", "b2", "old", "u"}; !cmp.Equal(want, got) {
		t.Errorf("order %q, want %q (newest first, then name and namespace; no time last)", got, want)
	}
}

func TestEnvironmentCandidates(t *testing.T) {
	s := Shown{List: []Environment{
		{Name: "shop", Namespace: "shop-pr-7", Owner: "ana", Created: now.Add(-5 * time.Minute), Checks: []Check{{"migrated", "false"}, {"seeded", "false"}}},
		{Name: "demo", Namespace: "demo-pr-42", Created: now.Add(-26 * time.Hour)},
		{Name: "demo", Namespace: "demo-copy", Created: now.Add(-30 * time.Hour)},
	}}
	want := []Candidate{
		{Value: "shop", Description: "namespace shop-pr-7, owner ana, age 5m, failing: migrated seeded"},
		{Value: "demo", Description: "namespace demo-pr-42, age 26h"},
	}
	if diff := cmp.Diff(want, s.Candidates(now)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestListEnvironmentsUnlabelledCurrentFirst(t *testing.T) {
	c := fake.NewClientset(namespace("alpha", nil, nil), namespace("zeta", nil, nil), namespace("mine", nil, nil))
	envs, err := ListEnvironments(context.Background(), c, envLabel, "zeta")
	if err != nil {
		t.Fatal(err)
	}
	if envs.Labelled {
		t.Fatal("no namespace is labelled, yet Labelled")
	}
	shown := envs.Show(false)
	want := []string{"zeta (current)", "alpha", "mine"}
	if diff := cmp.Diff(want, shown.Rows(now)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if shown.Default() != 0 {
		t.Errorf("default %d, want 0", shown.Default())
	}
}

func TestListEnvironmentsForbidden(t *testing.T) {
	c := fake.NewClientset(namespace("other", map[string]string{envLabel: "x"}, nil))
	forbid(c, "list", "namespaces")
	envs, err := ListEnvironments(context.Background(), c, envLabel, "mine")
	if err != nil {
		t.Fatalf("a user who may not list namespaces got an error: %v", err)
	}
	if !envs.Forbidden || len(envs.List) != 1 || envs.List[0].Namespace != "mine" || !envs.List[0].Current {
		t.Errorf("want the current namespace alone, got %+v", envs)
	}
	if _, err := FindEnvironment(context.Background(), c, envLabel, "x"); err == nil || !strings.Contains(err.Error(), "-n NAMESPACE") {
		t.Errorf("--env without permission: %v", err)
	}
}

func TestListEnvironmentsOtherErrorsFail(t *testing.T) {
	c := fake.NewClientset()
	c.PrependReactor("list", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	if _, err := ListEnvironments(context.Background(), c, envLabel, "mine"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("got %v", err)
	}
}

func TestFindEnvironment(t *testing.T) {
	c := fake.NewClientset(
		namespace("demo-pr-42", map[string]string{envLabel: "demo"}, nil),
		namespace("shop-1", map[string]string{envLabel: "shop"}, nil),
		namespace("shop-2", map[string]string{envLabel: "shop"}, nil),
	)
	ctx := context.Background()
	for _, tc := range []struct{ name, ns, err string }{
		{"demo", "demo-pr-42", ""},
		{"demo-pr-42", "demo-pr-42", ""}, // the namespace name works too
		{"nope", "", `no environment "nope" (namespaces labelled envs.sberz.de/name); the environments are: demo (namespace demo-pr-42), shop (namespace shop-1), shop (namespace shop-2)`},
		{"shop", "", `environment "shop" is in more than one namespace: shop-1, shop-2`},
	} {
		e, err := FindEnvironment(ctx, c, envLabel, tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || e.Namespace != tc.ns {
			t.Errorf("%s: got %q, %v; want %q", tc.name, e.Namespace, err, tc.ns)
		}
	}
}

func TestFindEnvironmentWithoutLabelledNamespaces(t *testing.T) {
	c := fake.NewClientset(namespace("plain", nil, nil))
	_, err := FindEnvironment(context.Background(), c, "custom/env", "plain")
	if err == nil || !strings.Contains(err.Error(), "no namespace has the label custom/env") {
		t.Errorf("got %v", err)
	}
}

func workloadObjects(now time.Time) []runtime.Object {
	at := func(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }
	om := func(name string, age time.Duration) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: "ns", CreationTimestamp: at(age)}
	}
	owned := om("web-abc", time.Hour)
	owned.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-1"}}
	clone := om("web-eshell-x", time.Minute)
	clone.Labels = map[string]string{keys.ManagedByLabel: keys.ManagedByValue}
	cronJob := om("nightly-123", 2*time.Hour)
	cronJob.OwnerReferences = []metav1.OwnerReference{{Kind: "CronJob", Name: "nightly"}}
	return []runtime.Object{
		&appsv1.Deployment{ObjectMeta: om("web", 3*24*time.Hour), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3)}, Status: appsv1.DeploymentStatus{ReadyReplicas: 2}},
		&appsv1.Deployment{ObjectMeta: om("api", 5*time.Minute), Status: appsv1.DeploymentStatus{ReadyReplicas: 1}},
		&appsv1.StatefulSet{ObjectMeta: om("db", 40*time.Hour), Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](1)}, Status: appsv1.StatefulSetStatus{ReadyReplicas: 1}},
		&appsv1.DaemonSet{ObjectMeta: om("agent", 10*time.Second), Status: appsv1.DaemonSetStatus{NumberReady: 0, DesiredNumberScheduled: 2}},
		&batchv1.CronJob{ObjectMeta: om("nightly", 90*time.Minute), Spec: batchv1.CronJobSpec{Suspend: ptr.To(true)}, Status: batchv1.CronJobStatus{Active: []corev1.ObjectReference{{Name: "nightly-123"}}}},
		&batchv1.Job{ObjectMeta: om("migrate", 30*time.Minute), Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}},
		&batchv1.Job{ObjectMeta: cronJob, Status: batchv1.JobStatus{Ready: ptr.To[int32](1)}},
		// A clone session is a Job of eshell's own: never a service to pick.
		&batchv1.Job{ObjectMeta: clone},
		&corev1.Pod{ObjectMeta: om("debug-pod", 2*time.Minute), Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}, {Name: "b"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Ready: true}, {Ready: false}}}},
		&corev1.Pod{ObjectMeta: om("waiting", time.Minute), Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}}}, Status: corev1.PodStatus{Phase: corev1.PodPending}},
		&corev1.Pod{ObjectMeta: owned, Status: corev1.PodStatus{Phase: corev1.PodRunning}},
		&corev1.Pod{ObjectMeta: clone, Status: corev1.PodStatus{Phase: corev1.PodRunning}},
	}
}

func TestListWorkloadsRendering(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := targettest.NewClientset(workloadObjects(now)...)
	c.Now = func() time.Time { return now } // the ages are the server's
	l := ListWorkloads(context.Background(), c, "ns", time.Second)
	if len(l.Failed) > 0 || len(l.Forbidden) > 0 {
		t.Fatalf("failed %v forbidden %v", l.Failed, l.Forbidden)
	}
	want := []string{
		"deploy/api         Deployment   1/1              5m",
		"deploy/web         Deployment   2/3              3d",
		"sts/db             StatefulSet  1/1              40h",
		"ds/agent           DaemonSet    0/2              10s",
		"cj/nightly         CronJob      1 active suspended  90m",
		"job/migrate        Job          Complete         30m",
		"pod/debug-pod      Pod          1/2              2m",
		"pod/waiting        Pod          0/1 Pending      60s",
	}
	// The table is aligned on its widest cell.
	want = realign(want)
	if diff := cmp.Diff(want, WorkloadRows(l.Workloads)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestCandidate reads rows as the API server words them (kubectl get's
// columns): what each kind shows, and what is offered through another
// object.
func TestCandidate(t *testing.T) {
	row := func(cells map[string]string, owners ...string) target.Row {
		r := target.Row{Meta: metav1.ObjectMeta{Name: "x"}, Cells: cells}
		for _, o := range owners {
			r.Meta.OwnerReferences = append(r.Meta.OwnerReferences, metav1.OwnerReference{Kind: o, Name: "owner"})
		}
		return r
	}
	for _, tc := range []struct {
		kind target.Kind
		row  target.Row
		want string // "" when not offered
	}{
		{target.KindDeployment, row(map[string]string{"Ready": "2/3", "Up-to-date": "3", "Available": "2"}), "2/3"},
		{target.KindStatefulSet, row(map[string]string{"Ready": "0/0"}), "0/0"},
		{target.KindDaemonSet, row(map[string]string{"Desired": "2", "Current": "2", "Ready": "1"}), "1/2"},
		{target.KindCronJob, row(map[string]string{"Suspend": "False", "Active": "0"}), "0 active"},
		{target.KindCronJob, row(map[string]string{"Suspend": "True", "Active": "2"}), "2 active suspended"},
		{target.KindJob, row(map[string]string{"Status": "Complete", "Completions": "1/1"}), "Complete"},
		{target.KindJob, row(map[string]string{"Status": "Failed", "Completions": "0/1"}), "Failed"},
		{target.KindJob, row(map[string]string{"Status": "Running", "Completions": "0/1 of 3"}), "Running 0/1 of 3"},
		{target.KindJob, row(map[string]string{"Status": "Suspended", "Completions": "0/1"}), "Suspended 0/1"},
		{target.KindJob, row(map[string]string{"Status": "Running", "Completions": "0/1"}, "CronJob"), ""},
		{target.KindPod, row(map[string]string{"Ready": "1/1", "Status": "Running"}), "1/1"},
		{target.KindPod, row(map[string]string{"Ready": "0/2", "Status": "CrashLoopBackOff"}), "0/2 CrashLoopBackOff"},
		{target.KindPod, row(map[string]string{"Ready": "0/1", "Status": "Completed"}), "0/1 Completed"},
		{target.KindPod, row(map[string]string{"Ready": "1/1", "Status": "Running"}, "ReplicaSet"), ""},
		{target.KindReplicaSet, row(map[string]string{"Ready": "1"}), ""},
	} {
		w, ok := candidate(tc.kind, tc.row)
		if ok != (tc.want != "") || w.Ready != tc.want {
			t.Errorf("%s %v: %q, %v; want %q", tc.kind, tc.row.Cells, w.Ready, ok, tc.want)
		}
	}
}

// realign re-spaces rows written by hand with at least two spaces between
// columns, as Table would.
func realign(rows []string) []string {
	var cells [][]string
	for _, r := range rows {
		var cs []string
		for _, f := range strings.Split(r, "  ") {
			if f = strings.TrimSpace(f); f != "" {
				cs = append(cs, f)
			}
		}
		cells = append(cells, cs)
	}
	return Table(cells)
}

func TestTable(t *testing.T) {
	got := Table([][]string{{"a", "✓✓", "x"}, {"long", "b", ""}})
	want := []string{"a     ✓✓  x", "long  b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// slowList makes every list of the kinds take d, ignoring the context, as
// a hung connection might. (A sleeping reactor of the fake clientset would
// not do: the fake runs its reactors one at a time.)
func slowList(t *testing.T, d time.Duration, kinds ...target.Kind) {
	t.Cleanup(func() { listKindFunc = listKind })
	slow := map[target.Kind]bool{}
	for _, k := range kinds {
		slow[k] = true
	}
	listKindFunc = func(ctx context.Context, c kubernetes.Interface, ns string, k target.Kind) ([]Workload, error) {
		if slow[k] {
			time.Sleep(d)
		}
		return listKind(ctx, c, ns, k)
	}
}

func TestListWorkloadsConcurrent(t *testing.T) {
	c := targettest.NewClientset(workloadObjects(time.Now())...)
	slowList(t, 300*time.Millisecond, WorkloadKinds...)
	start := time.Now()
	l := ListWorkloads(context.Background(), c, "ns", 5*time.Second)
	if took := time.Since(start); took > 1200*time.Millisecond {
		t.Errorf("six lists of 300ms took %s: they did not run at once", took)
	}
	if len(l.Workloads) != 8 {
		t.Errorf("got %d workloads, want 8", len(l.Workloads))
	}
}

func TestListWorkloadsTimeoutAndForbidden(t *testing.T) {
	c := targettest.NewClientset(workloadObjects(time.Now())...)
	slowList(t, 3*time.Second, target.KindCronJob)
	forbid(c.Clientset, "list", "daemonsets")
	forbid(c.Clientset, "list", "statefulsets")
	start := time.Now()
	l := ListWorkloads(context.Background(), c, "ns", 200*time.Millisecond)
	if took := time.Since(start); took > time.Second {
		t.Errorf("a hung list held the question up for %s; the timeout is 200ms", took)
	}
	if _, ok := l.Failed[target.KindCronJob]; !ok || len(l.Failed) != 1 {
		t.Errorf("failed %v, want cronjobs alone", l.Failed)
	}
	if !strings.Contains(l.FailedKinds(), "cronjobs (no answer within 200ms)") {
		t.Errorf("FailedKinds %q", l.FailedKinds())
	}
	if diff := cmp.Diff([]target.Kind{target.KindStatefulSet, target.KindDaemonSet}, l.Forbidden); diff != "" {
		t.Errorf("forbidden (-want +got):\n%s", diff)
	}
	var refs []string
	for _, w := range l.Workloads {
		refs = append(refs, w.Ref().String())
	}
	want := []string{"deploy/api", "deploy/web", "job/migrate", "pod/debug-pod", "pod/waiting"}
	if diff := cmp.Diff(want, refs); diff != "" {
		t.Errorf("workloads (-want +got):\n%s", diff)
	}
}

// TestNames sits here for the objects: target.Names lists what completion
// offers, from metadata alone.
func TestNames(t *testing.T) {
	_, c := targettest.Fakes(workloadObjects(time.Now())...)
	pods, err := target.Names(context.Background(), c, "ns", target.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"debug-pod", "waiting", "web-abc"}, pods); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
	jobs, _ := target.Names(context.Background(), c, "ns", target.KindJob)
	if diff := cmp.Diff([]string{"migrate", "nightly-123"}, jobs); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}

func TestContainers(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{keys.DefaultContainerAnnotation: "worker"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "migrate", Image: "app:1"}, {Name: "proxy", Image: "proxy:2", RestartPolicy: &always}},
			Containers:     []corev1.Container{{Name: "web", Image: "app:1"}, {Name: "cache", Image: "redis:7"}, {Name: "worker", Image: "app:1"}},
		},
	}
	want := []string{
		"worker  app:1    (default)",
		"web     app:1",
		"cache   redis:7",
		"proxy   proxy:2  (sidecar)",
	}
	if diff := cmp.Diff(want, ContainerRows(Containers(tmpl))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestChooserSingleCandidateIsTakenAndSaid(t *testing.T) {
	var info bytes.Buffer
	p := &Scripted{}
	ch := &Chooser{Prompter: p, Info: &info}
	i, err := ch.Choose(Choice{What: "environment", Rows: []string{"demo"}, Auto: func(int) string { return "Using environment demo (namespace demo-pr-42)" }})
	if err != nil || i != 0 {
		t.Fatalf("got %d, %v", i, err)
	}
	if len(p.Asked) != 0 {
		t.Errorf("a single candidate was asked about: %+v", p.Asked)
	}
	if info.String() != "Using environment demo (namespace demo-pr-42)\n" {
		t.Errorf("info %q", info.String())
	}
}

func TestChooserAsksThePrompter(t *testing.T) {
	p := &Scripted{Answers: []string{"worker", ""}}
	ch := &Chooser{Prompter: p}
	rows := []string{"deploy/web  2/2", "deploy/worker  1/1", "pod/x  1/1"}
	i, err := ch.Choose(Choice{What: "service", Message: "Which service?", Rows: rows, Default: 2})
	if err != nil || i != 1 {
		t.Errorf("filter 'worker': got %d, %v, want 1", i, err)
	}
	i, err = ch.Choose(Choice{What: "service", Message: "Which service?", Rows: rows, Default: 2})
	if err != nil || i != 2 {
		t.Errorf("Enter on the default: got %d, %v, want 2", i, err)
	}
	want := []Question{{"Which service?", rows, 2}, {"Which service?", rows, 2}}
	if diff := cmp.Diff(want, p.Asked); diff != "" {
		t.Errorf("asked (-want +got):\n%s", diff)
	}
	if _, err := ch.Choose(Choice{What: "service", Message: "Again?", Rows: rows}); err == nil {
		t.Error("a question beyond the script did not fail")
	}
	p.Answers = []string{"nothing-like-it"}
	if _, err := ch.Choose(Choice{What: "service", Rows: rows}); err == nil {
		t.Error("an answer matching no option did not fail")
	}
}

func TestChoiceErrorWithoutTerminal(t *testing.T) {
	var rows []string
	for i := range 25 {
		rows = append(rows, fmt.Sprintf("env-%02d  ns-%02d", i, i))
	}
	ch := &Chooser{}
	_, err := ch.Choose(Choice{What: "environment", Flag: "--env NAME (or -n NAMESPACE)", Where: "(namespaces labelled x/y)", Rows: rows})
	var ce *ChoiceError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *ChoiceError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"which environment? There is no terminal to ask on, so choose it with --env NAME (or -n NAMESPACE).\nThe environments (namespaces labelled x/y):\n  env-00  ns-00\n",
		"\n  env-19  ns-19\n  ... and 5 more",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "env-20") {
		t.Errorf("message lists more than %d choices:\n%s", MaxListed, msg)
	}
	// Two choices: all listed, no "more".
	_, err = ch.Choose(Choice{What: "service", Flag: "TYPE/NAME or --service TYPE/NAME", Where: `in namespace "x"`, Rows: []string{"deploy/a", "deploy/b"}})
	want := "which service? There is no terminal to ask on, so choose it with TYPE/NAME or --service TYPE/NAME.\nThe services in namespace \"x\":\n  deploy/a\n  deploy/b"
	if err == nil || err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestNewSurveyNeedsFiles(t *testing.T) {
	if s := NewSurvey(strings.NewReader(""), &bytes.Buffer{}); s != nil {
		t.Error("a Survey on a non-file")
	}
}

func TestTargets(t *testing.T) {
	typed, md := targettest.Fakes(workloadObjects(time.Now())...)
	c := target.Clients{Typed: typed, Metadata: md}
	values := func(cs []Candidate) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Value)
		}
		return out
	}
	got, only, err := Targets(context.Background(), c, "ns", "")
	want := []string{"deploy/", "sts/", "ds/", "cj/", "job/", "pod/", "svc/", "agent", "api", "db", "debug-pod", "migrate", "nightly", "nightly-123", "waiting", "web", "web-abc"}
	if err != nil || only || !cmp.Equal(want, values(got)) {
		t.Errorf("Targets(\"\") = %q, %v, %v; want %q", values(got), only, err, want)
	}
	got, _, _ = Targets(context.Background(), c, "ns", "deploy/w")
	if !cmp.Equal([]string{"deploy/web"}, values(got)) {
		t.Errorf("Targets(deploy/w) = %q", values(got))
	}
	got, only, _ = Targets(context.Background(), c, "ns", "d")
	if !cmp.Equal([]string{"deploy/", "ds/", "db", "debug-pod"}, values(got)) || only {
		t.Errorf("Targets(d) = %q, %v", values(got), only)
	}
	if got, only, _ = Targets(context.Background(), c, "other", "s"); !cmp.Equal([]string{"sts/", "svc/"}, values(got)) || !only {
		t.Errorf("an empty namespace offers the prefixes alone, with no space after: %q, %v", values(got), only)
	}
	// Services complete after their prefix, in every spelling.
	typed, md = targettest.Fakes(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}})
	c = target.Clients{Typed: typed, Metadata: md}
	for word, want := range map[string]string{"svc/": "svc/web", "service/w": "service/web", "services/": "services/web"} {
		if got, _, err := Targets(context.Background(), c, "ns", word); err != nil || !cmp.Equal([]string{want}, values(got)) {
			t.Errorf("Targets(%s) = %q, %v", word, values(got), err)
		}
	}
}

func TestConfirmReadsOneLineOnly(t *testing.T) {
	for answer, want := range map[string]bool{"y\n": true, "\tYes \n": true, "n\n": false, "\n": false, "": false} {
		in := strings.NewReader(answer + "echo after\n")
		var out strings.Builder
		if got := Confirm(in, &out, "Attach? "); got != want || out.String() != "Attach? " {
			t.Errorf("answer %q: %v (asked %q), want %v", answer, got, out.String(), want)
		}
		if rest, _ := io.ReadAll(in); strings.HasSuffix(answer, "\n") && string(rest) != "echo after\n" {
			t.Errorf("answer %q swallowed the session's input: %q left", answer, rest)
		}
	}
	if !Confirm(strings.NewReader("yes"), io.Discard, "?") {
		t.Error("an answer ended by the end of input is still an answer")
	}
}

func TestChooserMore(t *testing.T) {
	more := Choice{What: "environment", Message: "Which environment?", Flag: "--env NAME", Rows: []string{"demo"},
		More: "(show 1 hidden failing environment)", Note: "Hidden: 1 failing environment.",
		Auto: func(int) string { return "Using demo" }}
	// A single candidate with More is asked about; More is the last option.
	p := &Scripted{Answers: []string{"show", ""}}
	var info bytes.Buffer
	ch := &Chooser{Prompter: p, Info: &info}
	if i, err := ch.Choose(more); err != nil || i != 1 {
		t.Errorf("choosing More: %d, %v, want 1 (len(Rows))", i, err)
	}
	if i, err := ch.Choose(more); err != nil || i != 0 {
		t.Errorf("Enter: %d, %v, want 0", i, err)
	}
	if want := []string{"demo", "(show 1 hidden failing environment)"}; !cmp.Equal(want, p.Asked[0].Options) || len(more.Rows) != 1 {
		t.Errorf("options %q, want %q; rows %q unchanged", p.Asked[0].Options, want, more.Rows)
	}
	if info.Len() != 0 {
		t.Errorf("a question asked was said to be automatic: %q", info.String())
	}
	// Without a terminal: the list, then the note.
	_, err := (&Chooser{}).Choose(more)
	want := "which environment? There is no terminal to ask on, so choose it with --env NAME.\nThe environments:\n  demo\nHidden: 1 failing environment."
	if err == nil || err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestScriptedConfirm(t *testing.T) {
	p := &Scripted{Answers: []string{"y", "n", "", ""}}
	ch := &Chooser{Prompter: p}
	for i, want := range []bool{true, false, true, false} {
		def := i != 3
		if got, err := ch.Confirm("Clone?", def); err != nil || got != want {
			t.Errorf("answer %d (default %v): %v, %v; want %v", i, def, got, err, want)
		}
	}
	if _, err := (&Chooser{}).Confirm("Clone?", true); err == nil {
		t.Error("a question without a terminal was answered")
	}
}

func TestSurveyConfirm(t *testing.T) {
	for _, tc := range []struct {
		answer    string
		def, want bool
		asked     string
	}{
		{"\n", true, true, "Clone? [Y/n] "},
		{"\n", false, false, "Clone? [y/N] "},
		{" Yes\n", false, true, "Clone? [y/N] "},
		{"n\n", true, false, "Clone? [Y/n] "},
		{"maybe\n", true, false, "Clone? [Y/n] "},
	} {
		in, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r, out, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.WriteString(tc.answer + "after\n")
		got, err := (&Survey{In: in, Out: out, Err: out}).Confirm("Clone?", tc.def)
		_ = out.Close()
		asked, _ := io.ReadAll(r)
		rest := make([]byte, 6)
		n, _ := in.Read(rest)
		if err != nil || got != tc.want || string(asked) != tc.asked || string(rest[:n]) != "after\n" {
			t.Errorf("answer %q (default %v): %v, %v, asked %q, left %q; want %v, asked %q, left \"after\\n\"", tc.answer, tc.def, got, err, asked, rest[:n], tc.want, tc.asked)
		}
		for _, f := range []*os.File{in, w, r} {
			_ = f.Close()
		}
	}
}
