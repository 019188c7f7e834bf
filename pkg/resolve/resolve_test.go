package resolve

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/preset"
	"github.com/sberz/kubectl-eshell/pkg/target"
	"github.com/sberz/kubectl-eshell/pkg/target/targettest"
)

// testResolver is a Resolver against a fake cluster, with no terminal
// unless p is given, and a request as the flags' defaults make it: clone
// mode in the kubeconfig's namespace "default".
func testResolver(t *testing.T, p picker.Prompter, objs ...runtime.Object) (*Resolver, Request, *bytes.Buffer) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var errOut bytes.Buffer
	typed, md := targettest.Fakes(objs...)
	r := &Resolver{
		Clients: target.Clients{Typed: typed, Metadata: md}, Chooser: &picker.Chooser{Prompter: p, Info: &errOut},
		Info: &errOut, Warn: &errOut,
		Presets: func() (*preset.Registry, error) { return preset.Load(preset.DefaultUserDir()) },
	}
	req := Request{EnvLabel: keys.EnvNameLabel, Base: plan.Plan{Mode: mode.Clone, Namespace: "default", Image: "busybox:1.37",
		Timeouts: plan.Timeouts{MaxDuration: time.Hour, PodRunningTimeout: time.Minute}}}
	return r, req, &errOut
}

func deployment(ns, name string, annotations, tmplAnnotations map[string]string, containers ...string) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations, CreationTimestamp: metav1.NewTime(time.Now().Add(-time.Hour))},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}, Annotations: tmplAnnotations}},
		},
	}
	for _, c := range containers {
		d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1.Container{Name: c, Image: c + ":1"})
	}
	return d
}

func runningPod(ns, name string, labels map[string]string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: c + ":1"})
	}
	return p
}

func envNamespace(name, env string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{keys.EnvNameLabel: env}}}
}

func cluster() []runtime.Object {
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		envNamespace("demo-pr-42", "demo"),
		envNamespace("shop-pr-7", "shop"),
		deployment("shop-pr-7", "web", nil, nil, "web"),
		deployment("shop-pr-7", "worker", nil, map[string]string{keys.DefaultContainerAnnotation: "second"}, "first", "second"),
		deployment("demo-pr-42", "web", nil, nil, "web"),
		deployment("default", "plain", nil, nil, "app"),
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "solo", Namespace: "default"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}, {Name: "b"}}}},
	}
}

func TestPickEverythingOnATerminal(t *testing.T) {
	p := &picker.Scripted{Answers: []string{"shop", "worker", "first"}}
	r, req, _ := testResolver(t, p, cluster()...)
	pl, err := r.Resolve(context.Background(), req)
	w := pl.Workload
	if err != nil {
		t.Fatal(err)
	}
	if pl.Namespace != "shop-pr-7" || w.Namespace != "shop-pr-7" || w.Name != "worker" || pl.Container != "first" {
		t.Errorf("namespace %q, workload %s/%s, container %q", pl.Namespace, w.Namespace, w.Name, pl.Container)
	}
	if len(p.Asked) != 3 {
		t.Fatalf("asked %d questions, want 3: %+v", len(p.Asked), p.Asked)
	}
	if p.Asked[0].Message != "Which environment?" || len(p.Asked[0].Options) != 2 || !strings.HasPrefix(p.Asked[0].Options[0], "demo  demo-pr-42") {
		t.Errorf("environment question %+v", p.Asked[0])
	}
	if p.Asked[1].Message != "Which service in namespace shop-pr-7?" || !strings.HasPrefix(p.Asked[1].Options[1], "deploy/worker  Deployment  0/1  60m") {
		t.Errorf("service question %+v", p.Asked[1])
	}
	// The annotated default container first, and preselected.
	if diff := cmp.Diff([]string{"second  second:1  (default)", "first   first:1"}, p.Asked[2].Options); diff != "" || p.Asked[2].Default != 0 {
		t.Errorf("container question (-want +got):\n%s (default %d)", diff, p.Asked[2].Default)
	}
	if pl.Command != nil {
		t.Errorf("the shell preset set a command: %q", pl.Command)
	}
}

