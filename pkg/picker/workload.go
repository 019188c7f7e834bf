package picker

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// ServiceKinds are the kinds the service question offers, in the order they
// are listed. ReplicaSets are left out: their Deployments stand for them.
var ServiceKinds = []target.Kind{
	target.KindDeployment, target.KindStatefulSet, target.KindDaemonSet,
	target.KindCronJob, target.KindJob, target.KindPod,
}

// ListTimeout bounds each list call of the service question.
const ListTimeout = 10 * time.Second

// Workload is one candidate of the service question.
type Workload struct {
	Kind target.Kind
	Name string
	// Ready and Desired are pods (containers for a bare Pod, active Jobs
	// for a CronJob, which has no Desired).
	Ready, Desired int32
	// Status replaces or follows the ready count: "Complete", "Pending",
	// "suspended".
	Status  string
	Created time.Time
}

// Ref is the TYPE/NAME that selects the workload.
func (w Workload) Ref() target.Ref { return target.Ref{Kind: w.Kind, Name: w.Name} }

// ReadyColumn renders the ready count: "2/3", "1 active", "Complete".
func (w Workload) ReadyColumn() string {
	var s string
	switch w.Kind {
	case target.KindCronJob:
		s = fmt.Sprintf("%d active", w.Ready)
	case target.KindJob:
		if w.Status != "" {
			return w.Status
		}
		s = fmt.Sprintf("%d/%d", w.Ready, w.Desired)
	default:
		s = fmt.Sprintf("%d/%d", w.Ready, w.Desired)
	}
	if w.Status != "" {
		s += " " + w.Status
	}
	return s
}

// Listing is what ListWorkloads found.
type Listing struct {
	Workloads []Workload
	// Failed holds the kinds that could not be listed, other than for lack
	// of permission.
	Failed map[target.Kind]error
	// Forbidden holds the kinds the user may not list.
	Forbidden []target.Kind
}

// ListWorkloads lists the candidates of the service question in ns: its
// Deployments, StatefulSets, DaemonSets, CronJobs, Jobs not run by a CronJob,
// and bare Pods (no owner, not an eshell clone). Each kind is listed by its
// own call, all at once, each bounded by timeout; a kind the user may not
// list is skipped.
func ListWorkloads(ctx context.Context, c kubernetes.Interface, ns string, timeout time.Duration) Listing {
	type result struct {
		kind target.Kind
		ws   []Workload
		err  error
	}
	results := make(chan result, len(ServiceKinds))
	for _, k := range ServiceKinds {
		go func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			ws, err := listKindFunc(ctx, c, ns, k)
			results <- result{k, ws, err}
		}()
	}
	l := Listing{Failed: map[target.Kind]error{}}
	pending := map[target.Kind]bool{}
	for _, k := range ServiceKinds {
		pending[k] = true
	}
	// A call that ignores its context must not hold the question up.
	deadline := time.NewTimer(timeout + timeout/10)
	defer deadline.Stop()
	for len(pending) > 0 {
		select {
		case r := <-results:
			delete(pending, r.kind)
			switch {
			case r.err == nil:
				l.Workloads = append(l.Workloads, r.ws...)
			case apierrors.IsForbidden(r.err):
				l.Forbidden = append(l.Forbidden, r.kind)
			default:
				l.Failed[r.kind] = r.err
			}
		case <-deadline.C:
			for k := range pending {
				l.Failed[k] = fmt.Errorf("no answer within %s", timeout)
			}
			pending = nil
		case <-ctx.Done():
			for k := range pending {
				l.Failed[k] = ctx.Err()
			}
			pending = nil
		}
	}
	order := map[target.Kind]int{}
	for i, k := range ServiceKinds {
		order[k] = i
	}
	sort.SliceStable(l.Workloads, func(i, j int) bool {
		a, b := l.Workloads[i], l.Workloads[j]
		if a.Kind != b.Kind {
			return order[a.Kind] < order[b.Kind]
		}
		return a.Name < b.Name
	})
	sort.Slice(l.Forbidden, func(i, j int) bool { return order[l.Forbidden[i]] < order[l.Forbidden[j]] })
	return l
}

