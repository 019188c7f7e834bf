package picker

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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
	// Read once: a list abandoned at the deadline may still be running
	// when the caller (a test) swaps the function back.
	list := listKindFunc
	for _, k := range ServiceKinds {
		go func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			ws, err := list(ctx, c, ns, k)
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
	var out []Workload
	err := target.List(ctx, c, ns, k, metav1.ListOptions{}, func(obj runtime.Object) error {
		if w, ok := candidate(obj); ok {
			out = append(out, w)
		}
		return nil
	})
	return out, err
}

// candidate makes obj a row of the service question; ok is false for what
// is offered through another object: a CronJob's Jobs, a controller's pods
// and eshell's own clones.
func candidate(obj runtime.Object) (w Workload, ok bool) {
	row := func(k target.Kind, m metav1.ObjectMeta, ready, desired int32, status string) (Workload, bool) {
		return Workload{Kind: k, Name: m.Name, Ready: ready, Desired: desired, Status: status, Created: m.CreationTimestamp.Time}, true
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return row(target.KindDeployment, o.ObjectMeta, o.Status.ReadyReplicas, replicas(o.Spec.Replicas), "")
	case *appsv1.StatefulSet:
		return row(target.KindStatefulSet, o.ObjectMeta, o.Status.ReadyReplicas, replicas(o.Spec.Replicas), "")
	case *appsv1.DaemonSet:
		return row(target.KindDaemonSet, o.ObjectMeta, o.Status.NumberReady, o.Status.DesiredNumberScheduled, "")
	case *batchv1.CronJob:
		status := ""
		if o.Spec.Suspend != nil && *o.Spec.Suspend {
			status = "suspended"
		}
		return row(target.KindCronJob, o.ObjectMeta, int32(len(o.Status.Active)), 0, status)
	case *batchv1.Job:
		if ownedBy(o.OwnerReferences, "CronJob") {
			return Workload{}, false // offered through its CronJob
		}
		var ready int32
		if o.Status.Ready != nil {
			ready = *o.Status.Ready
		}
		return row(target.KindJob, o.ObjectMeta, ready, replicas(o.Spec.Parallelism), jobStatus(o))
	case *corev1.Pod:
		if len(o.OwnerReferences) > 0 || o.Labels[meta.ManagedByLabel] == meta.ManagedByValue {
			return Workload{}, false
		}
		var ready int32
		for _, s := range o.Status.ContainerStatuses {
			if s.Ready {
				ready++
			}
		}
		status := ""
		switch {
		case o.DeletionTimestamp != nil:
			status = "Terminating"
		case o.Status.Phase == "":
			status = string(corev1.PodPending)
		case o.Status.Phase != corev1.PodRunning:
			status = string(o.Status.Phase)
		}
		return row(target.KindPod, o.ObjectMeta, ready, int32(len(o.Spec.Containers)), status)
	}
	return Workload{}, false
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
	if c := target.JobEnd(j); c != nil {
		return string(c.Type) // Complete or Failed
	}
	return ""
}

// WorkloadRows renders workloads as aligned rows: TYPE/NAME, kind, ready
// count and age at now.
func WorkloadRows(ws []Workload, now time.Time) []string {
	rows := make([][]string, len(ws))
	for i, w := range ws {
		rows[i] = []string{w.Ref().String(), string(w.Kind), w.ReadyColumn(), Age(w.Created, now)}
	}
	return Table(rows)
}
