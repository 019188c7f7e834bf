package target

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/target/targettest"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in      string
		want    Ref
		wantErr string
	}{
		{in: "web", want: Ref{Name: "web"}},
		{in: "deploy/web", want: Ref{Kind: KindDeployment, Name: "web"}},
		{in: "deployment/web", want: Ref{Kind: KindDeployment, Name: "web"}},
		{in: "deployments.apps/web", want: Ref{Kind: KindDeployment, Name: "web"}},
		{in: "Deploy/web", want: Ref{Kind: KindDeployment, Name: "web"}},
		{in: "sts/db", want: Ref{Kind: KindStatefulSet, Name: "db"}},
		{in: "ds/agent", want: Ref{Kind: KindDaemonSet, Name: "agent"}},
		{in: "rs/web-1", want: Ref{Kind: KindReplicaSet, Name: "web-1"}},
		{in: "job/migrate", want: Ref{Kind: KindJob, Name: "migrate"}},
		{in: "cj/nightly", want: Ref{Kind: KindCronJob, Name: "nightly"}},
		{in: "cronjobs.batch/nightly", want: Ref{Kind: KindCronJob, Name: "nightly"}},
		{in: "po/web-7d4b9", want: Ref{Kind: KindPod, Name: "web-7d4b9"}},
		{in: "pods/web-7d4b9", want: Ref{Kind: KindPod, Name: "web-7d4b9"}},
		{in: "", wantErr: "no target given"},
		{in: "svc/web", want: Ref{Kind: KindService, Name: "web"}},
		{in: "service/web", want: Ref{Kind: KindService, Name: "web"}},
		{in: "services/web", want: Ref{Kind: KindService, Name: "web"}},
		{in: "cm/web", wantErr: `unknown resource type "cm"`},
		{in: "deploy/", wantErr: "is not TYPE/NAME"},
		{in: "deploy/a/b", wantErr: "is not TYPE/NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRef(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRef(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestUnknownTypeListsSupportedOnes(t *testing.T) {
	_, err := ParseRef("cm/web")
	for _, k := range []string{"deployment (deploy)", "statefulset (sts)", "cronjob (cj)", "pod (pod)", "service (svc)"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not list %q", err, k)
		}
	}
}

func TestCloseMatches(t *testing.T) {
	tests := []struct {
		name       string
		candidates []string
		want       []string
	}{
		{"wbe", []string{"web", "worker", "api"}, []string{"web"}},
		{"web", []string{"web-canary", "api"}, []string{"web-canary"}},
		{"payments", []string{"payment", "orders"}, []string{"payment"}},
		{"zzz", []string{"web", "api"}, nil},
	}
	for _, tt := range tests {
		got := closeMatches(tt.name, tt.candidates)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("closeMatches(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func always() *corev1.ContainerRestartPolicy {
	p := corev1.ContainerRestartPolicyAlways
	return &p
}

func TestContainer(t *testing.T) {
	spec := corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init"}, {Name: "proxy", RestartPolicy: always()}},
		Containers:     []corev1.Container{{Name: "app"}, {Name: "metrics"}},
	}
	annotated := metav1.ObjectMeta{Annotations: map[string]string{keys.DefaultContainerAnnotation: "metrics"}}
	tests := []struct {
		name, requested string
		meta            metav1.ObjectMeta
		spec            corev1.PodSpec
		want, note, err string
	}{
		{name: "first by default, said", spec: spec, want: "app", note: `Defaulted container "app" out of: app, metrics`},
		{name: "annotation wins", meta: annotated, spec: spec, want: "metrics", note: "from annotation"},
		{name: "requested", requested: "metrics", meta: annotated, spec: spec, want: "metrics"},
		{name: "native sidecar can be requested", requested: "proxy", spec: spec, want: "proxy"},
		{name: "init container cannot", requested: "init", spec: spec, err: `container "init" not found; valid containers: app, metrics (sidecars: proxy); pass one with -c`},
		{name: "only container, nothing said", spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "solo"}}}, want: "solo"},
		{name: "annotation naming nothing falls back", meta: metav1.ObjectMeta{Annotations: map[string]string{keys.DefaultContainerAnnotation: "gone"}}, spec: spec, want: "app", note: "Defaulted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, note, err := Container(tt.meta, tt.spec, tt.requested)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want || (tt.note == "") != (note == "") || !strings.Contains(note, tt.note) {
				t.Fatalf("Container() = %q, %q, %v; want %q with note containing %q", got, note, err, tt.want, tt.note)
			}
		})
	}
}

func pod(name string, labels map[string]string, phase corev1.PodPhase, ready bool, created time.Time) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: labels, CreationTimestamp: metav1.NewTime(created)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
		Status:     corev1.PodStatus{Phase: phase, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
}

func deployment(name string, labels map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}},
		},
	}
}

