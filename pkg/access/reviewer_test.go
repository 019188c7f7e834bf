package access

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/mode"
)

// rulesCluster plays an API server for the Reviewer: the rules of each
// namespace for SelfSubjectRulesReviews, an access review answer per
// permission, and counts of both.
type rulesCluster struct {
	rules      map[string][]authorizationv1.ResourceRule
	incomplete bool
	// allowed answers an access review (the "other authorizer"); nil
	// allows nothing.
	allowed func(Permission) bool

	mu       sync.Mutex
	rulesFor []string
	asked    []Permission
}

func (rc *rulesCluster) client() *fake.Clientset {
	c := fake.NewClientset()
	c.PrependReactor("create", "selfsubjectrulesreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		review := action.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectRulesReview).DeepCopy()
		rc.mu.Lock()
		rc.rulesFor = append(rc.rulesFor, review.Spec.Namespace)
		rc.mu.Unlock()
		review.Status.ResourceRules = rc.rules[review.Spec.Namespace]
		review.Status.Incomplete = rc.incomplete
		return true, review, nil
	})
	c.PrependReactor("create", "selfsubjectaccessreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		ssar := action.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).DeepCopy()
		ra := ssar.Spec.ResourceAttributes
		p := Permission{Verb: ra.Verb, Group: ra.Group, Resource: ra.Resource, Subresource: ra.Subresource, Namespace: ra.Namespace, Name: ra.Name}
		rc.mu.Lock()
		rc.asked = append(rc.asked, p)
		rc.mu.Unlock()
		ssar.Status.Allowed = rc.allowed != nil && rc.allowed(p)
		return true, ssar, nil
	})
	return c
}

// sameSet reports whether a and b hold the same permissions, in any
// order: access reviews go out in parallel.
func sameSet(a, b []Permission) bool {
	key := func(p Permission) string { return p.String() }
	as, bs := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		as[i] = key(a[i])
	}
	for i := range b {
		bs[i] = key(b[i])
	}
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}

// shippedRules are the rules of the example Role of mode m, as a rules
// review reports them.
func shippedRules(t *testing.T, m mode.Mode) []authorizationv1.ResourceRule {
	t.Helper()
	var rules []authorizationv1.ResourceRule
	for _, r := range loadRole(t, "eshell-"+string(m)+".yaml").Rules {
		rules = append(rules, authorizationv1.ResourceRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames})
	}
	return rules
}

func TestReviewerAnswersTheShippedRolesFromOneRulesReview(t *testing.T) {
	for _, m := range mode.All() {
		t.Run(string(m), func(t *testing.T) {
			rc := &rulesCluster{rules: map[string][]authorizationv1.ResourceRule{"shop": shippedRules(t, m)}}
			r := NewReviewer(rc.client())
			ctx := context.Background()
			r.Prefetch(ctx, "shop")
			if err := r.Check(ctx, Needed(m, "shop", deployments, "web")); err != nil {
				t.Fatalf("Check = %v, want nil", err)
			}
			if m == mode.Clone {
				// The clone's extra checks come from the same rules.
				if err := r.Check(ctx, append(EnvNeeded("shop"), IsolationNeeded("shop")...)); err != nil {
					t.Fatalf("the clone's Secret and copies: %v, want nil", err)
				}
			}
			if !reflect.DeepEqual(rc.rulesFor, []string{"shop"}) || len(rc.asked) != 0 {
				t.Errorf("asked rules of %v and access of %v, want one rules review of shop and nothing else", rc.rulesFor, rc.asked)
			}
		})
	}
}

func TestReviewerConfirmsWhatTheRulesDoNotCover(t *testing.T) {
	execute := pods("create", "exec")
	readOnly := []authorizationv1.ResourceRule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"pods"}}}
	perms := []Permission{pods("get", ""), execute, pods("list", "")}
	tests := []struct {
		name       string
		incomplete bool
		allowed    func(Permission) bool
		missing    []Permission
	}{
		{"another authorizer allows it", false, func(p Permission) bool { return p == execute }, nil},
		{"denied", false, nil, []Permission{execute}},
		{"incomplete rules, a webhook allows it", true, func(p Permission) bool { return p == execute }, nil},
		{"incomplete rules, denied", true, nil, []Permission{execute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &rulesCluster{rules: map[string][]authorizationv1.ResourceRule{"shop": readOnly}, incomplete: tt.incomplete, allowed: tt.allowed}
			err := NewReviewer(rc.client()).Check(context.Background(), perms)
			var me *MissingError
			switch {
			case tt.missing == nil && err != nil:
				t.Fatalf("Check = %v, want nil", err)
			case tt.missing != nil && (!errors.As(err, &me) || !reflect.DeepEqual(me.Missing, tt.missing)):
				t.Fatalf("Check = %v, want %v missing", err, tt.missing)
			}
			if !reflect.DeepEqual(rc.asked, []Permission{execute}) {
				t.Errorf("access reviews for %v, want only the uncovered %v", rc.asked, execute)
			}
		})
	}
}

