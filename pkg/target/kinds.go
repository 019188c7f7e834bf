package target

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/pager"
)

// Kind is a kind of target: a workload kind eshell can open a shell next
// to, or a Service, which leads to the workload behind it.
type Kind string

const (
	KindPod         Kind = "Pod"
	KindDeployment  Kind = "Deployment"
	KindStatefulSet Kind = "StatefulSet"
	KindDaemonSet   Kind = "DaemonSet"
	KindReplicaSet  Kind = "ReplicaSet"
	KindJob         Kind = "Job"
	KindCronJob     Kind = "CronJob"
	KindService     Kind = "Service"
)

// kindInfo is what eshell knows of one supported kind: the name users type
// for it, where it lives in the API, and how one object is read. It is the
// one place a kind is described; everything per kind (lookup, names,
// completion, the service question) goes through it.
type kindInfo struct {
	kind  Kind
	short string
	gvr   schema.GroupVersionResource
	get   getter
}

// getter reads one object of a kind.
type getter func(ctx context.Context, c kubernetes.Interface, ns, name string) (runtime.Object, error)

// reader is the part of a typed client of one kind that eshell uses.
type reader[T runtime.Object] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
}

// via reads a kind through the typed client client returns.
func via[T runtime.Object](client func(c kubernetes.Interface, ns string) reader[T]) getter {
	return func(ctx context.Context, c kubernetes.Interface, ns, name string) (runtime.Object, error) {
		return client(c, ns).Get(ctx, name, metav1.GetOptions{})
	}
}

type k8s = kubernetes.Interface

var kinds = []kindInfo{
	{KindPod, "pod", corev1.SchemeGroupVersion.WithResource("pods"),
		via(func(c k8s, ns string) reader[*corev1.Pod] { return c.CoreV1().Pods(ns) })},
	{KindDeployment, "deploy", appsv1.SchemeGroupVersion.WithResource("deployments"),
		via(func(c k8s, ns string) reader[*appsv1.Deployment] { return c.AppsV1().Deployments(ns) })},
	{KindStatefulSet, "sts", appsv1.SchemeGroupVersion.WithResource("statefulsets"),
		via(func(c k8s, ns string) reader[*appsv1.StatefulSet] { return c.AppsV1().StatefulSets(ns) })},
	{KindDaemonSet, "ds", appsv1.SchemeGroupVersion.WithResource("daemonsets"),
		via(func(c k8s, ns string) reader[*appsv1.DaemonSet] { return c.AppsV1().DaemonSets(ns) })},
	{KindReplicaSet, "rs", appsv1.SchemeGroupVersion.WithResource("replicasets"),
		via(func(c k8s, ns string) reader[*appsv1.ReplicaSet] { return c.AppsV1().ReplicaSets(ns) })},
	{KindJob, "job", batchv1.SchemeGroupVersion.WithResource("jobs"),
		via(func(c k8s, ns string) reader[*batchv1.Job] { return c.BatchV1().Jobs(ns) })},
	{KindCronJob, "cj", batchv1.SchemeGroupVersion.WithResource("cronjobs"),
		via(func(c k8s, ns string) reader[*batchv1.CronJob] { return c.BatchV1().CronJobs(ns) })},
	// Not a workload: svc/NAME resolves to the workload behind the Service
	// (ResolveService).
	{KindService, "svc", corev1.SchemeGroupVersion.WithResource("services"),
		via(func(c k8s, ns string) reader[*corev1.Service] { return c.CoreV1().Services(ns) })},
}

// learned holds the workload kinds found through a RESTMapper (custom
// resources with a pod template): kindFor records each it returns, so that
// the Kind works everywhere a Kind of the table does. They are keyed by
// Kind.group ("Rollout.argoproj.io"), which no built-in kind can take.
var learned sync.Map // Kind -> kindInfo

func info(k Kind) (kindInfo, bool) {
	for _, i := range kinds {
		if i.kind == k {
			return i, true
		}
	}
	if i, ok := learned.Load(k); ok {
		return i.(kindInfo), true
	}
	return kindInfo{}, false
}

// Kinds lists the supported kinds, Pod first, Service last.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, k := range kinds {
		out[i] = k.kind
	}
	return out
}

// WorkloadKinds are the kinds a bare NAME may name when no pod has that name,
// in the order they are reported: every kind but Pod and Service (a Service
// is only ever named as svc/NAME, or "web" would name both it and its
// Deployment).
var WorkloadKinds = func() []Kind {
	var out []Kind
	for _, k := range Kinds() {
		if k != KindPod && k != KindService {
			out = append(out, k)
		}
	}
	return out
}()

// Short is the name a user types for the kind, used in messages (deploy/web).
func (k Kind) Short() string {
	if i, ok := info(k); ok {
		return i.short
	}
	return strings.ToLower(string(k))
}

