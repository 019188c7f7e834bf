package cmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
)

type changed map[string]bool

func (c changed) Changed(name string) bool { return c[name] }

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

func envNamespace(name, env string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{meta.EnvNameLabel: env}}}
}

// testOptions are Options as Complete leaves them, against a fake cluster,
// with no terminal unless p is given.
func testOptions(t *testing.T, p picker.Prompter, objs ...runtime.Object) (*Options, *bytes.Buffer) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out, errOut bytes.Buffer
	o := NewOptions(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut})
	o.client = fake.NewClientset(objs...)
	o.Namespace = "default"
	o.Config = config.Defaults()
	o.Mode = o.Config.Mode
	o.flags = changed{}
	o.Pick.prompter = p
	return o, &errOut
}

func cluster() []runtime.Object {
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		envNamespace("demo-pr-42", "demo"),
		envNamespace("shop-pr-7", "shop"),
		deployment("shop-pr-7", "web", nil, nil, "web"),
		deployment("shop-pr-7", "worker", nil, map[string]string{meta.DefaultContainerAnnotation: "second"}, "first", "second"),
		deployment("demo-pr-42", "web", nil, nil, "web"),
		deployment("default", "plain", nil, nil, "app"),
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "solo", Namespace: "default"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}, {Name: "b"}}}},
	}
}

func TestPickEverythingOnATerminal(t *testing.T) {
	p := &picker.Scripted{Answers: []string{"shop", "worker", "first"}}
	o, _ := testOptions(t, p, cluster()...)
	w, err := o.resolveTarget(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if o.Namespace != "shop-pr-7" || w.Namespace != "shop-pr-7" || w.Name != "worker" || o.Container != "first" {
		t.Errorf("namespace %q, workload %s/%s, container %q", o.Namespace, w.Namespace, w.Name, o.Container)
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
	if o.Command != nil {
		t.Errorf("the shell preset set a command: %q", o.Command)
	}
}

func TestPickSingleCandidatesWithoutTerminal(t *testing.T) {
	objs := []runtime.Object{envNamespace("demo-pr-42", "demo"), deployment("demo-pr-42", "web", nil, nil, "web", "sidecar")}
	o, errOut := testOptions(t, nil, objs...)
	w, err := o.resolveTarget(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "web" || o.Namespace != "demo-pr-42" {
		t.Errorf("got %s in %s", w.Name, o.Namespace)
	}
	if o.Container != "" {
		t.Errorf("without a terminal the container must default as before, got -c %q", o.Container)
	}
	want := "Using environment demo (namespace demo-pr-42)\nUsing service deploy/web\n"
	if errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
}

func TestPickWithoutTerminalListsChoices(t *testing.T) {
	o, _ := testOptions(t, nil, cluster()...)
	_, err := o.resolveTarget(context.Background())
	var ce *picker.ChoiceError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "--env NAME") || !strings.Contains(err.Error(), "  shop  shop-pr-7") {
		t.Fatalf("got %v", err)
	}
	o, _ = testOptions(t, nil, cluster()...)
	o.Pick.Env = "shop"
	_, err = o.resolveTarget(context.Background())
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "--service TYPE/NAME") || !strings.Contains(err.Error(), "  deploy/worker") {
		t.Fatalf("got %v", err)
	}
}

func TestExplicitTargetAsksNothing(t *testing.T) {
	p := &picker.Scripted{}
	o, _ := testOptions(t, p, cluster()...)
	o.Target = "deploy/plain"
	w, err := o.resolveTarget(context.Background())
	if err != nil || w.Namespace != "default" || len(p.Asked) != 0 {
		t.Fatalf("got %v, %v; asked %+v", w, err, p.Asked)
	}
	// --service is the same as the argument; the container is not asked.
	o, _ = testOptions(t, p, cluster()...)
	o.Pick.Env, o.Pick.Service = "shop", "deploy/worker"
	w, err = o.resolveTarget(context.Background())
	if err != nil || w.Namespace != "shop-pr-7" || w.Name != "worker" || o.Container != "" || len(p.Asked) != 0 {
		t.Fatalf("got %v, %v, -c %q; asked %+v", w, err, o.Container, p.Asked)
	}
	// --pod alone names the target: a pod of the current namespace.
	o, _ = testOptions(t, p, cluster()...)
	o.Pod = "solo"
	w, err = o.resolveTarget(context.Background())
	if err != nil || w.Namespace != "default" || w.Name != "solo" || w.Pod == nil || len(p.Asked) != 0 {
		t.Fatalf("--pod: got %v, %v; asked %+v", w, err, p.Asked)
	}
	// -n and --env may both be given when they agree.
	o, _ = testOptions(t, p, cluster()...)
	o.Pick.Env, o.Target = "demo", "deploy/web"
	*o.ConfigFlags.Namespace, o.Namespace = "demo-pr-42", "demo-pr-42"
	if w, err = o.resolveTarget(context.Background()); err != nil || w.Namespace != "demo-pr-42" {
		t.Fatalf("-n and --env agreeing: %v, %v", w, err)
	}
	o, _ = testOptions(t, p, cluster()...)
	o.Target, o.Pick.Service = "deploy/a", "deploy/b"
	if _, err := o.resolveTarget(context.Background()); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("two targets: %v", err)
	}
}

