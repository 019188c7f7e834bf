package access

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	authorizationv1client "k8s.io/client-go/kubernetes/typed/authorization/v1"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/pkg/mode"
)

var deployments = schema.GroupResource{Group: "apps", Resource: "deployments"}

func pods(verb, sub string) Permission {
	return Permission{Verb: verb, Resource: "pods", Subresource: sub, Namespace: "shop"}
}

func TestPermissionString(t *testing.T) {
	tests := []struct {
		p    Permission
		want string
	}{
		{pods("create", "exec"), `create pods/exec in namespace "shop"`},
		{Permission{Verb: "get", Group: "apps", Resource: "deployments", Namespace: "shop", Name: "web"}, `get deployments.apps "web" in namespace "shop"`},
		{Permission{Verb: "list", Resource: "namespaces"}, `list namespaces`},
		{Permission{Verb: "update", Group: "apps", Resource: "deployments", Subresource: "scale", Name: "web", Namespace: "shop"}, `update deployments.apps/scale "web" in namespace "shop"`},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestNeeded(t *testing.T) {
	getWeb := Permission{Verb: "get", Group: "apps", Resource: "deployments", Namespace: "shop", Name: "web"}
	tests := []struct {
		mode     mode.Mode
		workload schema.GroupResource
		want     []Permission
	}{
		{"clone", deployments, []Permission{getWeb,
			{Verb: "create", Group: "batch", Resource: "jobs", Namespace: "shop"}, {Verb: "patch", Group: "batch", Resource: "jobs", Namespace: "shop"},
			{Verb: "delete", Group: "batch", Resource: "jobs", Namespace: "shop"}, pods("create", ""), pods("get", ""), pods("watch", ""), pods("get", "attach"), pods("create", "attach"), pods("get", "exec"), pods("create", "exec"),
			{Verb: "list", Group: "networking.k8s.io", Resource: "networkpolicies", Namespace: "shop"}}},
		{"debug", deployments, []Permission{getWeb, pods("get", ""), pods("list", ""), pods("patch", "ephemeralcontainers"), pods("watch", ""), pods("get", "attach"), pods("create", "attach"), pods("get", "exec"), pods("create", "exec")}},
		{"exec", deployments, []Permission{getWeb, pods("get", ""), pods("list", ""), pods("get", "exec"), pods("create", "exec")}},
		{"exec", schema.GroupResource{}, []Permission{pods("get", ""), pods("list", ""), pods("get", "exec"), pods("create", "exec")}},
		{"bogus", deployments, []Permission{getWeb}},
		// svc/web: the Service, then its EndpointSlices to the workload.
		{"exec", services, []Permission{{Verb: "get", Resource: "services", Namespace: "shop", Name: "web"},
			{Verb: "list", Group: "discovery.k8s.io", Resource: "endpointslices", Namespace: "shop"},
			pods("get", ""), pods("list", ""), pods("get", "exec"), pods("create", "exec")}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode)+"/"+tt.workload.String(), func(t *testing.T) {
			got := Needed(tt.mode, "shop", tt.workload, "web")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Needed(%q) =\n%v\nwant\n%v", tt.mode, got, tt.want)
			}
		})
	}
}

// allowExcept answers SelfSubjectAccessReviews, denying the listed permissions.
func allowExcept(denied ...Permission) k8stesting.ReactionFunc {
	return func(action k8stesting.Action) (bool, runtime.Object, error) {
		ssar := action.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).DeepCopy()
		ra := ssar.Spec.ResourceAttributes
		got := Permission{Verb: ra.Verb, Group: ra.Group, Resource: ra.Resource, Subresource: ra.Subresource, Namespace: ra.Namespace, Name: ra.Name}
		ssar.Status.Allowed = true
		for _, d := range denied {
			if d == got {
				ssar.Status.Allowed = false
				ssar.Status.Denied = true
			}
		}
		return true, ssar, nil
	}
}

func TestCheckAllAllowed(t *testing.T) {
	c := fake.NewClientset()
	c.PrependReactor("create", "selfsubjectaccessreviews", allowExcept())
	perms := Needed("clone", "shop", deployments, "web")
	if err := Check(context.Background(), c, perms); err != nil {
		t.Fatalf("Check() = %v, want nil", err)
	}
	if n := len(c.Actions()); n != len(perms) {
		t.Errorf("made %d reviews, want one per permission (%d)", n, len(perms))
	}
}