func TestCoversLikeTheRBACAuthorizer(t *testing.T) {
	rule := func(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
	}
	one := func(s string) []string { return []string{s} }
	getWeb := Permission{Verb: "get", Group: "apps", Resource: "deployments", Namespace: "shop", Name: "web"}
	listDeployments := Permission{Verb: "list", Group: "apps", Resource: "deployments", Namespace: "shop"}
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		p    Permission
		want bool
	}{
		{"exact", rule(one("get"), one(""), one("pods")), pods("get", ""), true},
		{"other verb", rule(one("get"), one(""), one("pods")), pods("list", ""), false},
		{"other group", rule(one("get"), one("apps"), one("pods")), pods("get", ""), false},
		{"a resource does not grant its subresources", rule(one("create"), one(""), one("pods")), pods("create", "exec"), false},
		{"a subresource does not grant its resource", rule(one("create"), one(""), one("pods/exec")), pods("create", ""), false},
		{"subresource", rule(one("create"), one(""), one("pods/exec")), pods("create", "exec"), true},
		{"other subresource", rule(one("create"), one(""), one("pods/attach")), pods("create", "exec"), false},
		{"any resource's subresource", rule(one("create"), one(""), one("*/exec")), pods("create", "exec"), true},
		{"every verb", rule(one("*"), one(""), one("pods/exec")), pods("create", "exec"), true},
		{"every group", rule(one("get"), one("*"), one("deployments")), getWeb, true},
		{"every resource, subresources too", rule(one("get"), one(""), one("*")), pods("get", "attach"), true},
		{"named rule, its name", rule(one("get"), one("apps"), one("deployments"), "web"), getWeb, true},
		{"named rule, another name", rule(one("get"), one("apps"), one("deployments"), "api"), getWeb, false},
		{"named rule, every object", rule(one("list"), one("apps"), one("deployments"), "web"), listDeployments, false},
		{"unnamed rule, a name", rule(one("get"), one("apps"), one("deployments")), getWeb, true},
	}
	for _, tt := range tests {
		if got := Covers([]rbacv1.PolicyRule{tt.rule}, tt.p); got != tt.want {
			t.Errorf("%s: Covers(%v, %v) = %v, want %v", tt.name, tt.rule, tt.p, got, tt.want)
		}
	}
}

func TestReviewerNamedTargetOutsideTheRules(t *testing.T) {
	// A Role naming only "web" lets the user at web, not at api: the
	// rules decide the first, an access review confirms the refusal.
	rules := shippedRules(t, mode.Exec)
	for i := range rules {
		if reflect.DeepEqual(rules[i].APIGroups, []string{"apps"}) {
			rules[i].ResourceNames = []string{"web"}
		}
	}
	rc := &rulesCluster{rules: map[string][]authorizationv1.ResourceRule{"shop": rules}}
	r := NewReviewer(rc.client())
	if err := r.Check(context.Background(), Needed(mode.Exec, "shop", deployments, "web")); err != nil {
		t.Fatalf("web: %v, want nil", err)
	}
	api := Permission{Verb: "get", Group: "apps", Resource: "deployments", Namespace: "shop", Name: "api"}
	var me *MissingError
	if err := r.Check(context.Background(), Needed(mode.Exec, "shop", deployments, "api")); !errors.As(err, &me) || !reflect.DeepEqual(me.Missing, []Permission{api}) {
		t.Fatalf("api: %v, want %v missing", err, api)
	}
	if !reflect.DeepEqual(rc.asked, []Permission{api}) || len(rc.rulesFor) != 1 {
		t.Errorf("rules of %v, access of %v; want one rules review and api confirmed", rc.rulesFor, rc.asked)
	}
}

