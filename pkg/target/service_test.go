package target

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sberz/kubectl-eshell/pkg/target/targettest"
)

func TestSelects(t *testing.T) {
	for _, tt := range []struct {
		name             string
		selector, labels map[string]string
		want             bool
	}{
		{"equal", map[string]string{"app": "web"}, map[string]string{"app": "web"}, true},
		{"subset of the labels", map[string]string{"app": "web"}, map[string]string{"app": "web", "track": "canary"}, true},
		{"every key must match", map[string]string{"app": "web", "tier": "front"}, map[string]string{"app": "web"}, false},
		{"other value", map[string]string{"app": "web"}, map[string]string{"app": "api"}, false},
		{"no labels", map[string]string{"app": "web"}, nil, false},
		{"empty selector selects nothing", nil, map[string]string{"app": "web"}, false},
	} {
		if got := Selects(tt.selector, tt.labels); got != tt.want {
			t.Errorf("%s: Selects(%v, %v) = %v, want %v", tt.name, tt.selector, tt.labels, got, tt.want)
		}
	}
}

func TestControllerOf(t *testing.T) {
	yes, no := true, false
	ref := func(apiVersion, kind, name string, controller *bool) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, Controller: controller}
	}
	for _, tt := range []struct {
		name string
		refs []metav1.OwnerReference
		want Ref
		ok   bool
	}{
		{"replicaset", []metav1.OwnerReference{ref("apps/v1", "ReplicaSet", "web-7d4b9", &yes)}, Ref{KindReplicaSet, "web-7d4b9"}, true},
		{"deployment", []metav1.OwnerReference{ref("apps/v1", "Deployment", "web", &yes)}, Ref{KindDeployment, "web"}, true},
		{"job of a cronjob", []metav1.OwnerReference{ref("batch/v1", "CronJob", "nightly", &yes)}, Ref{KindCronJob, "nightly"}, true},
		{"statefulset", []metav1.OwnerReference{ref("apps/v1", "StatefulSet", "db", &yes)}, Ref{KindStatefulSet, "db"}, true},
		{"no owner", nil, Ref{}, false},
		{"owner, not controller", []metav1.OwnerReference{ref("apps/v1", "ReplicaSet", "web-7d4b9", &no)}, Ref{}, false},
		{"the controller among owners", []metav1.OwnerReference{ref("v1", "ConfigMap", "x", nil), ref("apps/v1", "DaemonSet", "agent", &yes)}, Ref{KindDaemonSet, "agent"}, true},
		{"a kind eshell does not know", []metav1.OwnerReference{ref("argoproj.io/v1alpha1", "Rollout", "web", &yes)}, Ref{}, false},
		{"same kind name, other group", []metav1.OwnerReference{ref("example.com/v1", "Deployment", "web", &yes)}, Ref{}, false},
	} {
		got, ok := controllerOf(tt.refs)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: controllerOf = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReadyPods(t *testing.T) {
	yes, no := true, false
	ep := func(kind, name string, ready *bool) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{TargetRef: &corev1.ObjectReference{Kind: kind, Name: name}, Conditions: discoveryv1.EndpointConditions{Ready: ready}}
	}
	in := []discoveryv1.EndpointSlice{
		{Endpoints: []discoveryv1.Endpoint{ep("Pod", "a", &yes), ep("Pod", "b", &no), ep("Pod", "c", nil)}},
		{Endpoints: []discoveryv1.Endpoint{ep("Node", "n", &yes), {Addresses: []string{"10.0.0.1"}}, ep("Pod", "d", &yes)}},
	}
	got := names(readyPods(in))
	if want := []string{"a", "c", "d"}; !equal(got, want) {
		t.Errorf("readyPods = %v, want %v (a nil Ready is ready; not-ready, non-pod and unreferenced endpoints are left out)", got, want)
	}
}

// names are the keys of a set, sorted.
func names(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func TestBehindFindAndOnly(t *testing.T) {
	b := &Behind{Service: "web", Workloads: []*Workload{
		{Kind: KindDeployment, Name: "web"}, {Kind: KindDeployment, Name: "web-canary"}, {Kind: KindStatefulSet, Name: "web"},
	}}
	for _, tt := range []struct {
		ref  Ref
		want int
		err  string
	}{
		{Ref{KindDeployment, "web-canary"}, 1, ""},
		{Ref{KindStatefulSet, "web"}, 2, ""},
		{Ref{Name: "web-canary"}, 1, ""},
		{Ref{Name: "web"}, -1, `"web" names more than one workload behind service "web": pass one of deploy/web, deploy/web-canary, sts/web with --service`},
		{Ref{KindDeployment, "api"}, -1, `--service deploy/api is not behind service "web": pass one of deploy/web, deploy/web-canary, sts/web (or name the workload alone, without svc/web)`},
		{Ref{KindDaemonSet, "web"}, -1, "is not behind service"},
	} {
		got, err := b.Find(tt.ref)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Find(%v) = %d, %v; want %d, error containing %q", tt.ref, got, err, tt.want, tt.err)
		}
	}
	if _, err := b.Only(); err == nil || err.Error() != `service "web" selects pods of 3 workloads: deploy/web, deploy/web-canary, sts/web; choose one with --service TYPE/NAME` {
		t.Errorf("Only of three: %v", err)
	}
	one := &Behind{Service: "web", Workloads: b.Workloads[:1]}
	if w, err := one.Only(); err != nil || w != b.Workloads[0] {
		t.Errorf("Only of one = %v, %v", w, err)
	}
	if got := one.Arrow(b.Workloads[0]); got != "service web -> deployment/web" {
		t.Errorf("Arrow = %q", got)
	}
	one.ByTemplate = true
	if got := one.Arrow(b.Workloads[0]); !strings.HasPrefix(got, "service web -> deployment/web (no ready endpoints") {
		t.Errorf("Arrow by template = %q", got)
	}
}

