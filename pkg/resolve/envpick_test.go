package resolve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

var clock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// envFixtures are three environments, newest first: fresh (passing),
// broken (failing "migrated") and old (passing), each with a service.
func envFixtures(failOld bool) []runtime.Object {
	env := func(name string, ago time.Duration, checks map[string]string) *corev1.Namespace {
		ns := envNamespace(name+"-ns", name)
		ns.CreationTimestamp = metav1.NewTime(clock.Add(-ago))
		ns.Annotations = map[string]string{keys.EnvOwnerKey: "owner-of-" + name}
		for k, v := range checks {
			ns.Annotations[keys.EnvStatusAnnotationPrefix+k] = v
		}
		return ns
	}
	oldChecks := map[string]string{"deployed": "true"}
	if failOld {
		oldChecks["deployed"] = "false"
	}
	return []runtime.Object{
		env("old", 72*time.Hour, oldChecks),
		env("broken", time.Hour, map[string]string{"deployed": "true", "migrated": "false"}),
		env("fresh", time.Minute, nil),
		deployment("old-ns", "web", nil, nil, "web"),
		deployment("broken-ns", "web", nil, nil, "web"),
		deployment("fresh-ns", "web", nil, nil, "web"),
	}
}

func TestPickHidesFailingEnvironments(t *testing.T) {
	// The hidden one is a last option; choosing it asks again with all,
	// the failing one marked.
	p := &picker.Scripted{Answers: []string{"show", "broken"}}
	r, req, errOut := testResolver(t, p, envFixtures(false)...)
	r.Now = func() time.Time { return clock }
	pl, err := r.Resolve(context.Background(), req)
	if err != nil || pl.Namespace != "broken-ns" {
		t.Fatalf("got %q, %v", pl.Namespace, err)
	}
	want := []picker.Question{
		{Message: "Which environment?", Options: []string{
			"fresh  fresh-ns  owner-of-fresh  60s",
			"old    old-ns    owner-of-old    3d   deployed ✓",
			"(show 1 hidden failing environment)",
		}},
		{Message: "Which environment? (failing ones included)", Options: []string{
			"fresh   fresh-ns   owner-of-fresh   60s",
			"broken  broken-ns  owner-of-broken  60m  failing  deployed ✓ migrated ✗",
			"old     old-ns     owner-of-old     3d            deployed ✓",
		}},
	}
	if diff := cmp.Diff(want, p.Asked); diff != "" {
		t.Errorf("questions (-want +got):\n%s", diff)
	}
	if !strings.Contains(errOut.String(), "warning: environment broken (namespace broken-ns) fails its status checks: migrated\n") {
		t.Errorf("choosing a failing environment did not warn: %q", errOut.String())
	}

	// --all-envs asks with all at once.
	p = &picker.Scripted{Answers: []string{"old"}}
	r, req, _ = testResolver(t, p, envFixtures(false)...)
	req.AllEnvs = true
	if pl, err = r.Resolve(context.Background(), req); err != nil || pl.Namespace != "old-ns" || len(p.Asked) != 1 || len(p.Asked[0].Options) != 3 {
		t.Fatalf("--all-envs: %q, %v; asked %+v", pl.Namespace, err, p.Asked)
	}

	// Without a terminal: the passing ones, and how many are hidden.
	r, req, _ = testResolver(t, nil, envFixtures(false)...)
	_, err = r.Resolve(context.Background(), req)
	var ce *picker.ChoiceError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "\n  fresh ") || !strings.Contains(err.Error(), "\n  old ") ||
		strings.Contains(err.Error(), "\n  broken") || !strings.HasSuffix(err.Error(), "\nHidden: 1 failing environment (--all-envs lists failing ones too).") {
		t.Errorf("without a terminal: %v", err)
	}
}

func TestPickWhenEveryEnvironmentFails(t *testing.T) {
	objs := envFixtures(true)
	objs = append(objs[:2], objs[3:]...) // no "fresh": both left fail
	p := &picker.Scripted{Answers: []string{""}}
	r, req, _ := testResolver(t, p, objs...)
	if _, err := r.Resolve(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if len(p.Asked) != 1 || p.Asked[0].Message != "Which environment? Every one fails a status check." || len(p.Asked[0].Options) != 2 {
		t.Errorf("asked %+v", p.Asked)
	}
	r, req, _ = testResolver(t, nil, objs...)
	_, err := r.Resolve(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "\n  broken ") || !strings.Contains(err.Error(), "\n  old ") || !strings.HasSuffix(err.Error(), "\nEvery environment fails a status check, so all are listed.") {
		t.Errorf("without a terminal: %v", err)
	}
}

func TestEnvFlagNamingAFailingEnvironment(t *testing.T) {
	r, req, errOut := testResolver(t, nil, envFixtures(false)...)
	req.Env, req.Target = "broken", parsed("deploy/web")
	pl, err := r.Resolve(context.Background(), req)
	if err != nil || pl.Namespace != "broken-ns" {
		t.Fatalf("got %q, %v", pl.Namespace, err)
	}
	if errOut.String() != "warning: environment broken (namespace broken-ns) fails its status checks: migrated\n" {
		t.Errorf("stderr %q", errOut.String())
	}
}

// scaledToZero is deploy/web with no pods, and deploy/api with a pod that
// is not ready.
func scaledToZero() []runtime.Object {
	web := deployment("default", "web", nil, nil, "web")
	web.Spec.Replicas = ptr.To[int32](0)
	unready := runningPod("default", "api-1", map[string]string{"app": "api"}, "api")
	unready.Status.Conditions = nil
	return []runtime.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, web, deployment("default", "api", nil, nil, "api"), unready}
}