func TestCheckNoPermissions(t *testing.T) {
	c := fake.NewClientset()
	if err := Check(context.Background(), c, nil); err != nil {
		t.Fatalf("Check(nil) = %v, want nil", err)
	}
	if n := len(c.Actions()); n != 0 {
		t.Errorf("made %d reviews for no permissions", n)
	}
}

func TestCheckSomeDenied(t *testing.T) {
	getWeb := Permission{Verb: "get", Group: "apps", Resource: "deployments", Namespace: "shop", Name: "web"}
	c := fake.NewClientset()
	c.PrependReactor("create", "selfsubjectaccessreviews",
		allowExcept(pods("create", "attach"), getWeb, pods("create", "exec"), pods("create", "")))

	err := Check(context.Background(), c, Needed("clone", "shop", deployments, "web"))
	var missing *MissingError
	if !errors.As(err, &missing) {
		t.Fatalf("Check() = %v, want *MissingError", err)
	}
	// Order follows Needed, not the order reviews happened to finish in.
	want := []Permission{getWeb, pods("create", ""), pods("create", "attach"), pods("create", "exec")}
	if !reflect.DeepEqual(missing.Missing, want) {
		t.Fatalf("Missing =\n%v\nwant\n%v", missing.Missing, want)
	}

	missing.User = "alice@example.com"
	wantMsg := `user "alice@example.com" is missing 4 permissions this eshell session needs:
  - get deployments.apps "web" in namespace "shop"
  - create pods in namespace "shop"
  - create pods/attach in namespace "shop"
  - create pods/exec in namespace "shop"
ask a cluster admin to grant them with a Role (and RoleBinding) in namespace "shop" with these rules:
rules:
- apiGroups: ["apps"]
  resources: ["deployments"]
  resourceNames: ["web"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["create"]
- apiGroups: [""]
  resources: ["pods/attach"]
  verbs: ["create"]
- apiGroups: [""]
  resources: ["pods/exec"]
  verbs: ["create"]
complete example Roles for each mode are in deploy/rbac/ in the kubectl-eshell repository`
	if got := missing.Error(); got != wantMsg {
		t.Errorf("Error() =\n%s\nwant\n%s", got, wantMsg)
	}

	// The snippet is meant to be pasted into a Role: it must parse as one
	// and grant exactly what is missing.
	msg := missing.Error()
	snippet := msg[strings.Index(msg, "\nrules:\n")+1 : strings.LastIndex(msg, "\ncomplete example")]
	var role rbacv1.Role
	if err := yaml.UnmarshalStrict([]byte(snippet), &role); err != nil {
		t.Fatalf("snippet is not a Role's rules: %v\n%s", err, snippet)
	}
	for _, p := range want {
		if !roleAllows(&role, p) {
			t.Errorf("snippet does not grant %s", p)
		}
	}
	if roleAllows(&role, pods("get", "")) {
		t.Error("snippet grants get pods, which was not missing")
	}
}

func TestMissingErrorMergesNames(t *testing.T) {
	// A named and an unnamed permission on the same resource must not yield
	// resourceNames, which would take away the unnamed one.
	e := &MissingError{Missing: []Permission{
		{Verb: "get", Group: "apps", Resource: "deployments", Namespace: "shop", Name: "web"},
		{Verb: "list", Group: "apps", Resource: "deployments", Namespace: "shop"},
		{Verb: "list", Resource: "namespaces"},
	}}
	msg := e.Error()
	if !strings.HasPrefix(msg, "you are missing 3 permissions") {
		t.Errorf("message does not start with the summary:\n%s", msg)
	}
	if strings.Contains(msg, "resourceNames") {
		t.Errorf("merged rule keeps resourceNames:\n%s", msg)
	}
	if !strings.Contains(msg, `verbs: ["get", "list"]`) {
		t.Errorf("verbs of one resource are not merged:\n%s", msg)
	}
	if !strings.Contains(msg, "ClusterRole") {
		t.Errorf("cluster-wide permission does not suggest a ClusterRole:\n%s", msg)
	}
}

func TestCheckReviewFails(t *testing.T) {
	tests := []struct {
		name string
		err  error
		hint string
	}{
		{"unreachable", errors.New("dial tcp 10.0.0.1:6443: connect: connection refused"), "check that the cluster is reachable"},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}, "", errors.New("nope")), "system:basic-user"},
		{"unauthorized", apierrors.NewUnauthorized("token expired"), "log in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewClientset()
			c.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, tt.err
			})
			err := Check(context.Background(), c, Needed("exec", "shop", deployments, "web"))
			if err == nil {
				t.Fatal("Check() = nil, want an error")
			}
			var missing *MissingError
			if errors.As(err, &missing) {
				t.Fatalf("Check() = MissingError %v, want the review error", err)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("Check() = %v, does not wrap %v", err, tt.err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "could not run the permission pre-check") || !strings.Contains(msg, tt.hint) {
				t.Errorf("Check() = %q, want the pre-check failure and %q", msg, tt.hint)
			}
		})
	}
}