func TestResolve(t *testing.T) {
	now := time.Now()
	objs := []runtime.Object{
		deployment("web", map[string]string{"app": "web"}),
		deployment("both", map[string]string{"app": "both"}),
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "both", Namespace: "shop"}, Spec: appsv1.StatefulSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"x": "y"}}}},
		pod("lonely", nil, corev1.PodRunning, true, now),
	}
	typed, md := targettest.Fakes(objs...)
	c := Clients{Typed: typed, Metadata: md}
	ctx := context.Background()
	tests := []struct {
		ref      Ref
		wantKind Kind
		wantErr  string
	}{
		{ref: Ref{Name: "lonely"}, wantKind: KindPod},
		{ref: Ref{Name: "web"}, wantKind: KindDeployment},
		{ref: Ref{Kind: KindDeployment, Name: "web"}, wantKind: KindDeployment},
		{ref: Ref{Name: "both"}, wantErr: `"both" names more than one workload in namespace "shop": deploy/both, sts/both; pass one of them as TYPE/NAME`},
		{ref: Ref{Kind: KindDeployment, Name: "wbe"}, wantErr: `no deployment "wbe" in namespace "shop"; did you mean deploy/web?`},
		{ref: Ref{Name: "lonly"}, wantErr: `no pod or workload named "lonly" in namespace "shop"; did you mean pod/lonely?`},
	}
	for _, tt := range tests {
		t.Run(tt.ref.String(), func(t *testing.T) {
			w, err := Resolve(ctx, c, "shop", tt.ref)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || w.Kind != tt.wantKind {
				t.Fatalf("Resolve = %+v, %v; want kind %s", w, err, tt.wantKind)
			}
		})
	}
}

func TestRunningPodsNewestReadyFirst(t *testing.T) {
	now := time.Now()
	l := map[string]string{"app": "web"}
	c := fake.NewSimpleClientset(
		deployment("web", l),
		pod("old", l, corev1.PodRunning, true, now.Add(-time.Hour)),
		pod("new", l, corev1.PodRunning, true, now),
		pod("unready", l, corev1.PodRunning, false, now.Add(time.Minute)),
		pod("pending", l, corev1.PodPending, false, now.Add(time.Minute)),
		pod("clone", map[string]string{"app": "web", keys.ManagedByLabel: keys.ManagedByValue}, corev1.PodRunning, true, now.Add(time.Hour)),
	)
	w, err := Resolve(context.Background(), Clients{Typed: c}, "shop", Ref{Kind: KindDeployment, Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		readyOnly bool
		want      string
	}{
		{true, "new,old"},          // exec: ready only, newest first, no clones
		{false, "new,old,unready"}, // debug: ready first, then the unready one
	} {
		pods, err := RunningPods(context.Background(), c, w, tt.readyOnly)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range pods {
			names = append(names, p.Name)
		}
		if strings.Join(names, ",") != tt.want {
			t.Errorf("RunningPods(readyOnly=%v) = %v, want %s", tt.readyOnly, names, tt.want)
		}
	}
}

func TestNoRunningPod(t *testing.T) {
	l := map[string]string{"app": "web"}
	c := fake.NewSimpleClientset(deployment("web", l), pod("stuck", l, corev1.PodPending, false, time.Now()))
	w, _ := Resolve(context.Background(), Clients{Typed: c}, "shop", Ref{Kind: KindDeployment, Name: "web"})
	_, err := RunningPods(context.Background(), c, w, true)
	var nr *NoRunningPodError
	if !errors.As(err, &nr) {
		t.Fatalf("want NoRunningPodError, got %v", err)
	}
	for _, s := range []string{"deploy/web", "stuck Pending", "--mode clone"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

// TestRowsPages reads a listing a page at a time, with the clones left
// out, and the metadata only when asked for.
func TestRowsPages(t *testing.T) {
	defer func(n int64) { pageSize = n }(pageSize)
	pageSize = 2
	now := time.Now()
	var objs []runtime.Object
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		objs = append(objs, pod(n, map[string]string{"app": "web"}, corev1.PodRunning, true, now))
	}
	objs = append(objs, pod("clone", map[string]string{keys.ManagedByLabel: keys.ManagedByValue}, corev1.PodRunning, true, now))
	typed, _ := targettest.Fakes(objs...)
	for _, withMeta := range []bool{false, true} {
		typed.ClearActions()
		var names []string
		err := Rows(context.Background(), typed, "shop", KindPod, RowOptions{Selector: "app=web", Metadata: withMeta}, func(r Row) error {
			names = append(names, r.Meta.Name+" "+r.Cells["Ready"])
			if withMeta != (r.Meta.Labels["app"] == "web") {
				t.Errorf("metadata %v: row %+v", withMeta, r.Meta)
			}
			return nil
		})
		if err != nil || strings.Join(names, ",") != "a 0/1,b 0/1,c 0/1,d 0/1,e 0/1" {
			t.Errorf("metadata %v: %q, %v", withMeta, names, err)
		}
		if n := len(typed.Actions()); n != 3 {
			t.Errorf("metadata %v: %d requests for 5 rows in pages of 2, want 3", withMeta, n)
		}
	}
}