func TestEnvFlag(t *testing.T) {
	o, _ := testOptions(t, nil, cluster()...)
	o.Pick.Env = "nope"
	_, err := o.resolveTarget(context.Background())
	if err == nil || !strings.Contains(err.Error(), `no environment "nope"`) || !strings.Contains(err.Error(), "demo (namespace demo-pr-42), shop (namespace shop-pr-7)") {
		t.Errorf("unknown --env: %v", err)
	}
	o, _ = testOptions(t, nil, cluster()...)
	o.Pick.Env, o.Target = "demo", "deploy/web"
	*o.ConfigFlags.Namespace, o.Namespace = "default", "default"
	if _, err = o.resolveTarget(context.Background()); err == nil || !strings.Contains(err.Error(), "-n says") {
		t.Errorf("--env and a different -n: %v", err)
	}
	o, _ = testOptions(t, nil, cluster()...)
	o.Pick.EnvLabel = "not a label!"
	if _, err = o.resolveTarget(context.Background()); err == nil || !strings.Contains(err.Error(), "--env-label") {
		t.Errorf("bad --env-label: %v", err)
	}
}

func TestNamespaceFlagSkipsTheEnvironment(t *testing.T) {
	p := &picker.Scripted{Answers: []string{"web"}}
	o, _ := testOptions(t, p, cluster()...)
	*o.ConfigFlags.Namespace, o.Namespace = "demo-pr-42", "demo-pr-42"
	// One service: taken without asking.
	w, err := o.resolveTarget(context.Background())
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
		deployment("default", "django", map[string]string{meta.PresetAnnotation: "django"}, nil, "app"),
		deployment("default", "tmpl", nil, map[string]string{meta.PresetAnnotation: "node"}, "app"),
		deployment("default", "cmd", map[string]string{meta.WorkloadCommandAnnotation: "bin/console --sandbox"}, nil, "app"),
		deployment("default", "plain", nil, nil, "app"),
		deployment("default", "typo", map[string]string{meta.PresetAnnotation: "djang"}, nil, "app"),
	}
	run := func(o *Options, target string) error {
		o.Target = target
		_, err := o.resolveTarget(context.Background())
		return err
	}
	script := func(cmd []string) string {
		if len(cmd) != 3 || cmd[0] != "sh" {
			return strings.Join(cmd, " ")
		}
		return cmd[2]
	}

	o, _ := testOptions(t, nil, objs...)
	if err := run(o, "deploy/django"); err != nil || !strings.Contains(script(o.Command), "exec python manage.py shell") || o.Config.DebugImage != "python:3.13-slim" {
		t.Errorf("annotation django: %v, command %q, debug image %q", err, o.Command, o.Config.DebugImage)
	}
	o, _ = testOptions(t, nil, objs...)
	if err := run(o, "deploy/tmpl"); err != nil || !strings.Contains(script(o.Command), "exec node") {
		t.Errorf("template annotation: %v, command %q", err, o.Command)
	}
	o, errOut := testOptions(t, nil, objs...)
	if err := run(o, "deploy/cmd"); err != nil || strings.Join(o.Command, "|") != "bin/console|--sandbox" || !strings.Contains(errOut.String(), "eshell.kubectl.io/command") {
		t.Errorf("command annotation: %v, command %q, stderr %q", err, o.Command, errOut)
	}
	o, _ = testOptions(t, nil, objs...)
	o.Pick.Preset = "node"
	if err := run(o, "deploy/django"); err != nil || !strings.Contains(script(o.Command), "exec node") {
		t.Errorf("--preset over the annotation: %v, command %q", err, o.Command)
	}
	o, _ = testOptions(t, nil, objs...)
	o.Command = []string{"ls"}
	if err := run(o, "deploy/django"); err != nil || strings.Join(o.Command, " ") != "ls" || o.Config.DebugImage != config.Defaults().DebugImage {
		t.Errorf("the user's command: %v, command %q, debug image %q", err, o.Command, o.Config.DebugImage)
	}
	o, _ = testOptions(t, nil, objs...)
	if err := run(o, "deploy/typo"); err == nil || !strings.Contains(err.Error(), `unknown preset "djang"`) {
		t.Errorf("a typo in the annotation: %v", err)
	}
	o, _ = testOptions(t, nil, objs...)
	o.Config.Preset = "rails"
	if err := run(o, "deploy/plain"); err != nil || !strings.Contains(script(o.Command), "bin/rails") {
		t.Errorf("config preset: %v, command %q", err, o.Command)
	}

	// A user preset with a mode: the mode applies unless --mode was given.
	o, _ = testOptions(t, nil, objs...)
	writePlugin(t, "mine.yaml", "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\nname: mine\nmode: exec\ndebugImage: tools:1\ncommands: [[irb]]\n")
	o.Pick.Preset = "mine"
	if err := run(o, "deploy/plain"); err != nil || o.Mode != mode.Exec || o.Config.DebugImage != "tools:1" {
		t.Errorf("user preset: %v, mode %q, image %q", err, o.Mode, o.Config.DebugImage)
	}
	o.Mode, o.flags = mode.Debug, changed{"mode": true}
	o.Command = nil
	if err := run(o, "deploy/plain"); err != nil || o.Mode != mode.Debug {
		t.Errorf("--mode over the preset's: %v, mode %q", err, o.Mode)
	}

	// A broken file is an error naming file and line.
	o, _ = testOptions(t, nil, objs...)
	path := writePlugin(t, "broken.yaml", "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\nname: broken\nmode: sideways\n")
	if err := run(o, "deploy/plain"); err == nil || !strings.Contains(err.Error(), path+":4") {
		t.Errorf("broken preset file: %v", err)
	}
}