// FailedKinds describes the kinds that could not be listed, for a warning.
func (l Listing) FailedKinds() string {
	var parts []string
	for _, k := range ServiceKinds {
		if err, ok := l.Failed[k]; ok {
			parts = append(parts, fmt.Sprintf("%s (%v)", k.Resource(), err))
		}
	}
	return strings.Join(parts, ", ")
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// listKindFunc is listKind; tests slow it down.
var listKindFunc = listKind

func listKind(ctx context.Context, c kubernetes.Interface, ns string, k target.Kind) ([]Workload, error) {
	opts := metav1.ListOptions{}
	var out []Workload
	add := func(m metav1.ObjectMeta, ready, desired int32, status string) {
		out = append(out, Workload{Kind: k, Name: m.Name, Ready: ready, Desired: desired, Status: status, Created: m.CreationTimestamp.Time})
	}
	switch k {
	case target.KindDeployment:
		l, err := c.AppsV1().Deployments(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, o := range l.Items {
			add(o.ObjectMeta, o.Status.ReadyReplicas, replicas(o.Spec.Replicas), "")
		}
	case target.KindStatefulSet:
		l, err := c.AppsV1().StatefulSets(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, o := range l.Items {
			add(o.ObjectMeta, o.Status.ReadyReplicas, replicas(o.Spec.Replicas), "")
		}
	case target.KindDaemonSet:
		l, err := c.AppsV1().DaemonSets(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, o := range l.Items {
			add(o.ObjectMeta, o.Status.NumberReady, o.Status.DesiredNumberScheduled, "")
		}
	case target.KindCronJob:
		l, err := c.BatchV1().CronJobs(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, o := range l.Items {
			status := ""
			if o.Spec.Suspend != nil && *o.Spec.Suspend {
				status = "suspended"
			}
			add(o.ObjectMeta, int32(len(o.Status.Active)), 0, status)
		}
	case target.KindJob:
		l, err := c.BatchV1().Jobs(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, o := range l.Items {
			if ownedBy(o.OwnerReferences, "CronJob") {
				continue // offered through its CronJob
			}
			var ready int32
			if o.Status.Ready != nil {
				ready = *o.Status.Ready
			}
			add(o.ObjectMeta, ready, replicas(o.Spec.Parallelism), jobStatus(&o))
		}
	case target.KindPod:
		l, err := c.CoreV1().Pods(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, p := range l.Items {
			if len(p.OwnerReferences) > 0 || p.Labels[meta.ManagedByLabel] == meta.ManagedByValue {
				continue
			}
			var ready int32
			for _, s := range p.Status.ContainerStatuses {
				if s.Ready {
					ready++
				}
			}
			status := ""
			switch {
			case p.DeletionTimestamp != nil:
				status = "Terminating"
			case p.Status.Phase == "":
				status = string(corev1.PodPending)
			case p.Status.Phase != corev1.PodRunning:
				status = string(p.Status.Phase)
			}
			add(p.ObjectMeta, ready, int32(len(p.Spec.Containers)), status)
		}
	default:
		return nil, fmt.Errorf("unsupported kind %s", k)
	}
	return out, nil
}

func ownedBy(refs []metav1.OwnerReference, kind string) bool {
	for _, r := range refs {
		if r.Kind == kind {
			return true
		}
	}
	return false
}

func jobStatus(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return "Complete"
		case batchv1.JobFailed:
			return "Failed"
		}
	}
	return ""
}

// WorkloadRows renders workloads as aligned rows: TYPE/NAME, kind, ready
// count and age at now.
func WorkloadRows(ws []Workload, now time.Time) []string {
	rows := make([][]string, len(ws))
	for i, w := range ws {
		age := "?"
		if !w.Created.IsZero() {
			age = duration.HumanDuration(now.Sub(w.Created))
		}
		rows[i] = []string{w.Ref().String(), string(w.Kind), w.ReadyColumn(), age}
	}
	return Table(rows)
}

// Names lists the names of kind k in ns, for shell completion: every pod but
// eshell's clones, every object of the other kinds.
func Names(ctx context.Context, c kubernetes.Interface, ns string, k target.Kind) ([]string, error) {
	opts := metav1.ListOptions{}
	var names []string
	switch k {
	case target.KindPod:
		l, err := c.CoreV1().Pods(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, p := range l.Items {
			if p.Labels[meta.ManagedByLabel] != meta.ManagedByValue {
				names = append(names, p.Name)
			}
		}
	case target.KindReplicaSet:
		l, err := c.AppsV1().ReplicaSets(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, o := range l.Items {
			names = append(names, o.Name)
		}
	case target.KindJob:
		// Every Job, including a CronJob's: job/NAME names it exactly.
		l, err := c.BatchV1().Jobs(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, o := range l.Items {
			names = append(names, o.Name)
		}
	default:
		ws, err := listKind(ctx, c, ns, k)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			names = append(names, w.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}