// svcCluster is namespace "shop": Service web in front of the pods of
// Deployment web (through its ReplicaSet) and of a bare pod, Service idle in
// front of a Deployment scaled to zero, and two Services without selector.
func svcCluster() []runtime.Object {
	yes := true
	web := map[string]string{"app": "web"}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-7d4b9", Namespace: "shop", OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Controller: &yes}}},
		Spec:       appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: web}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: web}}},
	}
	owned := func(name string) *corev1.Pod {
		p := pod(name, web, corev1.PodRunning, true, time.Now())
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, Controller: &yes}}
		return p
	}
	endpoints := func(svc string, pods ...string) *discoveryv1.EndpointSlice {
		s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: svc + "-x", Namespace: "shop", Labels: map[string]string{discoveryv1.LabelServiceName: svc}}}
		for _, p := range pods {
			s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: p}})
		}
		return s
	}
	service := func(name string, selector map[string]string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}, Spec: corev1.ServiceSpec{Selector: selector}}
	}
	idle := deployment("idle", map[string]string{"app": "idle"})
	external := service("db", nil)
	external.Spec.Type, external.Spec.ExternalName = corev1.ServiceTypeExternalName, "db.example.com"
	return []runtime.Object{
		deployment("web", web), rs, owned("web-7d4b9-a"), owned("web-7d4b9-b"),
		pod("solo", web, corev1.PodRunning, true, time.Now()),
		owned("web-7d4b9-old"), // selected, but not a ready endpoint
		service("web", web), endpoints("web", "web-7d4b9-a", "web-7d4b9-b", "solo"),
		service("only", web), endpoints("only", "web-7d4b9-a"),
		idle, service("idle", map[string]string{"app": "idle"}),
		service("none", map[string]string{"app": "gone"}),
		external, service("manual", nil),
	}
}

func TestResolveService(t *testing.T) {
	typed, md := targettest.Fakes(svcCluster()...)
	c := Clients{Typed: typed, Metadata: md}
	ctx := context.Background()
	for _, tt := range []struct {
		name, svc  string
		want       []string
		serving    []string
		byTemplate bool
		err        string
	}{
		{name: "endpoints lead through the ReplicaSet to the Deployment, and to a bare pod", svc: "web",
			want: []string{"pod/solo", "deploy/web"}, serving: []string{"solo", "web-7d4b9-a", "web-7d4b9-b"}},
		{name: "one workload", svc: "only", want: []string{"deploy/web"}, serving: []string{"web-7d4b9-a"}},
		{name: "no endpoints: the pod template", svc: "idle", want: []string{"deploy/idle"}, byTemplate: true},
		{name: "nothing behind", svc: "none", err: `service "none" has no ready endpoints, and its selector app=gone matches the pod template of no Deployment, StatefulSet or DaemonSet in namespace "shop"`},
		{name: "ExternalName", svc: "db", err: `service "db" has no selector (it is of type ExternalName, an alias of db.example.com), so eshell can't tell which pods serve it: name the workload instead as TYPE/NAME (e.g. deploy/db)`},
		{name: "manual endpoints", svc: "manual", err: `service "manual" has no selector (its endpoints are set by hand)`},
		{name: "typo", svc: "wbe", err: `no service "wbe" in namespace "shop"; did you mean svc/db, svc/web?`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ResolveService(ctx, c, "shop", tt.svc)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Refs(); !equal(got, tt.want) {
				t.Errorf("workloads %v, want %v", got, tt.want)
			}
			if got := names(b.Serving); !equal(got, tt.serving) {
				t.Errorf("serving %v, want %v", got, tt.serving)
			}
			if b.ByTemplate != tt.byTemplate {
				t.Errorf("ByTemplate = %v", b.ByTemplate)
			}
		})
	}
	b, _ := ResolveService(ctx, c, "shop", "web")
	if n := b.ServingPods(b.Workloads[1]); n != 2 {
		t.Errorf("deploy/web serves through %d pods, want 2", n)
	}
	if w, err := Resolve(ctx, c, "shop", Ref{KindService, "only"}); err != nil || w.Ref().String() != "deploy/web" {
		t.Errorf("Resolve(svc/only) = %v, %v", w, err)
	}
	if _, err := Resolve(ctx, c, "shop", Ref{KindService, "web"}); err == nil || !strings.Contains(err.Error(), "choose one with --service TYPE/NAME") {
		t.Errorf("Resolve(svc/web): %v", err)
	}
	if _, err := Resolve(ctx, c, "shop", Ref{Name: "idle"}); err != nil {
		t.Errorf("a bare name is never a Service, so idle is only deploy/idle: %v", err)
	}
}