func TestPresetsCommand(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	writePlugin(t, "mine.yaml", "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\nname: mine\nmode: exec\ncommands:\n- argv: [irb]\n  when: test -f Gemfile\n- [sh]\n")
	var out, errOut bytes.Buffer
	code := Main(context.Background(), genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut}, []string{"presets"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !regexpMatch(`^NAME\s+SOURCE\s+MODE\s+COMMANDS$`, lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	want := map[string]string{
		"django": `^django\s+builtin\s+-\s+python manage\.py shell_plus \(if .*\), else python manage\.py shell$`,
		"mine":   `^mine\s+\S+/kubectl-eshell/plugins/mine\.yaml\s+exec\s+irb \(if test -f Gemfile\), else sh$`,
		"shell":  `^shell\s+builtin\s+-\s+\(the container's shell\)$`,
	}
	for name, re := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, name+" ") {
				found = true
				if !regexpMatch(re, l) {
					t.Errorf("%s: %q does not match %s", name, l, re)
				}
			}
		}
		if !found {
			t.Errorf("no line for %s in:\n%s", name, out.String())
		}
	}
}

func TestFixedCompletions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "--mode", ""}, []string{"clone\t", "debug\t", "exec\t"}},
		{[]string{"__complete", "--profile", "re"}, []string{"restricted"}},
		{[]string{"__complete", "--preset", ""}, []string{"django\t", "node\t", "rails\t", "shell\t"}},
		{[]string{"__complete", "completion", ""}, []string{"bash\t", "fish\t", "powershell\t", "zsh\t"}},
	} {
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
		var out, errOut bytes.Buffer
		cmd := NewCmdEshell(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut})
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(tc.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		var got []string
		for _, l := range strings.Split(out.String(), "\n") {
			if l == "" || strings.HasPrefix(l, ":") {
				continue
			}
			got = append(got, l)
		}
		for _, w := range tc.want {
			ok := false
			for _, g := range got {
				if strings.HasPrefix(g, w) || g == strings.TrimSuffix(w, "\t") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%v: no %q among %q", tc.args, w, got)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%v: got %q, want %d candidates", tc.args, got, len(tc.want))
		}
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

func TestEnvironmentStepWithoutEnvironments(t *testing.T) {
	objs := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps"}},
		deployment("default", "plain", nil, nil, "app"),
		deployment("apps", "web", nil, nil, "web"),
	}
	// On a terminal: every namespace, the current one first and preselected.
	p := &picker.Scripted{Answers: []string{"apps"}}
	o, _ := testOptions(t, p, objs...)
	w, err := o.resolveTarget(context.Background())
	if err != nil || w.Namespace != "apps" {
		t.Fatalf("got %v, %v", w, err)
	}
	if len(p.Asked) != 1 || p.Asked[0].Message != "Which namespace? (none is labelled envs.sberz.de/name)" ||
		!slicesEqual(p.Asked[0].Options, []string{"default (current)", "apps"}) || p.Asked[0].Default != 0 {
		t.Errorf("asked %+v", p.Asked)
	}
	// Without a terminal: the kubeconfig's namespace, as kubectl would.
	o, _ = testOptions(t, nil, objs...)
	if w, err = o.resolveTarget(context.Background()); err != nil || w.Namespace != "default" {
		t.Errorf("got %v, %v", w, err)
	}
}

func TestEnvironmentStepForbidden(t *testing.T) {
	p := &picker.Scripted{Answers: []string{"plain"}}
	o, errOut := testOptions(t, p, cluster()...)
	o.client.(*fake.Clientset).PrependReactor("list", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "", errors.New("no"))
	})
	w, err := o.resolveTarget(context.Background())
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
