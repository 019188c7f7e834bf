package picker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// Environment is a namespace to open the shell in: an ephemeral environment
// (a namespace carrying the environment label) or, where there are none, any
// namespace.
type Environment struct {
	// Name is the environment label's value; "" for an unlabelled namespace.
	Name      string
	Namespace string
	// Owner is the envs.sberz.de/owner annotation, else label; "" unknown.
	Owner string
	// Created is the envs.sberz.de/created-at annotation, else the
	// namespace's creation.
	Created time.Time
	// Checks are the status.envs.sberz.de/<check> annotations, by name.
	Checks []Check
	// URLs are the url.envs.sberz.de/<endpoint> annotations, by endpoint.
	URLs []URL
	// Current is the kubeconfig's namespace.
	Current bool
}

// Check is one status check of an environment.
type Check struct{ Name, Value string }

// Failed: the check says "false". Anything but "true" or "false" (pending,
// a version) is shown as it is and fails nothing.
func (c Check) Failed() bool { return strings.EqualFold(strings.TrimSpace(c.Value), "false") }

func (c Check) String() string {
	switch strings.ToLower(strings.TrimSpace(c.Value)) {
	case "true":
		return c.Name + " ✓"
	case "false":
		return c.Name + " ✗"
	}
	return c.Name + "=" + c.Value
}

// Failing names the environment's failed checks; nil when none failed.
func (e Environment) Failing() []string {
	var out []string
	for _, c := range e.Checks {
		if c.Failed() {
			out = append(out, c.Name)
		}
	}
	return out
}

// URL is one endpoint of an environment.
type URL struct{ Endpoint, URL string }

// Label names the environment in messages: "demo (namespace demo-pr-42)",
// or the namespace alone for an unlabelled one.
func (e Environment) Label() string {
	if e.Name == "" {
		return "namespace " + e.Namespace
	}
	return fmt.Sprintf("environment %s (namespace %s)", e.Name, e.Namespace)
}

// Environments is what ListEnvironments found.
type Environments struct {
	List []Environment
	// Labelled: List holds the namespaces with the environment label. Else
	// it holds every namespace, the current one first.
	Labelled bool
	// Forbidden: the user may not list namespaces; List holds the current
	// namespace alone.
	Forbidden bool
}

// ListEnvironments finds the namespaces labelled with label, the most
// recently created first, or, when there are none, all namespaces with
// current first. Terminating namespaces are left out. A user who may not list
// namespaces gets the current namespace alone, and no error.
func ListEnvironments(ctx context.Context, c kubernetes.Interface, label, current string) (*Environments, error) {
	l, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: label})
	if apierrors.IsForbidden(err) {
		return &Environments{Forbidden: true, List: []Environment{{Namespace: current, Current: true}}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the environments (namespaces labelled %s): %w", label, err)
	}
	envs := &Environments{Labelled: true}
	for i := range l.Items {
		if e, ok := environment(&l.Items[i], label, current); ok {
			envs.List = append(envs.List, e)
		}
	}
	if len(envs.List) > 0 {
		sortNewestFirst(envs.List)
		return envs, nil
	}
	all, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if apierrors.IsForbidden(err) {
		return &Environments{Forbidden: true, List: []Environment{{Namespace: current, Current: true}}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	envs = &Environments{}
	for i := range all.Items {
		ns := &all.Items[i]
		if ns.Status.Phase == corev1.NamespaceTerminating {
			continue
		}
		envs.List = append(envs.List, Environment{Namespace: ns.Name, Current: ns.Name == current})
	}
	sort.SliceStable(envs.List, func(i, j int) bool {
		a, b := envs.List[i], envs.List[j]
		if a.Current != b.Current {
			return a.Current
		}
		return a.Namespace < b.Namespace
	})
	return envs, nil
}

func environment(ns *corev1.Namespace, label, current string) (Environment, bool) {
	v, ok := ns.Labels[label]
	if !ok || ns.Status.Phase == corev1.NamespaceTerminating {
		return Environment{}, false
	}
	if v == "" {
		v = ns.Name
	}
	e := Environment{Name: v, Namespace: ns.Name, Current: ns.Name == current, Created: ns.CreationTimestamp.Time}
	e.Owner = strings.TrimSpace(ns.Annotations[keys.EnvOwnerKey])
	if e.Owner == "" {
		e.Owner = ns.Labels[keys.EnvOwnerKey]
	}
	// A created-at that does not parse is ignored: the namespace's own
	// creation is still a fair age.
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(ns.Annotations[keys.EnvCreatedAtAnnotation])); err == nil {
		e.Created = t
	}
	for k, val := range ns.Annotations {
		if n, ok := strings.CutPrefix(k, keys.EnvStatusAnnotationPrefix); ok && n != "" {
			e.Checks = append(e.Checks, Check{Name: n, Value: val})
		}
		if n, ok := strings.CutPrefix(k, keys.EnvURLAnnotationPrefix); ok && n != "" && strings.TrimSpace(val) != "" {
			e.URLs = append(e.URLs, URL{Endpoint: n, URL: strings.TrimSpace(val)})
		}
	}
	sort.Slice(e.Checks, func(i, j int) bool { return e.Checks[i].Name < e.Checks[j].Name })
	sort.Slice(e.URLs, func(i, j int) bool { return e.URLs[i].Endpoint < e.URLs[j].Endpoint })
	return e, true
}

// sortNewestFirst orders environments the most recently created first,
// then by name and namespace.
func sortNewestFirst(list []Environment) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if !a.Created.Equal(b.Created) {
			return a.Created.After(b.Created)
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Namespace < b.Namespace
	})
}