func TestNoReadyPodOffersAClone(t *testing.T) {
	exec := func(p picker.Prompter, args ...string) (plan.Plan, error) {
		t.Helper()
		r, req, _ := testResolver(t, p, scaledToZero()...)
		req.Target, req.Base.Mode, req.Args = parsed("deploy/web"), mode.Exec, args
		return r.Resolve(context.Background(), req)
	}
	// Yes (Enter: yes is the default): a clone plan, resolved as one.
	p := &picker.Scripted{Answers: []string{""}}
	pl, err := exec(p)
	if err != nil || pl.Mode != mode.Clone || pl.Pod != nil || pl.Container != "web" || pl.Validate() != nil {
		t.Fatalf("yes: %+v, %v", pl, err)
	}
	if want := []picker.Question{{Message: "deploy/web has no running, ready pod (scaled to zero?). Open a clone instead?", Options: []string{"y", "n"}}}; !cmp.Equal(want, p.Asked) {
		t.Errorf("asked %+v, want %+v", p.Asked, want)
	}
	// No: the error, with the command.
	_, err = exec(&picker.Scripted{Answers: []string{"n"}}, "web", "--mode=exec", "--context", "dev", "--", "ls", "-l", "/a b")
	var none *target.NoRunningPodError
	if !errors.As(err, &none) || !strings.Contains(err.Error(), `use --mode clone to start a fresh copy of it: kubectl eshell web --context dev --mode clone -- ls -l '/a b'; or check it with`) {
		t.Errorf("no: %v", err)
	}
	// No terminal: the command, from the resolved target when the command
	// line is not known.
	_, err = exec(nil)
	want := `deploy/web in namespace "default" has no running, ready pod (scaled to zero?); use --mode clone to start a fresh copy of it: kubectl eshell deploy/web -n default --mode clone; or check it with: kubectl describe deploy/web -n default`
	if err == nil || err.Error() != want {
		t.Errorf("no terminal:\n got %v\nwant %s", err, want)
	}

	// Debug takes an unready pod; exec names the pods it found.
	r, req, _ := testResolver(t, nil, scaledToZero()...)
	req.Target, req.Base.Mode = parsed("deploy/api"), mode.Debug
	if pl, err := r.Resolve(context.Background(), req); err != nil || pl.Pod == nil || pl.Pod.Name != "api-1" {
		t.Errorf("debug on an unready pod: %v", err)
	}
	r, req, _ = testResolver(t, nil, scaledToZero()...)
	req.Target, req.Base.Mode = parsed("deploy/api"), mode.Exec
	if _, err := r.Resolve(context.Background(), req); err == nil || !strings.Contains(err.Error(), "has no running, ready pod (pods: api-1 Running but not ready)") {
		t.Errorf("exec on an unready pod: %v", err)
	}

	// A clone the flags rule out is not offered.
	p = &picker.Scripted{}
	r, req, _ = testResolver(t, p, scaledToZero()...)
	req.Target, req.Base.Mode, req.Base.Given = parsed("deploy/web"), mode.Debug, []plan.GivenFlag{{Name: "image", Modes: []mode.Mode{mode.Debug}}}
	if _, err := r.Resolve(context.Background(), req); err == nil || len(p.Asked) != 0 ||
		!strings.Contains(err.Error(), "deploy/web in namespace \"default\" has no running pod (scaled to zero?)") || !strings.Contains(err.Error(), "a clone would not do either: --image applies to --mode debug only") {
		t.Errorf("debug with --image: %v; asked %+v", err, p.Asked)
	}
}

func TestCloneArgs(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{"--mode", "clone"}},
		{[]string{"deploy/web", "--mode", "exec"}, []string{"deploy/web", "--mode", "clone"}},
		{[]string{"--mode=debug", "web", "-n", "x"}, []string{"web", "-n", "x", "--mode", "clone"}},
		{[]string{"web", "--", "sh", "--mode", "exec"}, []string{"web", "--mode", "clone", "--", "sh", "--mode", "exec"}},
		{[]string{"--preset", "mine", "web"}, []string{"--preset", "mine", "web", "--mode", "clone"}},
	} {
		if got := CloneArgs(tc.in); !cmp.Equal(tc.want, got) {
			t.Errorf("CloneArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