func TestPickSingleCandidatesWithoutTerminal(t *testing.T) {
	objs := []runtime.Object{envNamespace("demo-pr-42", "demo"), deployment("demo-pr-42", "web", nil, nil, "web", "sidecar")}
	r, req, errOut := testResolver(t, nil, objs...)
	pl, err := r.Resolve(context.Background(), req)
	w := pl.Workload
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "web" || pl.Namespace != "demo-pr-42" {
		t.Errorf("got %s in %s", w.Name, pl.Namespace)
	}
	if pl.Container != "web" {
		t.Errorf("without a terminal the container must default as before, got -c %q", pl.Container)
	}
	want := "Using environment demo (namespace demo-pr-42)\nUsing service deploy/web\nDefaulted container \"web\" out of: web, sidecar; pick another with -c\n"
	if errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
}

func TestPickWithoutTerminalListsChoices(t *testing.T) {
	r, req, _ := testResolver(t, nil, cluster()...)
	_, err := r.Resolve(context.Background(), req)
	var ce *picker.ChoiceError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "--env NAME") || !strings.Contains(err.Error(), "  shop  shop-pr-7") {
		t.Fatalf("got %v", err)
	}
	r, req, _ = testResolver(t, nil, cluster()...)
	req.Env = "shop"
	_, err = r.Resolve(context.Background(), req)
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "--service TYPE/NAME") || !strings.Contains(err.Error(), "  deploy/worker") {
		t.Fatalf("got %v", err)
	}
}

func TestExplicitTargetAsksNothing(t *testing.T) {
	p := &picker.Scripted{}
	r, req, _ := testResolver(t, p, cluster()...)
	req.Target = parsed("deploy/plain")
	pl, err := r.Resolve(context.Background(), req)
	w := pl.Workload
	if err != nil || w.Namespace != "default" || len(p.Asked) != 0 {
		t.Fatalf("got %v, %v; asked %+v", w, err, p.Asked)
	}
	// The container is not asked but defaulted by the annotation.
	r, req, _ = testResolver(t, p, cluster()...)
	req.Env, req.Target = "shop", parsed("deploy/worker")
	pl, err = r.Resolve(context.Background(), req)
	w = pl.Workload
	if err != nil || w.Namespace != "shop-pr-7" || w.Name != "worker" || pl.Container != "second" || len(p.Asked) != 0 {
		t.Fatalf("got %v, %v, -c %q; asked %+v", w, err, pl.Container, p.Asked)
	}
	// --pod alone names the target: a pod of the current namespace.
	r, req, _ = testResolver(t, p, cluster()...)
	req.Pod = "solo"
	pl, err = r.Resolve(context.Background(), req)
	w = pl.Workload
	if err != nil || w.Namespace != "default" || w.Name != "solo" || w.Pod == nil || len(p.Asked) != 0 {
		t.Fatalf("--pod: got %v, %v; asked %+v", w, err, p.Asked)
	}
	// -n and --env may both be given when they agree.
	r, req, _ = testResolver(t, p, cluster()...)
	req.Env, req.Target = "demo", parsed("deploy/web")
	req.NamespaceGiven, req.Base.Namespace = true, "demo-pr-42"
	if pl, err = r.Resolve(context.Background(), req); err != nil || pl.Workload.Namespace != "demo-pr-42" {
		t.Fatalf("-n and --env agreeing: %v, %v", w, err)
	}
}

func TestEnvFlag(t *testing.T) {
	r, req, _ := testResolver(t, nil, cluster()...)
	req.Env = "nope"
	_, err := r.Resolve(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), `no environment "nope"`) || !strings.Contains(err.Error(), "demo (namespace demo-pr-42), shop (namespace shop-pr-7)") {
		t.Errorf("unknown --env: %v", err)
	}
	r, req, _ = testResolver(t, nil, cluster()...)
	req.Env, req.Target = "demo", parsed("deploy/web")
	req.NamespaceGiven, req.Base.Namespace = true, "default"
	if _, err = r.Resolve(context.Background(), req); err == nil || !strings.Contains(err.Error(), "-n says") {
		t.Errorf("--env and a different -n: %v", err)
	}
}