// Passed: the check says "true".
func (c Check) Passed() bool { return strings.EqualFold(strings.TrimSpace(c.Value), "true") }

// StatusFilter is --env-status, written as the ephemeral-envs service's
// status query: "deployed,!migrating" keeps the environments whose check
// deployed is true and whose check migrating is not. Every term must hold.
type StatusFilter []StatusTerm

// StatusTerm is one term of a StatusFilter: Check must be true, or, with
// Not, anything but true (false, another value, or no such check: an
// environment that reports no migrating check is not migrating).
type StatusTerm struct {
	Check string
	Not   bool
}

// ParseStatusFilter reads a StatusFilter; "" is no filter. A term is a
// check's name (the part of status.envs.sberz.de/<check> after the slash),
// with "!" before it to negate it.
func ParseStatusFilter(s string) (StatusFilter, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var f StatusFilter
	for _, term := range strings.Split(s, ",") {
		term = strings.TrimSpace(term)
		name, not := strings.CutPrefix(term, "!")
		name = strings.TrimSpace(name)
		if name == "" || strings.ContainsAny(name, "!=/ ") {
			return nil, fmt.Errorf("status filter %q: term %q is not a check name or !name: write the checks to require, comma-separated, e.g. deployed,!migrating", s, term)
		}
		f = append(f, StatusTerm{Check: name, Not: not})
	}
	return f, nil
}

// String is the filter as written: "deployed,!migrating".
func (f StatusFilter) String() string {
	terms := make([]string, len(f))
	for i, t := range f {
		terms[i] = t.Check
		if t.Not {
			terms[i] = "!" + t.Check
		}
	}
	return strings.Join(terms, ",")
}

// Match reports whether env holds every term of f.
func (f StatusFilter) Match(env Environment) bool {
	for _, t := range f {
		passed := slices.ContainsFunc(env.Checks, func(c Check) bool { return c.Name == t.Check && c.Passed() })
		if passed == t.Not {
			return false
		}
	}
	return true
}

// Shown is what the picker offers of the environments.
type Shown struct {
	List []Environment
	// Hidden is how many environments were left out: for failing a
	// check or, with Filter, for not matching it.
	Hidden int
	// AllFailing: every environment fails a check, so all are shown
	// rather than none.
	AllFailing bool
	// Filter is the status filter that chose List; nil when failing
	// environments were hidden instead.
	Filter StatusFilter
}

// Show leaves out the environments that fail a status check, unless all
// is set or every one fails. Unlabelled namespaces have no checks.
func (e *Environments) Show(all bool) Shown { return e.ShowFiltered(all, nil) }

