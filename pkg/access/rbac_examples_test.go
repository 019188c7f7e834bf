package access

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/pkg/mode"
)

// The example Roles in deploy/rbac/ are documentation users apply verbatim,
// so they are tested against Needed: each must grant everything its mode
// needs (or users hit the pre-check's error with the example applied) and
// nothing beyond what its comments promise (or it stops being least privilege).

const rbacDir = "../../deploy/rbac"

// extras are what each Role grants on top of Needed: reading the workload
// kinds eshell resolves, and Services (svc/NAME, and their completion),
// listing for pickers, audit Events and the clone's conditional
// NetworkPolicy copies and env Secret.
var extras = func() []Permission {
	var ps []Permission
	for _, r := range []struct{ group, resource string }{
		{"apps", "deployments"}, {"apps", "statefulsets"}, {"apps", "daemonsets"}, {"apps", "replicasets"},
		{"batch", "jobs"}, {"batch", "cronjobs"}, {"", "pods"}, {"", "services"},
	} {
		ps = append(ps,
			Permission{Verb: "get", Group: r.group, Resource: r.resource},
			Permission{Verb: "list", Group: r.group, Resource: r.resource})
	}
	ps = append(ps,
		// Only when NetworkPolicies select the workload (IsolationNeeded).
		IsolationNeeded("")[0], IsolationNeeded("")[1],
		// Only when policies of other namespaces admit the workload (CompanionNeeded).
		CompanionNeeded("", false)[1],
		// Only with env overrides (EnvNeeded).
		EnvNeeded("")[0],
		// Optional: deleting a clone's pod beside its Job, which the
		// garbage collector does anyway, and gc of pre-Job clone pods.
		Permission{Verb: "delete", Resource: "pods"},
		// To wait for a node an autoscaler adds (optional).
		Permission{Verb: "list", Resource: "events"})
	return append(ps, Permission{Verb: "create", Group: "events.k8s.io", Resource: "events"})
}()

func loadRole(t *testing.T, file string) *rbacv1.Role {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(rbacDir, file))
	if err != nil {
		t.Fatalf("reading example Role: %v", err)
	}
	var role rbacv1.Role
	// Strict, so a misspelt field (say "resourcesNames") fails here instead
	// of silently granting more than intended.
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatalf("parsing %s: %v", file, err)
	}
	if role.Kind != "Role" || role.APIVersion != rbacv1.SchemeGroupVersion.String() {
		t.Fatalf("%s is a %s %s, want a %s Role", file, role.APIVersion, role.Kind, rbacv1.SchemeGroupVersion)
	}
	if role.Namespace != "" {
		t.Errorf("%s sets a namespace; the examples are applied with -n", file)
	}
	return &role
}

// allows reports whether rule grants p, with the matcher the Reviewer
// answers from (Covers).
func allows(rule rbacv1.PolicyRule, p Permission) bool {
	return Covers([]rbacv1.PolicyRule{rule}, p)
}

func roleAllows(role *rbacv1.Role, p Permission) bool {
	return slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool { return allows(r, p) })
}

func TestAllowsMatching(t *testing.T) {
	rule := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}, ResourceNames: []string{"a"}}
	if !allows(rule, Permission{Verb: "get", Resource: "pods", Name: "a"}) {
		t.Error("named rule does not allow its name")
	}
	for _, p := range []Permission{
		{Verb: "get", Resource: "pods", Name: "b"},
		{Verb: "get", Resource: "pods"},
		{Verb: "list", Resource: "pods", Name: "a"},
		{Verb: "get", Resource: "pods", Subresource: "exec", Name: "a"},
		{Verb: "get", Group: "apps", Resource: "pods", Name: "a"},
	} {
		if allows(rule, p) {
			t.Errorf("rule %v allows %v", rule, p)
		}
	}
	wild := rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*/exec"}, Verbs: []string{"*"}}
	if !allows(wild, Permission{Verb: "create", Resource: "pods", Subresource: "exec"}) || allows(wild, Permission{Verb: "create", Resource: "pods"}) {
		t.Error("wildcards do not match like the RBAC authorizer")
	}
}

func TestExampleRolesCoverNeeded(t *testing.T) {
	for _, m := range mode.All() {
		mode := string(m)
		t.Run(mode, func(t *testing.T) {
			file := "eshell-" + mode + ".yaml"
			role := loadRole(t, file)
			if want := "eshell-" + mode; role.Name != want {
				t.Errorf("%s names its Role %q, want %q", file, role.Name, want)
			}

			needed := Needed(m, "shop", deployments, "web")
			if len(needed) < 2 {
				t.Fatalf("Needed(%q) returned only %v", mode, needed)
			}
			// A svc/NAME target needs more: its EndpointSlices.
			viaService := Needed(m, "shop", services, "web")
			for _, p := range slices.Concat(needed, viaService) {
				if !roleAllows(role, p) {
					t.Errorf("%s does not grant %s, which %s mode needs", file, p, mode)
				}
			}
			needed = slices.Concat(needed, viaService)

			// Everything the Role grants must be needed or one of the extras.
			granted := slices.Concat(needed, extras)
			for _, rule := range role.Rules {
				if len(rule.NonResourceURLs) > 0 {
					t.Errorf("%s grants non-resource URLs %v", file, rule.NonResourceURLs)
				}
				for _, g := range rule.APIGroups {
					for _, r := range rule.Resources {
						for _, v := range rule.Verbs {
							if !slices.ContainsFunc(granted, func(p Permission) bool { return grantMatches(g, r, v, p) }) {
								t.Errorf("%s grants %s on %q in group %q, which eshell does not need in %s mode", file, v, r, g, mode)
							}
						}
					}
				}
			}
		})
	}
}

// Whoever may start a clone or a debug session may attach to it again with
// the same Role: `kubectl eshell attach` needs nothing more.
func TestExampleRolesCoverAttach(t *testing.T) {
	for _, m := range []mode.Mode{mode.Clone, mode.Debug} {
		file := "eshell-" + string(m) + ".yaml"
		role := loadRole(t, file)
		for _, p := range AttachNeeded("shop") {
			if !roleAllows(role, p) {
				t.Errorf("%s does not grant %s, which attaching to a %s session needs", file, p, m)
			}
		}
	}
}

// grantMatches reports whether one (group, resource, verb) a rule grants is
// exactly permission p, ignoring names and namespaces. Wildcards never
// match: the examples spell out what they grant.
func grantMatches(group, resource, verb string, p Permission) bool {
	return group == p.Group && resource == p.ruleResource() && verb == p.Verb
}