func TestNamespaceFlagSkipsTheEnvironment(t *testing.T) {
	p := &picker.Scripted{Answers: []string{"web"}}
	r, req, _ := testResolver(t, p, cluster()...)
	req.NamespaceGiven, req.Base.Namespace = true, "demo-pr-42"
	// One service: taken without asking.
	pl, err := r.Resolve(context.Background(), req)
	w := pl.Workload
	if err != nil || w.Namespace != "demo-pr-42" || len(p.Asked) != 0 {
		t.Fatalf("got %v, %v; asked %+v", w, err, p.Asked)
	}
}

func writePlugin(t *testing.T, name, body string) string {
	t.Helper()
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kubectl-eshell", "plugins")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPresets(t *testing.T) {
	objs := []runtime.Object{
		deployment("default", "django", map[string]string{keys.PresetAnnotation: "django"}, nil, "app"),
		deployment("default", "tmpl", nil, map[string]string{keys.PresetAnnotation: "node"}, "app"),
		deployment("default", "cmd", map[string]string{keys.WorkloadCommandAnnotation: "bin/console --sandbox"}, nil, "app"),
		deployment("default", "plain", nil, nil, "app"),
		deployment("default", "typo", map[string]string{keys.PresetAnnotation: "djang"}, nil, "app"),
		runningPod("default", "plain-1", map[string]string{"app": "plain"}, "app"),
		keptClone("default", "web-clone-1"),
	}
	script := func(cmd []string) string {
		if len(cmd) != 3 || cmd[0] != "sh" {
			return strings.Join(cmd, " ")
		}
		return cmd[2]
	}
	xdg := t.TempDir()
	resolve := func(edit func(*Request)) (plan.Plan, string, error) {
		r, req, errOut := testResolver(t, nil, objs...)
		t.Setenv("XDG_CONFIG_HOME", xdg) // where writePlugin writes
		edit(&req)
		p, err := r.Resolve(context.Background(), req)
		return p, errOut.String(), err
	}

	p, _, err := resolve(func(r *Request) { r.Target = parsed("deploy/django") })
	if err != nil || !strings.Contains(script(p.Command), "exec python manage.py shell") || p.Image != "python:3.13-slim" {
		t.Errorf("annotation django: %v, command %q, debug image %q", err, p.Command, p.Image)
	}
	p, _, err = resolve(func(r *Request) { r.Target = parsed("deploy/tmpl") })
	if err != nil || !strings.Contains(script(p.Command), "exec node") {
		t.Errorf("template annotation: %v, command %q", err, p.Command)
	}
	p, errOut, err := resolve(func(r *Request) { r.Target = parsed("deploy/cmd") })
	if err != nil || strings.Join(p.Command, "|") != "bin/console|--sandbox" || !strings.Contains(errOut, "eshell.kubectl.io/command") {
		t.Errorf("command annotation: %v, command %q, stderr %q", err, p.Command, errOut)
	}
	// A kept clone records what it ran; targeting it must not run that again.
	p, _, err = resolve(func(r *Request) { r.Target = parsed("pod/web-clone-1") })
	if err != nil || strings.Contains(strings.Join(p.Command, " "), "migrate") {
		t.Errorf("a kept clone as the target: %v, command %q, want the shell", err, p.Command)
	}
	p, _, err = resolve(func(r *Request) { r.Target, r.Preset = parsed("deploy/django"), "node" })
	if err != nil || !strings.Contains(script(p.Command), "exec node") {
		t.Errorf("--preset over the annotation: %v, command %q", err, p.Command)
	}
	p, _, err = resolve(func(r *Request) { r.Target, r.Base.Command = parsed("deploy/django"), []string{"ls"} })
	if err != nil || strings.Join(p.Command, " ") != "ls" || p.Image != "busybox:1.37" {
		t.Errorf("the user's command: %v, command %q, debug image %q", err, p.Command, p.Image)
	}
	if _, _, err = resolve(func(r *Request) { r.Target = parsed("deploy/typo") }); err == nil || !strings.Contains(err.Error(), `unknown preset "djang"`) {
		t.Errorf("a typo in the annotation: %v", err)
	}
	p, _, err = resolve(func(r *Request) { r.Target, r.ConfigPreset = parsed("deploy/plain"), "rails" })
	if err != nil || !strings.Contains(script(p.Command), "bin/rails") {
		t.Errorf("config preset: %v, command %q", err, p.Command)
	}

	// A user preset with a mode: the mode and image apply unless --mode
	// and --image were given; exec and debug then get the running pod.
	t.Setenv("XDG_CONFIG_HOME", xdg)
	writePlugin(t, "mine.yaml", "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\nname: mine\nmode: exec\ndebugImage: tools:1\ncommands: [[irb]]\n")
	p, _, err = resolve(func(r *Request) { r.Target, r.Preset = parsed("deploy/plain"), "mine" })
	if err != nil || p.Mode != mode.Exec || p.Image != "tools:1" || p.Pod == nil {
		t.Errorf("user preset: %v, mode %q, image %q, pod %v", err, p.Mode, p.Image, p.Pod)
	}
	p, _, err = resolve(func(r *Request) {
		r.Target, r.Preset = parsed("deploy/plain"), "mine"
		r.Base.Mode, r.ModeGiven, r.Base.Image, r.ImageGiven = mode.Debug, true, "mine:2", true
	})
	if err != nil || p.Mode != mode.Debug || p.Image != "mine:2" {
		t.Errorf("--mode and --image over the preset's: %v, mode %q, image %q", err, p.Mode, p.Image)
	}

	// A broken file is an error naming file and line.
	t.Setenv("XDG_CONFIG_HOME", xdg)
	path := writePlugin(t, "broken.yaml", "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\nname: broken\nmode: sideways\n")
	if _, _, err = resolve(func(r *Request) { r.Target = parsed("deploy/plain") }); err == nil || !strings.Contains(err.Error(), path+":4") {
		t.Errorf("broken preset file: %v", err)
	}
}