// GroupResource is where the kind lives in the API (deployments.apps).
func (k Kind) GroupResource() schema.GroupResource {
	i, _ := info(k)
	return i.gvr.GroupResource()
}

// Resource is the lowercase plural resource name (deployments).
func (k Kind) Resource() string { return k.GroupResource().Resource }

// Group is the API group of the kind.
func (k Kind) Group() string { return k.GroupResource().Group }

// Name is the kind as objects name it ("Deployment", "Rollout"), without
// the group that a learned kind carries.
func (k Kind) Name() string {
	name, _, _ := strings.Cut(string(k), ".")
	return name
}

// kindFor finds the kind a TYPE (of the argument ref) names, as kubectl spells them: singular,
// plural, short name, each optionally with its group (deployments.apps).
// Without a mapper only these names are known; with one (the RESTMapper of
// the kubeconfig's cluster, from discovery) anything the server calls one
// of the supported kinds is too, and names of other kinds are told apart
// from typos.
func kindFor(typ, ref string, mapper meta.RESTMapper) (Kind, error) {
	typ = strings.ToLower(typ)
	for _, i := range kinds {
		res, group := i.gvr.Resource, i.gvr.Group
		singular := strings.ToLower(string(i.kind))
		for _, n := range []string{res, singular, i.short} {
			if typ == n || group != "" && typ == n+"."+group {
				return i.kind, nil
			}
		}
		if typ == "po" && i.kind == KindPod {
			return i.kind, nil
		}
	}
	if mapper != nil {
		if gvr, err := mapper.ResourceFor(schema.ParseGroupResource(typ).WithVersion("")); err == nil {
			for _, i := range kinds {
				if i.gvr.GroupResource() == gvr.GroupResource() {
					return i.kind, nil
				}
			}
			return learn(mapper, gvr, ref)
		}
	}
	return "", fmt.Errorf("unknown resource type %q in %q: eshell supports %s", typ, ref, supportedTypes())
}

// learn makes the custom resource gvr a Kind. Any namespaced resource
// outside the built-in API groups may be a workload; whether it is (a pod
// template at spec.template) shows when its object is read. The built-in
// groups hold no workload eshell does not know, so a Service or a
// ConfigMap is refused here, without a round trip.
func learn(mapper meta.RESTMapper, gvr schema.GroupVersionResource, ref string) (Kind, error) {
	if scheme.Scheme.IsGroupRegistered(gvr.Group) {
		return "", fmt.Errorf("eshell cannot open a shell next to %s (%q): it supports %s, and custom resources with a pod template at spec.template", gvr.GroupResource(), ref, supportedTypes())
	}
	gvk, err := mapper.KindFor(gvr)
	if err != nil {
		return "", fmt.Errorf("finding the kind of %s (%q): %w", gvr.GroupResource(), ref, err)
	}
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return "", fmt.Errorf("finding the kind of %s (%q): %w", gvr.GroupResource(), ref, err)
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		return "", fmt.Errorf("eshell cannot open a shell next to %s (%q): it is not namespaced, and workloads are", gvr.GroupResource(), ref)
	}
	k := learnedKind(gvk.GroupKind())
	learned.Store(k, kindInfo{kind: k, short: strings.ToLower(string(k)), gvr: m.Resource, get: func(ctx context.Context, c kubernetes.Interface, ns, name string) (runtime.Object, error) {
		return getUnstructured(ctx, c, m.Resource, ns, name)
	}})
	return k, nil
}

// learnedKind is the Kind of a custom resource: Kind.group, which kubectl
// also reads as a resource type once lower-cased (rollout.argoproj.io/web).
func learnedKind(gk schema.GroupKind) Kind { return Kind(gk.String()) }

