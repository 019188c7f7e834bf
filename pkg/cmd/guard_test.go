package cmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/fanout"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/plan/plantest"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// Each engine checks its mode's permissions first, from the reviewer the
// command wired in: a user with read-only rules gets the whole list of
// what is missing, named, and nothing is created, patched or streamed.
func TestEnginesCheckTheirModeFirst(t *testing.T) {
	for _, m := range mode.All() {
		t.Run(string(m), func(t *testing.T) {
			c := readOnly()
			p := webPlan(m)
			var streamed bool
			rec := &plantest.Recorder{}
			d := plan.Deps{IO: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &strings.Builder{}, ErrOut: &strings.Builder{}},
				Remote: session.Remote{Client: c, Streamer: streamerFunc(func() { streamed = true })},
				Whoami: plantest.User("dev"), Recorder: rec,
				Access: access.NewReviewer(c)}
			err := engines[m](context.Background(), p, d)
			if started := rec.Started(); len(started) > 0 {
				t.Errorf("a refused session was audited: %v", started)
			}
			var me *access.MissingError
			if !errors.As(err, &me) || me.User != "dev" || len(me.Missing) == 0 {
				t.Fatalf("Run = %v, want the missing permissions of user dev", err)
			}
			want := slices.DeleteFunc(access.Needed(m, "shop", target.KindDeployment.GroupResource(), "web"), func(p access.Permission) bool {
				// What the read-only rules grant ("*" takes in subresources).
				return (p.Verb == "get" || p.Verb == "list" || p.Verb == "watch") && p.Group != "networking.k8s.io"
			})
			if !slices.Equal(me.Missing, want) {
				t.Errorf("missing %v, want %v", me.Missing, want)
			}
			for _, a := range c.Actions() {
				if res := a.GetResource().Resource; res != "selfsubjectrulesreviews" && res != "selfsubjectaccessreviews" {
					t.Errorf("a refused session sent %s %s", a.GetVerb(), res)
				}
			}
			if streamed {
				t.Error("a refused session streamed")
			}
		})
	}
}

// readOnly is an API server where the user may read and nothing else.
func readOnly() *fake.Clientset {
	c := fake.NewClientset()
	c.PrependReactor("create", "selfsubjectrulesreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		review := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectRulesReview).DeepCopy()
		review.Status.ResourceRules = []authorizationv1.ResourceRule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"", "apps"}, Resources: []string{"*"}}}
		return true, review, nil
	})
	c.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, a.(k8stesting.CreateAction).GetObject(), nil // not allowed
	})
	return c
}

// webPlan is a session of mode m next to deploy/web in namespace shop.
func webPlan(m mode.Mode) plan.Plan {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop"}}
	return plan.Plan{Mode: m, Namespace: "shop", Pod: pod, Container: "web", Command: []string{"id"},
		Workload: &target.Workload{Kind: target.KindDeployment, Name: "web", Namespace: "shop", Pod: pod}}
}

// A session its permissions refuse leaves no recording behind: the file
// would refuse the next try.
func TestRefusedSessionRecordsNothing(t *testing.T) {
	c := readOnly()
	p := webPlan(mode.Exec)
	p.RecordPath = filepath.Join(t.TempDir(), "s.cast")
	o := &Options{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &strings.Builder{}, ErrOut: &strings.Builder{}},
		plan: p, rest: &rest.Config{Host: "https://127.0.0.1:6443"}, client: c, whoami: &access.Whoami{Client: c}, access: access.NewReviewer(c)}
	var me *access.MissingError
	if err := o.Run(context.Background()); !errors.As(err, &me) {
		t.Fatalf("Run = %v, want missing permissions", err)
	}
	if _, err := os.Stat(p.RecordPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused session left %s (%v)", p.RecordPath, err)
	}
}

// A fan-out asks once, before any pod's part starts: a refusal is one
// report, and no target runs.
func TestFanOutRefusedOnce(t *testing.T) {
	c := readOnly()
	p := webPlan(mode.Exec)
	p.FanOut = plan.FanOut{AllPods: true, MaxParallel: 2}
	for _, name := range []string{"web-1", "web-2", "web-3"} {
		p.FanOut.Targets = append(p.FanOut.Targets, fanout.Target{Pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}}, Container: "web"})
	}
	o := &Options{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &strings.Builder{}, ErrOut: &strings.Builder{}},
		plan: p, rest: &rest.Config{Host: "https://127.0.0.1:6443"}, client: c, whoami: &access.Whoami{Client: c}, access: access.NewReviewer(c)}
	var ran atomic.Int32
	engine := func(context.Context, plan.Plan, plan.Deps) error { ran.Add(1); return nil }
	var me *access.MissingError
	if err := o.fanOut(context.Background(), p, engine); !errors.As(err, &me) {
		t.Fatalf("fanOut = %v, want missing permissions", err)
	}
	if n := ran.Load(); n != 0 {
		t.Errorf("%d targets ran after the refusal", n)
	}
}

// streamerFunc records that a stream was opened, and opens none.
type streamerFunc func()

func (f streamerFunc) Stream(context.Context, session.StreamRequest, remotecommand.StreamOptions) error {
	f()
	return errors.New("no stream in this test")
}