func TestEnvironmentStepWithoutEnvironments(t *testing.T) {
	objs := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps"}},
		deployment("default", "plain", nil, nil, "app"),
		deployment("apps", "web", nil, nil, "web"),
	}
	// On a terminal: every namespace, the current one first and preselected.
	p := &picker.Scripted{Answers: []string{"apps"}}
	r, req, _ := testResolver(t, p, objs...)
	pl, err := r.Resolve(context.Background(), req)
	w := pl.Workload
	if err != nil || w.Namespace != "apps" {
		t.Fatalf("got %v, %v", w, err)
	}
	if len(p.Asked) != 1 || p.Asked[0].Message != "Which namespace? (none is labelled envs.sberz.de/name)" ||
		!slicesEqual(p.Asked[0].Options, []string{"default (current)", "apps"}) || p.Asked[0].Default != 0 {
		t.Errorf("asked %+v", p.Asked)
	}
	// Without a terminal: the kubeconfig's namespace, as kubectl would.
	r, req, _ = testResolver(t, nil, objs...)
	if pl, err = r.Resolve(context.Background(), req); err != nil || pl.Workload.Namespace != "default" {
		t.Errorf("got %v, %v", w, err)
	}
}

func TestEnvironmentStepForbidden(t *testing.T) {
	p := &picker.Scripted{Answers: []string{"plain"}}
	r, req, errOut := testResolver(t, p, cluster()...)
	r.Clients.Typed.(*targettest.Clientset).PrependReactor("list", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "", errors.New("no"))
	})
	pl, err := r.Resolve(context.Background(), req)
	w := pl.Workload
	// No environment question, no complaint: straight to the services of
	// the kubeconfig's namespace.
	if err != nil || w.Namespace != "default" || w.Name != "plain" || len(p.Asked) != 1 || p.Asked[0].Message != "Which service in namespace default?" {
		t.Fatalf("got %v, %v; asked %+v", w, err, p.Asked)
	}
	if errOut.String() != "" {
		t.Errorf("stderr %q", errOut.String())
	}
}