func supportedTypes() string {
	var names []string
	for _, i := range kinds {
		names = append(names, fmt.Sprintf("%s (%s)", strings.ToLower(string(i.kind)), i.short))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Get reads the object ref names; its Kind must be set. Unlike Resolve it
// offers no close matches when there is none.
func Get(ctx context.Context, c kubernetes.Interface, ns string, ref Ref) (*Workload, error) {
	return get(ctx, c, ns, ref.Kind, ref.Name)
}

// get reads the object k/name and makes it a Workload.
func get(ctx context.Context, c kubernetes.Interface, ns string, k Kind, name string) (*Workload, error) {
	i, ok := info(k)
	if !ok {
		return nil, fmt.Errorf("unsupported kind %q", k)
	}
	obj, err := i.get(ctx, c, ns, name)
	if err != nil {
		return nil, err
	}
	return workloadOf(obj)
}

// workloadOf finds an object's pod template and the selector of its pods.
func workloadOf(obj runtime.Object) (*Workload, error) {
	var (
		k        Kind
		tmpl     corev1.PodTemplateSpec
		selector *metav1.LabelSelector
		version  string
	)
	switch o := obj.(type) {
	case *corev1.Pod:
		k, version = KindPod, "v1"
		tmpl = corev1.PodTemplateSpec{ObjectMeta: *o.ObjectMeta.DeepCopy(), Spec: *o.Spec.DeepCopy()}
	case *appsv1.Deployment:
		k, version, tmpl, selector = KindDeployment, "apps/v1", o.Spec.Template, o.Spec.Selector
	case *appsv1.StatefulSet:
		k, version, tmpl, selector = KindStatefulSet, "apps/v1", o.Spec.Template, o.Spec.Selector
	case *appsv1.DaemonSet:
		k, version, tmpl, selector = KindDaemonSet, "apps/v1", o.Spec.Template, o.Spec.Selector
	case *appsv1.ReplicaSet:
		k, version, tmpl, selector = KindReplicaSet, "apps/v1", o.Spec.Template, o.Spec.Selector
	case *batchv1.Job:
		k, version, tmpl, selector = KindJob, "batch/v1", o.Spec.Template, o.Spec.Selector
	case *batchv1.CronJob:
		k, version, tmpl = KindCronJob, "batch/v1", o.Spec.JobTemplate.Spec.Template
		// A CronJob's pods belong to its Jobs; they carry the template's
		// labels, and nothing else selects them.
		selector = &metav1.LabelSelector{MatchLabels: tmpl.Labels}
	case *unstructured.Unstructured:
		return customWorkload(o)
	default:
		return nil, fmt.Errorf("unsupported object %T", obj)
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	w := &Workload{Kind: k, Name: m.GetName(), Namespace: m.GetNamespace(), Object: obj, Template: tmpl, UID: string(m.GetUID()), APIVersion: version}
	switch {
	case k == KindPod:
		w.Pod = obj.(*corev1.Pod)
	case k == KindCronJob && len(tmpl.Labels) == 0:
		w.Selector = labels.Nothing()
	default:
		if w.Selector, err = metav1.LabelSelectorAsSelector(selector); err != nil {
			return nil, fmt.Errorf("%s/%s has an invalid selector: %w", k.Short(), w.Name, err)
		}
	}
	return w, nil
}

// Names lists the names of kind k in ns, sorted, but eshell's own (see
// notOwn). Only metadata is read, a page at a time.
func Names(ctx context.Context, mc metadata.Interface, ns string, k Kind) ([]string, error) {
	i, ok := info(k)
	if !ok {
		return nil, fmt.Errorf("unsupported kind %q", k)
	}
	opts := notOwn()
	res := mc.Resource(i.gvr).Namespace(ns)
	var names []string
	err := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return res.List(ctx, opts)
	}).EachListItem(ctx, opts, func(obj runtime.Object) error {
		if m, err := meta.Accessor(obj); err == nil {
			names = append(names, m.GetName())
		}
		return nil
	})
	sort.Strings(names)
	return names, err
}

// customWorkload makes a workload of a custom resource with a pod template
// at spec.template, as Deployments have it (Argo Rollouts, and the like).
// Its pods are those its spec.selector selects; without one, those that
// name it as their owner.
func customWorkload(o *unstructured.Unstructured) (*Workload, error) {
	gvk := o.GroupVersionKind()
	k := learnedKind(gvk.GroupKind())
	ref := Ref{Kind: k, Name: o.GetName()}
	raw, found, err := unstructured.NestedMap(o.Object, "spec", "template")
	if err != nil || !found {
		return nil, fmt.Errorf("%s has no pod template at spec.template: eshell opens shells next to workloads, objects with one", ref)
	}
	w := &Workload{Kind: k, Name: o.GetName(), Namespace: o.GetNamespace(), Object: o, UID: string(o.GetUID()), APIVersion: o.GetAPIVersion()}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &w.Template); err != nil {
		return nil, fmt.Errorf("the spec.template of %s is not a pod template: %w", ref, err)
	}
	var sel metav1.LabelSelector
	if raw, found, _ := unstructured.NestedMap(o.Object, "spec", "selector"); found {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &sel); err != nil {
			return nil, fmt.Errorf("the spec.selector of %s is not a label selector: %w", ref, err)
		}
	}
	if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		// An empty selector would take every pod of the namespace: the
		// owner decides instead, among the pods with the template's
		// labels (the ones it makes carry them).
		w.Owner = o.GetUID()
		w.Selector = labels.SelectorFromSet(w.Template.Labels)
		return w, nil
	}
	if w.Selector, err = metav1.LabelSelectorAsSelector(&sel); err != nil {
		return nil, fmt.Errorf("%s has an invalid selector: %w", ref, err)
	}
	return w, nil
}

// JobEnd is the condition that ended a Job (Complete or Failed, true), or
// nil while it runs: the one reading of a Job's end that the picker's
// status column and the clone sweep both word in their own way.
func JobEnd(j *batchv1.Job) *batchv1.JobCondition {
	for i, c := range j.Status.Conditions {
		if c.Status == corev1.ConditionTrue && (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}
