package picker

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/meta"
)

// Environment is a namespace to open the shell in: an ephemeral environment
// (a namespace carrying the environment label) or, where there are none, any
// namespace.
type Environment struct {
	// Name is the environment label's value; "" for an unlabelled namespace.
	Name      string
	Namespace string
	// Checks are the status.envs.sberz.de/<check> annotations, by name.
	Checks []Check
	// URLs are the url.envs.sberz.de/<endpoint> annotations, by endpoint.
	URLs []URL
	// Current is the kubeconfig's namespace.
	Current bool
}

// Check is one status check of an environment.
type Check struct{ Name, Value string }

func (c Check) String() string {
	switch strings.ToLower(strings.TrimSpace(c.Value)) {
	case "true":
		return c.Name + " ✓"
	case "false":
		return c.Name + " ✗"
	}
	return c.Name + "=" + c.Value
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

// ListEnvironments finds the namespaces labelled with label, sorted by
// environment name, or, when there are none, all namespaces with current
// first. Terminating namespaces are left out. A user who may not list
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
		sort.SliceStable(envs.List, func(i, j int) bool {
			a, b := envs.List[i], envs.List[j]
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			return a.Namespace < b.Namespace
		})
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
	e := Environment{Name: v, Namespace: ns.Name, Current: ns.Name == current}
	for k, val := range ns.Annotations {
		if n, ok := strings.CutPrefix(k, meta.EnvStatusAnnotationPrefix); ok && n != "" {
			e.Checks = append(e.Checks, Check{Name: n, Value: val})
		}
		if n, ok := strings.CutPrefix(k, meta.EnvURLAnnotationPrefix); ok && n != "" && strings.TrimSpace(val) != "" {
			e.URLs = append(e.URLs, URL{Endpoint: n, URL: strings.TrimSpace(val)})
		}
	}
	sort.Slice(e.Checks, func(i, j int) bool { return e.Checks[i].Name < e.Checks[j].Name })
	sort.Slice(e.URLs, func(i, j int) bool { return e.URLs[i].Endpoint < e.URLs[j].Endpoint })
	return e, true
}

// Default is the index to preselect: the current namespace, else the first.
func (e *Environments) Default() int {
	for i, env := range e.List {
		if env.Current {
			return i
		}
	}
	return 0
}

// Rows renders the environments as aligned rows: name, namespace, status
// checks and URLs; or, unlabelled, the namespace.
func (e *Environments) Rows() []string {
	rows := make([][]string, len(e.List))
	for i, env := range e.List {
		ns := env.Namespace
		if env.Current {
			ns += " (current)"
		}
		if env.Name == "" {
			rows[i] = []string{ns}
			continue
		}
		checks := make([]string, len(env.Checks))
		for j, c := range env.Checks {
			checks[j] = c.String()
		}
		urls := make([]string, len(env.URLs))
		for j, u := range env.URLs {
			urls[j] = u.Endpoint + "=" + u.URL
		}
		rows[i] = []string{env.Name, ns, strings.Join(checks, " "), strings.Join(urls, " ")}
	}
	return Table(rows)
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