func slicesEqual(a, b []string) bool { return cmp.Equal(a, b) }

// keptClone is a clone pod left by --keep, with the annotation that
// records what its session ran.
func keptClone(ns, name string) *corev1.Pod {
	p := runningPod(ns, name, nil, "app")
	p.Annotations = map[string]string{keys.CommandAnnotation: "python manage.py migrate", keys.ManagedByLabel: keys.ManagedByValue}
	return p
}

// Each input gap gets one line that says what is wrong.
func TestInputGaps(t *testing.T) {
	withSidecar := deployment("default", "web", nil, nil, "app")
	always := corev1.ContainerRestartPolicyAlways
	withSidecar.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "proxy", Image: "proxy:1", RestartPolicy: &always}}
	pod := runningPod("default", "web-1", map[string]string{"app": "web"}, "app")
	pod.Spec.InitContainers = withSidecar.Spec.Template.Spec.InitContainers
	objs := []runtime.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, withSidecar, pod}
	for _, c := range []struct {
		name string
		edit func(*Request)
		want string
	}{
		{"no such namespace", func(r *Request) { r.Base.Namespace, r.Target = "shpo", parsed("deploy/web") },
			`namespace "shpo" does not exist: check -n or --env`},
		{"no such workload", func(r *Request) { r.Target = parsed("deploy/api") }, `no deployment "api" in namespace "default"`},
		{"sidecar in clone", func(r *Request) { r.Target, r.Base.Container = parsed("deploy/web"), "proxy" },
			`container "proxy" is a native sidecar, and --mode clone works next to the main containers only: pass -c with one of app, or use --mode exec`},
		{"sidecar in debug", func(r *Request) { r.Target, r.Base.Container, r.Base.Mode = parsed("deploy/web"), "proxy", mode.Debug },
			`container "proxy" is a native sidecar, and --mode debug works`},
		{"sidecar in exec", func(r *Request) { r.Target, r.Base.Container, r.Base.Mode = parsed("deploy/web"), "proxy", mode.Exec }, ""},
		// A user whose Roles live in namespaces is Forbidden where none exists.
		{"forbidden in no such namespace", func(r *Request) { r.Base.Namespace, r.Target = "gone", parsed("deploy/web") },
			`namespace "gone" does not exist`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, req, _ := testResolver(t, nil, objs...)
			r.Clients.Typed.(*targettest.Clientset).PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if a.GetNamespace() == "gone" {
					return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("no Role here"))
				}
				return false, nil, nil
			})
			c.edit(&req)
			_, err := r.Resolve(context.Background(), req)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("Resolve: %v, want %q", err, c.want)
			}
		})
	}
}

// svcObjects is namespace "default" with Service web in front of the ready
// pods of Deployments web and canary, and Service solo in front of web's
// pods alone; web has a second running pod that serves neither.
func svcObjects() []runtime.Object {
	yes := true
	objs := []runtime.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}}
	slice := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "web-x", Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}}}
	solo := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "solo-x", Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: "solo"}}}
	for _, d := range []string{"web", "canary"} {
		dep := deployment("default", d, nil, nil, "app")
		dep.Spec.Template.Labels["tier"] = "front"
		objs = append(objs, dep)
		// NAME-idle serves the Service; NAME-new is newer and does not.
		for _, name := range []string{d + "-idle", d + "-new"} {
			p := runningPod("default", name, map[string]string{"app": d, "tier": "front"}, "app")
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d, Controller: &yes}}
			objs = append(objs, p)
		}
		objs[len(objs)-1].(*corev1.Pod).CreationTimestamp = metav1.NewTime(time.Now())
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: d + "-idle"}})
	}
	solo.Endpoints = slice.Endpoints[:1]
	return append(objs, slice, solo,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"tier": "front"}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "solo", Namespace: "default"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}})
}

