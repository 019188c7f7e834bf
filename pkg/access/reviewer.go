package access

import (
	"context"
	"sync"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// Reviewer answers permission checks for one command: it asks the API
// server for the user's rules in a namespace once, with a
// SelfSubjectRulesReview, and answers every check in that namespace from
// them, where a SelfSubjectAccessReview per permission would cost a
// request each. A session's checks (its mode's, then a clone's Secret and
// NetworkPolicy copies) then cost one request in all on the happy path.
//
// The rules only ever grant: a permission they do not cover is confirmed
// with a SelfSubjectAccessReview before it is reported missing, because
// the rules review lists only what authorizers that can enumerate rules
// (RBAC) grant, and says so with status.incomplete, while a webhook or the
// Node authorizer may still allow the request. So a refusal is never
// decided by the rules alone.
//
// A Reviewer is safe for concurrent use (fan-out sessions share one):
// concurrent callers share one rules review per namespace and one access
// review per permission.
type Reviewer struct {
	client kubernetes.Interface

	mu      sync.Mutex
	rules   map[string]*answer[[]rbacv1.PolicyRule]
	answers map[Permission]*answer[bool]
}

// answer is a request in flight or done, shared by whoever asks the same.
type answer[T any] struct {
	done  chan struct{}
	value T
	err   error
}

// NewReviewer returns a Reviewer asking through c.
func NewReviewer(c kubernetes.Interface) *Reviewer {
	return &Reviewer{client: c, rules: map[string]*answer[[]rbacv1.PolicyRule]{}, answers: map[Permission]*answer[bool]{}}
}

// Prefetch starts the rules review of namespace without waiting for it, so
// that it travels beside the lookup of the target instead of after it.
func (r *Reviewer) Prefetch(ctx context.Context, namespace string) {
	if namespace != "" {
		r.rulesOf(ctx, namespace)
	}
}

// Check returns nil when the user may do every permission and a
// *MissingError listing each denied one otherwise, as the package's Check
// does, answering from the rules of the permissions' namespaces (fetched
// once, each namespace's in parallel) and confirming what they do not
// cover with SelfSubjectAccessReviews.
func (r *Reviewer) Check(ctx context.Context, perms []Permission) error {
	if len(perms) == 0 {
		return nil
	}
	// Start every namespace's review before waiting for any: a companion
	// policy in another namespace costs one more request, not one more round.
	pending := map[string]*answer[[]rbacv1.PolicyRule]{}
	for _, p := range perms {
		if p.Namespace != "" && pending[p.Namespace] == nil {
			pending[p.Namespace] = r.rulesOf(ctx, p.Namespace)
		}
	}
	var unsure []Permission
	for _, p := range perms {
		// Cluster-wide permissions have no namespace to ask the rules of;
		// rules that could not be read leave the access reviews to decide.
		if a := pending[p.Namespace]; a == nil || wait(ctx, a) != nil || !Covers(a.value, p) {
			unsure = append(unsure, p)
		}
	}
	return r.confirm(ctx, unsure)
}

// wait returns a's error once it is done, or ctx's if ctx ends first.
func wait[T any](ctx context.Context, a *answer[T]) error {
	select {
	case <-a.done:
		return a.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rulesOf returns the rules review of namespace, starting it unless it is
// under way or done.
func (r *Reviewer) rulesOf(ctx context.Context, namespace string) *answer[[]rbacv1.PolicyRule] {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.rules[namespace]; ok {
		return a
	}
	a := &answer[[]rbacv1.PolicyRule]{done: make(chan struct{})}
	r.rules[namespace] = a
	go func() {
		defer close(a.done)
		a.value, a.err = rulesReview(ctx, r.client, namespace)
	}()
	return a
}

// rulesReview asks for the rules the user has in namespace. Incomplete
// rules are used as they are: they still grant all they list, and what they
// leave out goes to an access review.
func rulesReview(ctx context.Context, c kubernetes.Interface, namespace string) ([]rbacv1.PolicyRule, error) {
	review := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: namespace}}
	res, err := c.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	rules := make([]rbacv1.PolicyRule, 0, len(res.Status.ResourceRules))
	for _, rr := range res.Status.ResourceRules {
		rules = append(rules, rbacv1.PolicyRule{Verbs: rr.Verbs, APIGroups: rr.APIGroups, Resources: rr.Resources, ResourceNames: rr.ResourceNames})
	}
	return rules, nil
}

// Covers reports whether rules grant p, as the RBAC authorizer matches
// them: "*" for verbs, groups and resources, "*/SUB" for a subresource of
// any resource, resourceNames narrowing a rule to those objects (so a
// namespace-wide permission needs a rule without them). The namespace is
// the rules' own.
func Covers(rules []rbacv1.PolicyRule, p Permission) bool {
	need := rbacv1.PolicyRule{Verbs: []string{p.Verb}, APIGroups: []string{p.Group}, Resources: []string{p.ruleResource()}}
	if p.Name != "" {
		need.ResourceNames = []string{p.Name}
	}
	covered, _ := validation.Covers(rules, []rbacv1.PolicyRule{need})
	return covered
}

// confirm asks a SelfSubjectAccessReview about each of perms, sharing the
// answers with other callers, and reports the denied ones.
func (r *Reviewer) confirm(ctx context.Context, perms []Permission) error {
	if len(perms) == 0 {
		return nil
	}
	answers := make([]*answer[bool], len(perms))
	var ask []Permission
	var asked []*answer[bool]
	r.mu.Lock()
	for i, p := range perms {
		a, ok := r.answers[p]
		if !ok {
			a = &answer[bool]{done: make(chan struct{})}
			r.answers[p] = a
			ask, asked = append(ask, p), append(asked, a)
		}
		answers[i] = a
	}
	r.mu.Unlock()
	if len(ask) > 0 {
		go func() {
			allowed, err := reviewEach(ctx, r.client, ask)
			for i, a := range asked {
				if err == nil {
					a.value = allowed[i]
				}
				a.err = err
				close(a.done)
			}
			if err != nil {
				r.forget(ask, asked)
			}
		}()
	}
	var missing []Permission
	for i, a := range answers {
		if err := wait(ctx, a); err != nil {
			return err
		}
		if !a.value {
			missing = append(missing, perms[i])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &MissingError{Missing: missing}
}

// forget drops answers that were errors (an interrupted caller, a network
// failure), so a later caller asks again instead of inheriting them.
func (r *Reviewer) forget(perms []Permission, answers []*answer[bool]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, p := range perms {
		if r.answers[p] == answers[i] {
			delete(r.answers, p)
		}
	}
}
