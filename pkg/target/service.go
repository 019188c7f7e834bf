package target

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"

	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// Behind is what a Service leads to: the workloads whose pods it selects.
type Behind struct {
	Service   string
	Namespace string
	// Workloads are sorted as the kinds table orders kinds, then by name.
	Workloads []*Workload
	// Serving names the pods behind the Service's ready endpoints; exec and
	// debug prefer them, as they are the pods that answer its traffic.
	Serving map[string]bool
	// ByTemplate: no endpoint is ready (say, every workload is scaled to
	// zero), so the Workloads are those whose pod template the Service's
	// selector matches.
	ByTemplate bool
	// servedBy counts the serving pods of each workload.
	servedBy map[Ref]int
}

// templateKinds are the kinds whose pod templates a Service without ready
// endpoints is matched against: those that keep pods serving. (A Job's or
// CronJob's pods end; a Service in front of them is rare.)
// Each is listed whole, page by page: the template is what is matched.
var templateKinds = []struct {
	kind Kind
	list func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error)
}{
	{KindDeployment, func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.AppsV1().Deployments(ns).List(ctx, opts)
	}},
	{KindStatefulSet, func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.AppsV1().StatefulSets(ns).List(ctx, opts)
	}},
	{KindDaemonSet, func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.AppsV1().DaemonSets(ns).List(ctx, opts)
	}},
}

// ResolveService finds the workloads behind Service name: the controllers
// of the pods of its ready endpoints (pod -> ReplicaSet -> Deployment, and
// so on), or, when no endpoint is ready, the workloads whose pod template
// its selector matches, so a Service scaled to zero still clones.
func ResolveService(ctx context.Context, c Clients, ns, name string) (*Behind, error) {
	ref := Ref{Kind: KindService, Name: name}
	b := &Behind{Service: name, Namespace: ns}
	// The EndpointSlices are found by the Service's name alone: they are
	// asked for alongside the Service, one round trip instead of two.
	var servingErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Serving, servingErr = servingPods(ctx, c, ns, name)
	}()
	svc, err := c.Typed.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	<-done
	if apierrors.IsNotFound(err) {
		return nil, &NotFoundError{Ref: ref, Namespace: ns, Matches: matches(ctx, c, ns, KindService, name)}
	}
	if err != nil {
		return nil, err
	}
	if len(svc.Spec.Selector) == 0 {
		return nil, noSelector(svc)
	}
	if servingErr != nil {
		return nil, servingErr
	}
	if len(b.Serving) > 0 {
		b.Workloads, b.servedBy, err = owners(ctx, c, ns, svc.Spec.Selector, b.Serving)
	} else {
		b.ByTemplate = true
		b.Workloads, err = templateMatches(ctx, c, ns, svc.Spec.Selector)
	}
	if err != nil {
		return nil, err
	}
	if len(b.Workloads) == 0 {
		return nil, fmt.Errorf("service %q has no ready endpoints, and its selector %s matches the pod template of no Deployment, StatefulSet or DaemonSet in namespace %q: "+
			"name the workload instead as TYPE/NAME, or check the Service with: kubectl describe svc/%s -n %s",
			name, labels.SelectorFromSet(svc.Spec.Selector), ns, name, ns)
	}
	sortWorkloads(b.Workloads)
	return b, nil
}

// noSelector explains why a Service without a selector leads nowhere.
func noSelector(svc *corev1.Service) error {
	why := "its endpoints are set by hand"
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		why = fmt.Sprintf("it is of type ExternalName, an alias of %s", svc.Spec.ExternalName)
	}
	return fmt.Errorf("service %q has no selector (%s), so eshell can't tell which pods serve it: name the workload instead as TYPE/NAME (e.g. deploy/%s)", svc.Name, why, svc.Name)
}

// servingPods names the pods behind the ready endpoints of Service name.
func servingPods(ctx context.Context, c Clients, ns, name string) (map[string]bool, error) {
	l, err := c.Typed.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + name})
	if err != nil {
		return nil, fmt.Errorf("listing the EndpointSlices of service %q: %w", name, err)
	}
	return readyPods(l.Items), nil
}

// readyPods names the pods of the ready endpoints of slices. A nil Ready
// is ready, as the API defines it.
func readyPods(slices []discoveryv1.EndpointSlice) map[string]bool {
	out := map[string]bool{}
	for _, s := range slices {
		for _, e := range s.Endpoints {
			if e.TargetRef == nil || e.TargetRef.Kind != "Pod" || e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			out[e.TargetRef.Name] = true
		}
	}
	return out
}

