package target

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/pager"

	"github.com/sberz/kubectl-eshell/pkg/meta"
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
// for it, where it lives in the API, and how one object or a page of them
// is read. It is the one place a kind is described; everything per kind
// (lookup, names, completion, the service question) goes through it.
type kindInfo struct {
	kind  Kind
	short string
	gvr   schema.GroupVersionResource
	read  reading
}

// reading reads one object, or a page of objects, of a kind.
type reading struct {
	get  func(ctx context.Context, c kubernetes.Interface, ns, name string) (runtime.Object, error)
	list func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error)
}

// reader is the part of a typed client of one kind that eshell uses.
type reader[T, L runtime.Object] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
}

// via reads a kind through the typed client client returns.
func via[T, L runtime.Object](client func(c kubernetes.Interface, ns string) reader[T, L]) reading {
	return reading{
		get: func(ctx context.Context, c kubernetes.Interface, ns, name string) (runtime.Object, error) {
			return client(c, ns).Get(ctx, name, metav1.GetOptions{})
		},
		list: func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
			return client(c, ns).List(ctx, opts)
		},
	}
}

type k8s = kubernetes.Interface

var kinds = []kindInfo{
	{KindPod, "pod", corev1.SchemeGroupVersion.WithResource("pods"),
		via(func(c k8s, ns string) reader[*corev1.Pod, *corev1.PodList] { return c.CoreV1().Pods(ns) })},
	{KindDeployment, "deploy", appsv1.SchemeGroupVersion.WithResource("deployments"),
		via(func(c k8s, ns string) reader[*appsv1.Deployment, *appsv1.DeploymentList] {
			return c.AppsV1().Deployments(ns)
		})},
	{KindStatefulSet, "sts", appsv1.SchemeGroupVersion.WithResource("statefulsets"),
		via(func(c k8s, ns string) reader[*appsv1.StatefulSet, *appsv1.StatefulSetList] {
			return c.AppsV1().StatefulSets(ns)
		})},
	{KindDaemonSet, "ds", appsv1.SchemeGroupVersion.WithResource("daemonsets"),
		via(func(c k8s, ns string) reader[*appsv1.DaemonSet, *appsv1.DaemonSetList] {
			return c.AppsV1().DaemonSets(ns)
		})},
	{KindReplicaSet, "rs", appsv1.SchemeGroupVersion.WithResource("replicasets"),
		via(func(c k8s, ns string) reader[*appsv1.ReplicaSet, *appsv1.ReplicaSetList] {
			return c.AppsV1().ReplicaSets(ns)
		})},
	{KindJob, "job", batchv1.SchemeGroupVersion.WithResource("jobs"),
		via(func(c k8s, ns string) reader[*batchv1.Job, *batchv1.JobList] { return c.BatchV1().Jobs(ns) })},
	{KindCronJob, "cj", batchv1.SchemeGroupVersion.WithResource("cronjobs"),
		via(func(c k8s, ns string) reader[*batchv1.CronJob, *batchv1.CronJobList] { return c.BatchV1().CronJobs(ns) })},
	// Not a workload: svc/NAME resolves to the workload behind the Service
	// (ResolveService).
	{KindService, "svc", corev1.SchemeGroupVersion.WithResource("services"),
		via(func(c k8s, ns string) reader[*corev1.Service, *corev1.ServiceList] { return c.CoreV1().Services(ns) })},
}

func info(k Kind) (kindInfo, bool) {
	for _, i := range kinds {
		if i.kind == k {
			return i, true
		}
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

// kindFor finds the kind a TYPE (of the argument ref) names, as kubectl spells them: singular,
// plural, short name, each optionally with its group (deployments.apps).
// Without a mapper only these names are known; with one (the RESTMapper of
// the kubeconfig's cluster, from discovery) anything the server calls one
// of the supported kinds is too, and names of other kinds are told apart
// from typos.
func kindFor(typ, ref string, mapper apimeta.RESTMapper) (Kind, error) {
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
			return "", fmt.Errorf("eshell cannot open a shell next to %s (%q): it supports %s", gvr.GroupResource(), ref, supportedTypes())
		}
	}
	return "", fmt.Errorf("unknown resource type %q in %q: eshell supports %s", typ, ref, supportedTypes())
}

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
	obj, err := i.read.get(ctx, c, ns, name)
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
	default:
		return nil, fmt.Errorf("unsupported object %T", obj)
	}
	m, err := apimeta.Accessor(obj)
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

// List calls each with every object of kind k in ns, reading a page at a
// time so a namespace with thousands of pods or ReplicaSets is never held
// in one response.
func List(ctx context.Context, c kubernetes.Interface, ns string, k Kind, opts metav1.ListOptions, each func(runtime.Object) error) error {
	i, ok := info(k)
	if !ok {
		return fmt.Errorf("unsupported kind %q", k)
	}
	return pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return i.read.list(ctx, c, ns, opts)
	}).EachListItem(ctx, opts, each)
}

// Names lists the names of kind k in ns, sorted: every pod but eshell's
// clones, every object of the other kinds. Only metadata is read, a page at
// a time.
func Names(ctx context.Context, mc metadata.Interface, ns string, k Kind) ([]string, error) {
	i, ok := info(k)
	if !ok {
		return nil, fmt.Errorf("unsupported kind %q", k)
	}
	opts := metav1.ListOptions{}
	if k == KindPod {
		sel, _ := labels.NewRequirement(meta.ManagedByLabel, "!=", []string{meta.ManagedByValue})
		opts.LabelSelector = labels.NewSelector().Add(*sel).String()
	}
	res := mc.Resource(i.gvr).Namespace(ns)
	var names []string
	err := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return res.List(ctx, opts)
	}).EachListItem(ctx, opts, func(obj runtime.Object) error {
		if m, err := apimeta.Accessor(obj); err == nil {
			names = append(names, m.GetName())
		}
		return nil
	})
	sort.Strings(names)
	return names, err
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
