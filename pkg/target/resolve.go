package target

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// Clients reach the cluster: typed objects for what eshell reads whole,
// metadata alone for what only needs names.
type Clients struct {
	Typed    kubernetes.Interface
	Metadata metadata.Interface
}

// Workload is a resolved target: the object, the pod template clones are
// built from, and how to find its pods.
type Workload struct {
	Kind      Kind
	Name      string
	Namespace string
	Object    runtime.Object
	// Template is the pod template (for a Pod, its own metadata and spec).
	Template corev1.PodTemplateSpec
	// Selector finds the workload's pods; nil for a Pod.
	Selector labels.Selector
	// Owner, when set, narrows the pods Selector finds to those it owns:
	// for a custom resource without a selector of its own.
	Owner types.UID
	// Pod is set when the target is a Pod.
	Pod *corev1.Pod
	// UID and APIVersion identify the object for events.
	UID        string
	APIVersion string
}

// Ref returns the TYPE/NAME a user would type for the workload.
func (w *Workload) Ref() Ref { return Ref{Kind: w.Kind, Name: w.Name} }

// NotFoundError says a target does not exist, with close matches.
type NotFoundError struct {
	Ref       Ref
	Namespace string
	Matches   []string
}

func (e *NotFoundError) Error() string {
	what := fmt.Sprintf("%s %q", strings.ToLower(string(e.Ref.Kind)), e.Ref.Name)
	if e.Ref.Kind == "" {
		what = fmt.Sprintf("no pod or workload named %q", e.Ref.Name)
	} else {
		what = "no " + what
	}
	msg := fmt.Sprintf("%s in namespace %q", what, e.Namespace)
	switch {
	case len(e.Matches) > 0:
		msg += "; did you mean " + strings.Join(e.Matches, ", ") + "?"
	case e.Ref.Kind == KindService:
		msg += "; list what is there with: kubectl get services -n " + e.Namespace
	default:
		msg += "; list what is there with: kubectl get pods,deploy,sts,ds,job,cj -n " + e.Namespace
	}
	return msg
}

// Resolve looks the target up. A bare name is a pod if one has that name,
// else a workload of that name of any supported kind. A Service is the one
// workload behind it (see ResolveService; Behind.Find chooses among several).
func Resolve(ctx context.Context, c Clients, ns string, ref Ref) (*Workload, error) {
	if ref.Kind == KindService {
		b, err := ResolveService(ctx, c, ns, ref.Name)
		if err != nil {
			return nil, err
		}
		return b.Only()
	}
	if ref.Kind != "" {
		w, err := get(ctx, c.Typed, ns, ref.Kind, ref.Name)
		if apierrors.IsNotFound(err) {
			return nil, &NotFoundError{Ref: ref, Namespace: ns, Matches: matches(ctx, c, ns, ref.Kind, ref.Name)}
		}
		return w, err
	}
	w, err := get(ctx, c.Typed, ns, KindPod, ref.Name)
	if err == nil || !apierrors.IsNotFound(err) {
		return w, err
	}
	type found struct {
		w   *Workload
		err error
	}
	results := make([]found, len(WorkloadKinds))
	var wg sync.WaitGroup
	for i, k := range WorkloadKinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := get(ctx, c.Typed, ns, k, ref.Name)
			results[i] = found{w, err}
		}()
	}
	wg.Wait()
	var hits []*Workload
	for _, r := range results {
		switch {
		case r.err == nil:
			hits = append(hits, r.w)
		case apierrors.IsNotFound(r.err), apierrors.IsForbidden(r.err):
			// A kind the user may not read cannot be what they meant.
		default:
			return nil, r.err
		}
	}
	switch len(hits) {
	case 0:
		var all []string
		for _, k := range Kinds() {
			all = append(all, matches(ctx, c, ns, k, ref.Name)...)
		}
		sort.Strings(all)
		if len(all) > 5 {
			all = all[:5]
		}
		return nil, &NotFoundError{Ref: ref, Namespace: ns, Matches: all}
	case 1:
		return hits[0], nil
	}
	var names []string
	for _, h := range hits {
		names = append(names, h.Ref().String())
	}
	return nil, fmt.Errorf("%q names more than one workload in namespace %q: %s; pass one of them as TYPE/NAME", ref.Name, ns, strings.Join(names, ", "))
}

// matches lists close names of one kind as TYPE/NAME; listing errors only
// mean there are no suggestions.
func matches(ctx context.Context, c Clients, ns string, k Kind, name string) []string {
	names, err := Names(ctx, c.Metadata, ns, k)
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range closeMatches(name, names) {
		out = append(out, k.Short()+"/"+m)
	}
	return out
}

// NoRunningPodError says a workload has no pod to exec or debug into.
type NoRunningPodError struct {
	Workload *Workload
	Pods     []string // existing pods with their phase, for the message
	// ReadyOnly: only a ready pod would do (exec), not any running one.
	ReadyOnly bool
	// CloneCommand is the command line that opens a clone instead; ""
	// names only the flag.
	CloneCommand string
}