// owners finds the workloads of the serving pods by following each pod's
// controller up as far as eshell knows the kinds: pod -> ReplicaSet ->
// Deployment, pod -> Job -> CronJob, pod -> StatefulSet. A pod without a
// controller is its own workload. The pods' metadata is read in one list
// by the Service's selector; each owner once.
func owners(ctx context.Context, c Clients, ns string, selector map[string]string, serving map[string]bool) ([]*Workload, map[Ref]int, error) {
	l, err := c.Metadata.Resource(corev1.SchemeGroupVersion.WithResource("pods")).Namespace(ns).List(ctx,
		metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if err != nil {
		return nil, nil, fmt.Errorf("listing the pods the service selects: %w", err)
	}
	found, count := map[Ref]*Workload{}, map[Ref]int{}
	read := map[Ref]runtime.Object{}
	for _, p := range l.Items {
		if !serving[p.Name] || p.Labels[keys.ManagedByLabel] == keys.ManagedByValue {
			continue
		}
		top, err := topController(ctx, c, ns, p.Name, p.OwnerReferences, read)
		if err != nil {
			return nil, nil, err
		}
		count[top]++
		if _, ok := found[top]; ok {
			continue
		}
		obj, ok := read[top]
		if !ok { // the pod itself, not read yet
			if obj, err = c.Typed.CoreV1().Pods(ns).Get(ctx, top.Name, metav1.GetOptions{}); err != nil {
				return nil, nil, fmt.Errorf("reading pod %s of the service: %w", top.Name, err)
			}
		}
		w, err := workloadOf(obj)
		if err != nil {
			return nil, nil, err
		}
		found[top] = w
	}
	out := make([]*Workload, 0, len(found))
	for _, w := range found {
		out = append(out, w)
	}
	return out, count, nil
}

// topController follows the controllers of pod (whose owners are refs)
// up to the last one eshell knows, reading each once into read; a pod
// without one is its own.
func topController(ctx context.Context, c Clients, ns, pod string, refs []metav1.OwnerReference, read map[Ref]runtime.Object) (Ref, error) {
	top := Ref{Kind: KindPod, Name: pod}
	for {
		next, ok := controllerOf(refs)
		if !ok {
			return top, nil
		}
		obj, ok := read[next]
		if !ok {
			i, _ := info(next.Kind)
			var err error
			if obj, err = i.get(ctx, c.Typed, ns, next.Name); err != nil {
				return Ref{}, fmt.Errorf("reading %s, which runs pod %s of the service: %w", next, pod, err)
			}
			read[next] = obj
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return Ref{}, err
		}
		top, refs = next, m.GetOwnerReferences()
	}
}

// controllerOf is the controller among refs when its kind is one eshell
// knows (a Deployment's ReplicaSet, say, but not an operator's custom
// resource, whose pods eshell copies through the object it does know).
func controllerOf(refs []metav1.OwnerReference) (Ref, bool) {
	for _, r := range refs {
		if r.Controller == nil || !*r.Controller {
			continue
		}
		gv, err := schema.ParseGroupVersion(r.APIVersion)
		if err != nil {
			return Ref{}, false
		}
		for _, i := range kinds {
			if string(i.kind) == r.Kind && i.gvr.Group == gv.Group && i.kind != KindService {
				return Ref{Kind: i.kind, Name: r.Name}, true
			}
		}
		return Ref{}, false
	}
	return Ref{}, false
}

// templateMatches lists the workloads whose pod template selector matches.
// A kind the user may not list cannot be what they meant.
func templateMatches(ctx context.Context, c Clients, ns string, selector map[string]string) ([]*Workload, error) {
	var out []*Workload
	for _, k := range templateKinds {
		list := func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return k.list(ctx, c.Typed, ns, opts)
		}
		err := pager.New(list).EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
			w, err := workloadOf(obj)
			if err != nil {
				return err
			}
			if Selects(selector, w.Template.Labels) {
				out = append(out, w)
			}
			return nil
		})
		if err != nil && !apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("listing the %s the service may select: %w", k.kind.Resource(), err)
		}
	}
	return out, nil
}

// Selects reports whether a Service's selector matches pods with the
// labels podLabels. An empty selector selects nothing: such a Service has
// no pods of its own.
func Selects(selector, podLabels map[string]string) bool {
	return len(selector) > 0 && labels.SelectorFromSet(selector).Matches(labels.Set(podLabels))
}

// sortWorkloads orders ws as the kinds table orders kinds, then by name.
func sortWorkloads(ws []*Workload) {
	order := map[Kind]int{}
	for i, k := range Kinds() {
		order[k] = i
	}
	sort.Slice(ws, func(i, j int) bool {
		if ws[i].Kind != ws[j].Kind {
			return order[ws[i].Kind] < order[ws[j].Kind]
		}
		return ws[i].Name < ws[j].Name
	})
}

// Refs lists the workloads as TYPE/NAME.
func (b *Behind) Refs() []string {
	out := make([]string, len(b.Workloads))
	for i, w := range b.Workloads {
		out[i] = w.Ref().String()
	}
	return out
}

// Find returns the index of the workload ref names among those behind the
// Service (--service choosing among them): TYPE/NAME, or a bare NAME when
// only one of them has it.
func (b *Behind) Find(ref Ref) (int, error) {
	hit := -1
	for i, w := range b.Workloads {
		if w.Name != ref.Name || ref.Kind != "" && w.Kind != ref.Kind {
			continue
		}
		if hit >= 0 {
			return -1, fmt.Errorf("%q names more than one workload behind service %q: pass one of %s with --service", ref.Name, b.Service, strings.Join(b.Refs(), ", "))
		}
		hit = i
	}
	if hit < 0 {
		return -1, fmt.Errorf("--service %s is not behind service %q: pass one of %s (or name the workload alone, without svc/%s)", ref, b.Service, strings.Join(b.Refs(), ", "), b.Service)
	}
	return hit, nil
}

// ServingPods is how many of the Service's ready endpoints are pods of w.
func (b *Behind) ServingPods(w *Workload) int { return b.servedBy[w.Ref()] }

// Only is the one workload behind the Service; several are an error that
// lists them and says how to choose.
func (b *Behind) Only() (*Workload, error) {
	if len(b.Workloads) == 1 {
		return b.Workloads[0], nil
	}
	return nil, fmt.Errorf("service %q selects pods of %d workloads: %s; choose one with --service TYPE/NAME", b.Service, len(b.Workloads), strings.Join(b.Refs(), ", "))
}

// Arrow says which workload the Service led to, e.g. "service web ->
// deployment/web".
func (b *Behind) Arrow(w *Workload) string {
	s := fmt.Sprintf("service %s -> %s/%s", b.Service, strings.ToLower(string(w.Kind)), w.Name)
	if b.ByTemplate {
		s += " (no ready endpoints; its pod template matches the selector)"
	}
	return s
}