func TestReviewerAsksAnotherNamespaceOnlyWhenNeeded(t *testing.T) {
	clone := shippedRules(t, mode.Clone)
	// Companions: the policies of namespace "db" admit the workload's pods.
	companions := []authorizationv1.ResourceRule{{Verbs: []string{"create", "delete"}, APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}}}
	rc := &rulesCluster{rules: map[string][]authorizationv1.ResourceRule{"shop": clone, "db": companions}}
	r := NewReviewer(rc.client())
	ctx := context.Background()
	r.Prefetch(ctx, "shop")
	if err := r.Check(ctx, Needed(mode.Clone, "shop", deployments, "web")); err != nil {
		t.Fatal(err)
	}
	if err := r.Check(ctx, append(IsolationNeeded("shop"), CompanionNeeded("db", false)...)); err != nil {
		t.Fatalf("copies and companions: %v, want nil", err)
	}
	if err := r.Check(ctx, CompanionNeeded("db", false)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rc.rulesFor, []string{"shop", "db"}) || len(rc.asked) != 0 {
		t.Errorf("rules of %v, access of %v; want shop's, then db's once, and no access review", rc.rulesFor, rc.asked)
	}
	// Without rules in "db" the companions are missing, each confirmed.
	rc = &rulesCluster{rules: map[string][]authorizationv1.ResourceRule{"shop": clone}}
	var me *MissingError
	if err := NewReviewer(rc.client()).Check(ctx, append(IsolationNeeded("shop"), CompanionNeeded("db", false)...)); !errors.As(err, &me) || !reflect.DeepEqual(me.Missing, CompanionNeeded("db", false)) {
		t.Fatalf("Check = %v, want %v missing", err, CompanionNeeded("db", false))
	}
	if !sameSet(rc.asked, CompanionNeeded("db", false)) {
		t.Errorf("access reviews %v, want just db's", rc.asked)
	}
}

func TestReviewerOneReviewForConcurrentCallers(t *testing.T) {
	rules := shippedRules(t, mode.Debug)
	rc := &rulesCluster{rules: map[string][]authorizationv1.ResourceRule{"shop": rules}}
	r := NewReviewer(rc.client())
	needed := Needed(mode.Debug, "shop", deployments, "web")
	denied := Permission{Verb: "delete", Group: "batch", Resource: "jobs", Namespace: "shop"}
	var wg sync.WaitGroup
	var wrong atomic.Int32
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var me *MissingError
			if err := r.Check(context.Background(), append(needed, denied)); !errors.As(err, &me) || !reflect.DeepEqual(me.Missing, []Permission{denied}) {
				wrong.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := wrong.Load(); n > 0 {
		t.Errorf("%d callers did not get %v missing", n, denied)
	}
	if !reflect.DeepEqual(rc.rulesFor, []string{"shop"}) || !reflect.DeepEqual(rc.asked, []Permission{denied}) {
		t.Errorf("rules of %v, access of %v; want one of each for 16 callers", rc.rulesFor, rc.asked)
	}
}

func TestReviewerWithoutRules(t *testing.T) {
	perms := []Permission{pods("get", ""), pods("create", "exec")}
	t.Run("rules review refused", func(t *testing.T) {
		// An authorizer chain or a policy may refuse rules reviews: the
		// access reviews decide alone, as before.
		rc := &rulesCluster{allowed: func(Permission) bool { return true }}
		c := rc.client()
		c.PrependReactor("create", "selfsubjectrulesreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "authorization.k8s.io", Resource: "selfsubjectrulesreviews"}, "", errors.New("no"))
		})
		if err := NewReviewer(c).Check(context.Background(), perms); err != nil {
			t.Fatalf("Check = %v, want nil", err)
		}
		if !sameSet(rc.asked, perms) {
			t.Errorf("access reviews %v, want %v", rc.asked, perms)
		}
	})
	t.Run("cluster-wide", func(t *testing.T) {
		rc := &rulesCluster{allowed: func(Permission) bool { return true }}
		if err := NewReviewer(rc.client()).Check(context.Background(), SessionsNeeded("")); err != nil {
			t.Fatalf("Check = %v, want nil", err)
		}
		if len(rc.rulesFor) != 0 || !sameSet(rc.asked, SessionsNeeded("")) {
			t.Errorf("rules of %v, access of %v; want access reviews alone (rules are per namespace)", rc.rulesFor, rc.asked)
		}
	})
	t.Run("access review fails", func(t *testing.T) {
		rc := &rulesCluster{}
		c := rc.client()
		c.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewUnauthorized("expired")
		})
		r := NewReviewer(c)
		var me *MissingError
		if err := r.Check(context.Background(), perms); err == nil || errors.As(err, &me) {
			t.Fatalf("Check = %v, want the review's error, not missing permissions", err)
		}
		// The failure is not kept: the next check asks again.
		c.PrependReactor("create", "selfsubjectaccessreviews", allowExcept())
		if err := r.Check(context.Background(), perms); err != nil {
			t.Errorf("second Check = %v, want nil", err)
		}
	})
}

func TestReviewerCancelled(t *testing.T) {
	rc := &rulesCluster{}
	c := rc.client()
	block := make(chan struct{})
	defer close(block)
	c.PrependReactor("create", "selfsubjectrulesreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		<-block
		return true, &authorizationv1.SelfSubjectRulesReview{}, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewReviewer(c).Check(ctx, []Permission{pods("get", "")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Check = %v, want it cancelled", err)
	}
}