func TestServiceTarget(t *testing.T) {
	ctx := context.Background()
	// One workload behind it: taken and said; exec takes the pod that
	// serves the Service over a newer one that does not.
	r, req, errOut := testResolver(t, nil, svcObjects()...)
	req.Target, req.Base.Mode = parsed("svc/solo"), mode.Exec
	pl, err := r.Resolve(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Workload.Ref().String() != "deploy/web" || pl.Service != "solo" || pl.Pod.Name != "web-idle" {
		t.Errorf("svc/solo: workload %s, service %q, pod %s", pl.Workload.Ref(), pl.Service, pl.Pod.Name)
	}
	for _, s := range []string{"service solo -> deployment/web\n", "Using pod web-idle (newest of 1 running behind service solo)\n"} {
		if !strings.Contains(errOut.String(), s) {
			t.Errorf("stderr %q lacks %q", errOut.String(), s)
		}
	}
	if gr, name := pl.Named(); gr.Resource != "services" || name != "solo" {
		t.Errorf("the permission check asks about %s %q, want the Service", gr, name)
	}

	// Two workloads, no terminal: a list and the flag.
	r, req, _ = testResolver(t, nil, svcObjects()...)
	req.Target = parsed("service/web")
	_, err = r.Resolve(ctx, req)
	var ce *picker.ChoiceError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "which workload? There is no terminal to ask on, so choose it with --service TYPE/NAME (next to svc/web).") ||
		!strings.Contains(err.Error(), "\n  deploy/web     Deployment  1 ready endpoint") || !strings.Contains(err.Error(), "\n  deploy/canary  Deployment  1 ready endpoint") {
		t.Errorf("two workloads without a terminal: %v", err)
	}

	// --service chooses among them, and must be one of them.
	r, req, errOut = testResolver(t, nil, svcObjects()...)
	req.Target, req.Workload = parsed("svc/web"), parsed("deploy/canary")
	if pl, err = r.Resolve(ctx, req); err != nil || pl.Workload.Name != "canary" || !strings.Contains(errOut.String(), "service web -> deployment/canary") {
		t.Errorf("--service deploy/canary: %v, %v; stderr %q", pl.Workload, err, errOut)
	}
	r, req, _ = testResolver(t, nil, svcObjects()...)
	req.Target, req.Workload = parsed("svc/web"), parsed("deploy/api")
	if _, err = r.Resolve(ctx, req); err == nil || !strings.Contains(err.Error(), `--service deploy/api is not behind service "web": pass one of deploy/canary, deploy/web`) {
		t.Errorf("--service not behind the Service: %v", err)
	}

	// On a terminal the question is asked; debug takes a serving pod.
	p := &picker.Scripted{Answers: []string{"canary"}}
	r, req, _ = testResolver(t, p, svcObjects()...)
	req.Target, req.Base.Mode = parsed("svc/web"), mode.Debug
	if pl, err = r.Resolve(ctx, req); err != nil || pl.Workload.Name != "canary" || pl.Pod.Name != "canary-idle" {
		t.Fatalf("asked: %v, %v", pl.Workload, err)
	}
	if len(p.Asked) != 1 || p.Asked[0].Message != "Service web selects pods of 2 workloads. Which one?" {
		t.Errorf("questions %+v", p.Asked)
	}

	// --pod still names the pod.
	r, req, _ = testResolver(t, nil, svcObjects()...)
	req.Target, req.Pod, req.Base.Mode = parsed("svc/solo"), "web-new", mode.Exec
	if pl, err = r.Resolve(ctx, req); err != nil || pl.Pod.Name != "web-new" {
		t.Errorf("--pod with a Service: %v, %v", pl.Pod, err)
	}
}

