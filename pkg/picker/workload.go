package picker

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/target"
)

// WorkloadKinds are the kinds the question for a workload (--service)
// offers, in the order they are listed. ReplicaSets are left out: their
// Deployments stand for them.
var WorkloadKinds = []target.Kind{
	target.KindDeployment, target.KindStatefulSet, target.KindDaemonSet,
	target.KindCronJob, target.KindJob, target.KindPod,
}

// ListTimeout bounds each list call of the service question.
const ListTimeout = 10 * time.Second

// Workload is one candidate of the service question.
type Workload struct {
	Kind target.Kind
	Name string
	// Ready is its ready column, in the API server's words (those of
	// kubectl get): "2/3" pods ready of desired (containers for a bare
	// Pod, followed by its status unless Running), "1 active" for a
	// CronJob, "Complete" or "Running 0/1" (completions) for a Job.
	Ready string
	// Age is the API server's: "5m", "3d".
	Age string
}

// Ref is the TYPE/NAME that selects the workload.
func (w Workload) Ref() target.Ref { return target.Ref{Kind: w.Kind, Name: w.Name} }

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
	results := make(chan result, len(WorkloadKinds))
	// Read once: a list abandoned at the deadline may still be running
	// when the caller (a test) swaps the function back.
	list := listKindFunc
	for _, k := range WorkloadKinds {
		go func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			ws, err := list(ctx, c, ns, k)
			results <- result{k, ws, err}
		}()
	}
	l := Listing{Failed: map[target.Kind]error{}}
	pending := map[target.Kind]bool{}
	for _, k := range WorkloadKinds {
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
	for i, k := range WorkloadKinds {
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
	for _, k := range WorkloadKinds {
		if err, ok := l.Failed[k]; ok {
			parts = append(parts, fmt.Sprintf("%s (%v)", k.Resource(), err))
		}
	}
	return strings.Join(parts, ", ")
}

// listKindFunc is listKind; tests slow it down.
var listKindFunc = listKind

// controllerPodLabels leaves out the pods that a ReplicaSet, StatefulSet,
// DaemonSet or Job made, by the labels each puts on its pods: in a busy
// namespace nearly every pod, which the server then never sends. (A pod
// orphaned by its controller keeps them, and is not offered either.)
const controllerPodLabels = "!pod-template-hash,!controller-revision-hash,!batch.kubernetes.io/controller-uid,!controller-uid"

// rowOptions say what the rows of a kind need from the server: the cells
// (name, ready counts, age) for all, and for Jobs and pods, which are
// offered only when no other object owns them, their metadata too.
func rowOptions(k target.Kind) target.RowOptions {
	switch k {
	case target.KindPod:
		return target.RowOptions{Selector: controllerPodLabels, Metadata: true}
	case target.KindJob:
		return target.RowOptions{Metadata: true}
	}
	return target.RowOptions{}
}

// listKind reads the rows of kind k from the API server's Table: the
// columns kubectl get prints (and for some kinds the metadata), never an
// object's pod template or status.
func listKind(ctx context.Context, c kubernetes.Interface, ns string, k target.Kind) ([]Workload, error) {
	var out []Workload
	err := target.Rows(ctx, c, ns, k, rowOptions(k), func(r target.Row) error {
		if w, ok := candidate(k, r); ok {
			out = append(out, w)
		}
		return nil
	})
	return out, err
}

// candidate makes r, an object of kind k, a row of the service question;
// ok is false for what is offered through another object: a CronJob's
// Jobs and a controller's pods. (eshell's clones are not listed.)
func candidate(k target.Kind, r target.Row) (w Workload, ok bool) {
	w = Workload{Kind: k, Name: r.Meta.Name, Age: r.Cells["Age"]}
	cell := r.Cells
	switch k {
	case target.KindDeployment, target.KindStatefulSet:
		w.Ready = cell["Ready"]
	case target.KindDaemonSet:
		w.Ready = cell["Ready"] + "/" + cell["Desired"]
	case target.KindCronJob:
		w.Ready = cell["Active"] + " active"
		if strings.EqualFold(cell["Suspend"], "true") { // the server writes "True"
			w.Ready += " suspended"
		}
	case target.KindJob:
		if slices.ContainsFunc(r.Meta.OwnerReferences, func(o metav1.OwnerReference) bool { return o.Kind == "CronJob" }) {
			return Workload{}, false // offered through its CronJob
		}
		switch st := cell["Status"]; st {
		case "Complete", "Failed":
			w.Ready = st
		default:
			w.Ready = strings.TrimSpace(st + " " + cell["Completions"])
		}
	case target.KindPod:
		if len(r.Meta.OwnerReferences) > 0 {
			return Workload{}, false
		}
		w.Ready = cell["Ready"]
		if st := cell["Status"]; st != "Running" {
			w.Ready = strings.TrimSpace(w.Ready + " " + st)
		}
	default:
		return Workload{}, false
	}
	return w, true
}

// WorkloadRows renders workloads as aligned rows: TYPE/NAME, kind, ready
// count and age.
func WorkloadRows(ws []Workload) []string {
	rows := make([][]string, len(ws))
	for i, w := range ws {
		age := w.Age
		if age == "" {
			age = "?"
		}
		rows[i] = []string{w.Ref().String(), string(w.Kind), w.Ready, age}
	}
	return Table(rows)
}