// Summary is the first sentence, e.g. "deploy/web has no running, ready
// pod (scaled to zero?)".
func (e *NoRunningPodError) Summary() string { return e.summary("") }

func (e *NoRunningPodError) summary(where string) string {
	msg := e.Workload.Ref().String() + where + " has no running pod"
	if e.ReadyOnly {
		msg = e.Workload.Ref().String() + where + " has no running, ready pod"
	}
	if len(e.Pods) == 0 {
		return msg + " (scaled to zero?)"
	}
	return msg + " (pods: " + strings.Join(e.Pods, ", ") + ")"
}

func (e *NoRunningPodError) Error() string {
	clone := "use --mode clone to start a fresh copy of it,"
	if e.CloneCommand != "" {
		clone = "use --mode clone to start a fresh copy of it: " + e.CloneCommand + ";"
	}
	return fmt.Sprintf("%s; %s or check it with: kubectl describe %s -n %s",
		e.summary(fmt.Sprintf(" in namespace %q", e.Workload.Namespace)), clone, e.Workload.Ref(), e.Workload.Namespace)
}

// ErrPodNotRunning is returned (wrapped) when an explicitly named pod is not running.
var ErrPodNotRunning = errors.New("pod is not running")

// RunningPods lists the workload's running pods, ready ones first, newest
// first within that. Unless readyOnly is false (debug mode: an unready pod
// is often the one to inspect), pods that are not ready are left out.
func RunningPods(ctx context.Context, c kubernetes.Interface, w *Workload, readyOnly bool) ([]corev1.Pod, error) {
	accept := func(p *corev1.Pod) bool {
		if readyOnly {
			return Usable(p)
		}
		return p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning
	}
	if w.Pod != nil {
		if !accept(w.Pod) {
			return nil, fmt.Errorf("pod %q is %s, not running: %w", w.Name, describePhase(w.Pod), ErrPodNotRunning)
		}
		return []corev1.Pod{*w.Pod}, nil
	}
	l, err := c.CoreV1().Pods(w.Namespace).List(ctx, metav1.ListOptions{LabelSelector: w.Selector.String()})
	if err != nil {
		return nil, fmt.Errorf("listing the pods of %s: %w", w.Ref(), err)
	}
	var out []corev1.Pod
	var seen []string
	for _, p := range l.Items {
		if p.Labels[keys.ManagedByLabel] == keys.ManagedByValue || w.Owner != "" && !ownedBy(&p, w.Owner) {
			continue
		}
		if accept(&p) {
			out = append(out, p)
		} else {
			seen = append(seen, p.Name+" "+describePhase(&p))
		}
	}
	if len(out) == 0 {
		return nil, &NoRunningPodError{Workload: w, Pods: seen, ReadyOnly: readyOnly}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := Usable(&out[i]), Usable(&out[j]); ri != rj {
			return ri
		}
		return out[j].CreationTimestamp.Before(&out[i].CreationTimestamp)
	})
	return out, nil
}

func ownedBy(p *corev1.Pod, uid types.UID) bool {
	for _, r := range p.OwnerReferences {
		if r.UID == uid {
			return true
		}
	}
	return false
}

// Usable: running, ready and not being deleted.
func Usable(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func describePhase(p *corev1.Pod) string {
	if p.DeletionTimestamp != nil {
		return "Terminating"
	}
	if p.Status.Phase == corev1.PodRunning && !Usable(p) {
		return "Running but not ready"
	}
	if p.Status.Phase == "" {
		return "Pending"
	}
	return string(p.Status.Phase)
}

// Container picks the container: the requested one, else the
// default-container annotation, else the only or first app container. The
// message says which was chosen when the user did not say.
func Container(m metav1.ObjectMeta, spec corev1.PodSpec, requested string) (name, note string, err error) {
	var names []string
	for _, c := range spec.Containers {
		names = append(names, c.Name)
	}
	var sidecars []string
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars = append(sidecars, c.Name)
		}
	}
	if requested != "" {
		for _, n := range append(append([]string{}, names...), sidecars...) {
			if n == requested {
				return n, "", nil
			}
		}
		valid := strings.Join(names, ", ")
		if len(sidecars) > 0 {
			valid += " (sidecars: " + strings.Join(sidecars, ", ") + ")"
		}
		return "", "", fmt.Errorf("container %q not found; valid containers: %s; pass one with -c", requested, valid)
	}
	if len(names) == 0 {
		return "", "", errors.New("the pod template has no containers")
	}
	if d := m.Annotations[keys.DefaultContainerAnnotation]; d != "" {
		for _, n := range names {
			if n == d {
				if len(names) > 1 {
					note = fmt.Sprintf("Defaulted container %q (from annotation %s) out of: %s", n, keys.DefaultContainerAnnotation, strings.Join(names, ", "))
				}
				return n, note, nil
			}
		}
	}
	if len(names) > 1 {
		note = fmt.Sprintf("Defaulted container %q out of: %s; pick another with -c", names[0], strings.Join(names, ", "))
	}
	return names[0], note, nil
}