// A fan-out settles its targets: the running pods of the workload that -l
// matches, sorted, the others skipped with why; -l alone selects in the
// namespace; what cannot fan out is refused before any pod is touched.
func TestResolveFanOut(t *testing.T) {
	lbl := func(app, tier string) map[string]string { return map[string]string{"app": app, "tier": tier} }
	pending := runningPod("default", "web-0", lbl("web", "a"), "app")
	pending.Status.Phase = corev1.PodPending
	clonePod := runningPod("default", "web-clone", map[string]string{"app": "web", keys.ManagedByLabel: keys.ManagedByValue}, "app")
	objs := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		deployment("default", "web", nil, nil, "app", "proxy"),
		runningPod("default", "web-2", lbl("web", "b"), "app", "proxy"),
		runningPod("default", "web-1", lbl("web", "a"), "app", "proxy"),
		pending, clonePod,
		runningPod("default", "api-1", lbl("api", "a"), "app"),
	}
	names := func(p plan.Plan) string {
		var s []string
		for _, t := range p.FanOut.Targets {
			s = append(s, t.Pod.Name+"/"+t.Container)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		name   string
		target string
		mode   mode.Mode
		pod    string
		fan    plan.FanOut
		want   string
		info   string
		err    string
	}{
		{name: "every pod", target: "deploy/web", fan: plan.FanOut{AllPods: true}, want: "web-1/app web-2/app", info: "Skipped web-0 (Pending)"},
		{name: "-l narrows the workload's pods", target: "deploy/web", fan: plan.FanOut{Selector: "tier=a"}, want: "web-1/app"},
		{name: "-l alone, in the namespace", fan: plan.FanOut{Selector: "tier=a"}, want: "api-1/app web-1/app"},
		{name: "every container", target: "deploy/web", fan: plan.FanOut{AllPods: true, AllContainers: true}, want: "web-1/app web-1/proxy web-2/app web-2/proxy",
			info: "Running in 4 containers of 2 pods of deploy/web"},
		{name: "every container of one pod", target: "pod/web-2", fan: plan.FanOut{AllContainers: true}, want: "web-2/app web-2/proxy"},
		{name: "debug mode", target: "deploy/web", mode: mode.Debug, fan: plan.FanOut{AllPods: true}, want: "web-1/app web-2/app"},
		{name: "clone mode", target: "deploy/web", mode: mode.Clone, fan: plan.FanOut{AllPods: true}, err: "--all-pods applies to --mode exec and --mode debug only"},
		{name: "nothing matches", target: "deploy/web", fan: plan.FanOut{Selector: "tier=z"}, err: "no pod of deploy/web matches -l tier=z"},
		{name: "-l with a pod", fan: plan.FanOut{Selector: "app=web,tier=a"}, target: "pod/web-0", err: "-l selects pods, and pod/web-0 names one"},
		{name: "a bad selector", target: "deploy/web", fan: plan.FanOut{Selector: "tier in ("}, err: `-l "tier in (" is not a label selector`},
		{name: "--all-pods without a workload", fan: plan.FanOut{AllPods: true}, err: "--all-pods needs a workload: give TYPE/NAME"},
		{name: "--pod and --all-pods", target: "deploy/web", pod: "web-1", fan: plan.FanOut{AllPods: true}, err: "--pod names one pod, and --all-pods selects many"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, req, info := testResolver(t, nil, objs...)
			req.Base.Mode = cmpMode(tc.mode)
			req.Base.Command = []string{"uptime"}
			tc.fan.MaxParallel = 10
			req.Base.FanOut, req.Target, req.Pod, req.NamespaceGiven = tc.fan, parsed(tc.target), tc.pod, true
			req.Base.Given = []plan.GivenFlag{{Name: "all-pods", Modes: []mode.Mode{mode.Exec, mode.Debug}}}
			p, err := r.Resolve(context.Background(), req)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := names(p); got != tc.want {
				t.Errorf("targets %q, want %q", got, tc.want)
			}
			if !strings.Contains(info.String(), tc.info) {
				t.Errorf("notes %q lack %q", info.String(), tc.info)
			}
		})
	}
}

// cmpMode is m, exec when not set.
func cmpMode(m mode.Mode) mode.Mode {
	if m == "" {
		return mode.Exec
	}
	return m
}

// parsed is the target s names, as Request parses it; "" is none.
func parsed(s string) target.Ref {
	if s == "" {
		return target.Ref{}
	}
	r, err := target.ParseRef(s)
	if err != nil {
		panic(err)
	}
	return r
}