// ShowFiltered is Show with a status filter in place of the rule that
// hides failing environments: the user said which states they want, so a
// check that failed and is not named in it hides nothing. Unlike failing
// ones, a filter that matches no environment shows none (List is empty
// and Hidden counts them): the caller says so.
func (e *Environments) ShowFiltered(all bool, f StatusFilter) Shown {
	if all {
		return Shown{List: e.List}
	}
	s := Shown{Filter: f}
	for _, env := range e.List {
		if (f == nil && len(env.Failing()) > 0) || (f != nil && env.Name != "" && !f.Match(env)) {
			s.Hidden++
			continue
		}
		s.List = append(s.List, env)
	}
	if f == nil && len(s.List) == 0 && s.Hidden > 0 {
		return Shown{List: e.List, AllFailing: true}
	}
	return s
}

// Default is the index to preselect: the current namespace, else the first.
func (s Shown) Default() int {
	for i, env := range s.List {
		if env.Current {
			return i
		}
	}
	return 0
}

// Rows renders the environments as aligned rows: name, namespace, owner
// ("-" where unknown; no column when no environment has one), age at now,
// "failing" where a check failed, status checks and URLs; or, unlabelled,
// the namespace.
func (s Shown) Rows(now time.Time) []string {
	owners, failing := false, false
	for _, env := range s.List {
		owners = owners || env.Owner != ""
		failing = failing || len(env.Failing()) > 0
	}
	rows := make([][]string, len(s.List))
	for i, env := range s.List {
		ns := env.Namespace
		if env.Current {
			ns += " (current)"
		}
		if env.Name == "" {
			rows[i] = []string{ns}
			continue
		}
		row := []string{env.Name, ns}
		if owners {
			row = append(row, cmp.Or(env.Owner, "-"))
		}
		row = append(row, Age(env.Created, now))
		if failing {
			mark := ""
			if len(env.Failing()) > 0 {
				mark = "failing"
			}
			row = append(row, mark)
		}
		checks := make([]string, len(env.Checks))
		for j, c := range env.Checks {
			checks[j] = c.String()
		}
		urls := make([]string, len(env.URLs))
		for j, u := range env.URLs {
			urls[j] = u.Endpoint + "=" + u.URL
		}
		rows[i] = append(row, strings.Join(checks, " "), strings.Join(urls, " "))
	}
	return Table(rows)
}

// Age is how long ago t was, as kubectl prints ages ("5m", "3d"); "?" for
// an unknown time.
func Age(t, now time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return duration.HumanDuration(now.Sub(t))
}

// Names lists the environments' names, for messages.
func (e *Environments) Names() []string {
	out := make([]string, len(e.List))
	for i, env := range e.List {
		out[i] = env.Name
		if env.Name != env.Namespace && env.Name != "" {
			out[i] += " (namespace " + env.Namespace + ")"
		}
		if env.Name == "" {
			out[i] = env.Namespace
		}
	}
	return out
}

// FindEnvironment resolves --env NAME: the labelled namespace whose label
// value is name, else the labelled namespace called name.
func FindEnvironment(ctx context.Context, c kubernetes.Interface, label, name string) (Environment, error) {
	envs, err := ListEnvironments(ctx, c, label, "")
	if err != nil {
		return Environment{}, err
	}
	if envs.Forbidden {
		return Environment{}, fmt.Errorf("you may not list namespaces, so environment %q cannot be looked up; pass -n NAMESPACE instead of --env", name)
	}
	if !envs.Labelled {
		return Environment{}, fmt.Errorf("no environment %q: no namespace has the label %s; pass -n NAMESPACE, or --env-label with the label your environments carry", name, label)
	}
	var hits []Environment
	for _, e := range envs.List {
		if e.Name == name {
			hits = append(hits, e)
		}
	}
	if len(hits) == 0 {
		for _, e := range envs.List {
			if e.Namespace == name {
				hits = append(hits, e)
			}
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return Environment{}, fmt.Errorf("no environment %q (namespaces labelled %s); the environments are: %s", name, label, listed(envs.Names()))
	}
	var nss []string
	for _, h := range hits {
		nss = append(nss, h.Namespace)
	}
	return Environment{}, fmt.Errorf("environment %q is in more than one namespace: %s; pass -n NAMESPACE instead of --env", name, strings.Join(nss, ", "))
}

// listed joins names, at most MaxListed of them.
func listed(names []string) string {
	if len(names) > MaxListed {
		return strings.Join(names[:MaxListed], ", ") + fmt.Sprintf(" and %d more", len(names)-MaxListed)
	}
	return strings.Join(names, ", ")
}