func TestCheckCancelled(t *testing.T) {
	c := fake.NewClientset()
	c.PrependReactor("create", "selfsubjectaccessreviews", allowExcept())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Check(ctx, c, Needed("clone", "shop", deployments, "web"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Check() = %v, want context.Canceled", err)
	}
}

// The fake clientset runs reactors under one lock, so it can never show two
// reviews in flight. gatedReviews stands in for the SelfSubjectAccessReview
// client instead: each review waits until maxInFlight are in flight at once,
// proving Check is concurrent, and records the peak, proving it is bounded.
type gatedReviews struct {
	authorizationv1client.SelfSubjectAccessReviewInterface
	inFlight, peak, calls atomic.Int32
	full                  chan struct{}
	fullOnce              sync.Once
}

func (g *gatedReviews) Create(ctx context.Context, ssar *authorizationv1.SelfSubjectAccessReview, _ metav1.CreateOptions) (*authorizationv1.SelfSubjectAccessReview, error) {
	g.calls.Add(1)
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if n >= maxInFlight {
		g.fullOnce.Do(func() { close(g.full) })
	}
	select {
	case <-g.full:
	case <-time.After(5 * time.Second):
		// Check is not running maxInFlight at once; open the gate so the
		// test reports the peak instead of hanging.
		g.fullOnce.Do(func() { close(g.full) })
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := ssar.DeepCopy()
	out.Status.Allowed = true
	return out, nil
}

type gatedAuthz struct {
	authorizationv1client.AuthorizationV1Interface
	reviews *gatedReviews
}

func (a gatedAuthz) SelfSubjectAccessReviews() authorizationv1client.SelfSubjectAccessReviewInterface {
	return a.reviews
}

type gatedClient struct {
	*fake.Clientset
	authz gatedAuthz
}

func (c gatedClient) AuthorizationV1() authorizationv1client.AuthorizationV1Interface { return c.authz }

var _ kubernetes.Interface = gatedClient{}

func TestCheckConcurrencyBounded(t *testing.T) {
	base := fake.NewClientset()
	reviews := &gatedReviews{full: make(chan struct{})}
	c := gatedClient{Clientset: base, authz: gatedAuthz{AuthorizationV1Interface: base.AuthorizationV1(), reviews: reviews}}

	perms := make([]Permission, 12)
	for i := range perms {
		perms[i] = Permission{Verb: "get", Resource: "pods", Namespace: "shop", Name: fmt.Sprintf("p%d", i)}
	}
	if err := Check(context.Background(), c, perms); err != nil {
		t.Fatalf("Check() = %v, want nil", err)
	}
	if got := reviews.calls.Load(); got != int32(len(perms)) {
		t.Errorf("made %d reviews, want %d", got, len(perms))
	}
	if got := reviews.peak.Load(); got != maxInFlight {
		t.Errorf("at most %d reviews were in flight, want exactly %d", got, maxInFlight)
	}
}

func TestWhoami(t *testing.T) {
	c := fake.NewClientset()
	c.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, &authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{UserInfo: authenticationv1.UserInfo{Username: "alice"}}}, nil
	})
	w := &Whoami{Client: c}
	w.Prefetch(context.Background())
	if got := w.User(context.Background()); got != "alice" {
		t.Errorf("User = %q, want alice", got)
	}
	if n := len(c.Actions()); n != 1 {
		t.Errorf("%d requests, want the one prefetch", n)
	}
	if got := (&Whoami{Client: fake.NewClientset()}).User(context.Background()); got != Unknown {
		t.Errorf("without an answer User = %q, want %q", got, Unknown)
	}
}

func TestNamed(t *testing.T) {
	user := func(context.Context) string { return "dev" }
	me := &MissingError{Missing: []Permission{{Verb: "get", Resource: "pods"}}}
	if err := Named(context.Background(), fmt.Errorf("checking: %w", me), user); err == nil || me.User != "dev" {
		t.Errorf("a wrapped report of missing permissions was not named: %v, user %q", err, me.User)
	}
	other := errors.New("connection refused")
	if err := Named(context.Background(), other, user); err != other {
		t.Errorf("another error changed: %v", err)
	}
	if err := Named(context.Background(), nil, user); err != nil {
		t.Errorf("nil became %v", err)
	}
}
