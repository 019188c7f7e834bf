// Package live finds the live eshell sessions in a cluster (clone Jobs
// and debug containers) and ends one of them.
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/clone"
	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

// Info is one live session.
type Info struct {
	ID        string    `json:"id"`
	User      string    `json:"user"`
	Mode      mode.Mode `json:"mode"`
	Namespace string    `json:"namespace"`
	// Workload is what the session is next to, as kind/name.
	Workload  string     `json:"workload"`
	Job       string     `json:"job,omitempty"`
	Pod       string     `json:"pod,omitempty"`
	Container string     `json:"container"`
	Started   time.Time  `json:"started"`
	Expires   *time.Time `json:"expires,omitempty"`
	// Reason is the session's --reason; "" when none was given.
	Reason string `json:"reason,omitempty"`
	// PodObject is the session's pod as the listing read it (nil while a
	// clone has none), so a caller that acts on it needs no second read.
	PodObject *corev1.Pod `json:"-"`
	// JobUID is a clone's Job's: End deletes that Job, not another of
	// its name.
	JobUID types.UID `json:"-"`
}

// List returns the live sessions of user ("" is everyone's) in namespace
// ("" is every namespace), oldest first: clone Jobs still running, and
// eshell's ephemeral containers still running.
func List(ctx context.Context, r session.Remote, namespace, user string) ([]Info, error) {
	jobs, err := clone.Jobs(ctx, r.Client, namespace, user)
	if err != nil {
		return nil, err
	}
	pods, err := listPods(ctx, r, namespace)
	if err != nil {
		return nil, err
	}
	// The clone's pod is the pod its Job controls, by the Job's UID: labels
	// are anyone's to copy, and a look-alike pod labelled as the session
	// (by whoever may create pods) must not receive what the user types.
	clonePod := map[types.UID]*corev1.Pod{}
	for _, p := range pods {
		if c := metav1.GetControllerOf(p); c != nil && c.Kind == "Job" && clone.IsClone(p) && p.DeletionTimestamp == nil {
			clonePod[c.UID] = p
		}
	}
	var out []Info
	for _, j := range jobs {
		if clone.JobFinished(j) != "" || j.DeletionTimestamp != nil {
			continue
		}
		id := j.Labels[keys.SessionLabel]
		in := Info{ID: id, User: j.Annotations[keys.UserAnnotation], Mode: mode.Clone, Namespace: j.Namespace,
			Workload: j.Annotations[keys.SourceAnnotation], Job: j.Name, JobUID: j.UID,
			Container: j.Annotations[keys.DefaultContainerAnnotation], Started: j.CreationTimestamp.Time, Reason: j.Annotations[keys.ReasonAnnotation]}
		if p := clonePod[j.UID]; p != nil && p.Namespace == j.Namespace {
			in.Pod, in.PodObject = p.Name, p
		}
		if t, err := time.Parse(time.RFC3339, j.Annotations[keys.ExpiresAnnotation]); err == nil {
			in.Expires = &t
		}
		out = append(out, in)
	}
	for _, p := range pods {
		out = append(out, debugSessions(p, user)...)
	}
	sort.SliceStable(out, func(i, k int) bool { return out[i].Started.Before(out[k].Started) })
	return out, nil
}

// debugSessions are the running ephemeral containers eshell added to p.
func debugSessions(p *corev1.Pod, user string) []Info {
	var out []Info
	for _, ec := range p.Spec.EphemeralContainers {
		if !strings.HasPrefix(ec.Name, keys.DebugContainerPrefix) {
			continue
		}
		env := map[string]string{}
		for _, e := range ec.Env {
			if e.ValueFrom == nil {
				env[e.Name] = e.Value
			}
		}
		owner := env[keys.DebugUserEnv]
		if owner == "" || (user != "" && owner != user) {
			continue
		}
		var st *corev1.ContainerStatus
		for i := range p.Status.EphemeralContainerStatuses {
			if p.Status.EphemeralContainerStatuses[i].Name == ec.Name {
				st = &p.Status.EphemeralContainerStatuses[i]
			}
		}
		if st == nil || st.State.Running == nil {
			continue
		}
		in := Info{ID: strings.TrimPrefix(ec.Name, keys.DebugContainerPrefix), User: owner, Mode: mode.Debug, Namespace: p.Namespace,
			Workload: workloadOf(p), Pod: p.Name, PodObject: p, Container: ec.Name, Started: st.State.Running.StartedAt.Time,
			Reason: env[keys.DebugReasonEnv]}
		if t, err := time.Parse(time.RFC3339, env[keys.DebugExpiresEnv]); err == nil {
			in.Expires = &t
		}
		out = append(out, in)
	}
	return out
}

// workloadOf names the pod's controller, or the pod itself. A ReplicaSet
// made by a Deployment is named as the Deployment, which is what the user
// chose: the Deployment controller names it <deployment>-<hash> and stamps
// the hash on its pods (pod-template-hash), so no extra read is needed.
func workloadOf(p *corev1.Pod) string {
	c := metav1.GetControllerOf(p)
	if c == nil {
		return "pod/" + p.Name
	}
	if h := p.Labels[appsv1.DefaultDeploymentUniqueLabelKey]; c.Kind == "ReplicaSet" && h != "" {
		if d, ok := strings.CutSuffix(c.Name, "-"+h); ok && d != "" {
			return "deployment/" + d
		}
	}
	return strings.ToLower(c.Kind) + "/" + c.Name
}

func listPods(ctx context.Context, r session.Remote, namespace string) ([]*corev1.Pod, error) {
	pods := r.Client.CoreV1().Pods(namespace)
	out, err := clone.ListAll(ctx, func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return pods.List(ctx, opts)
	},
		metav1.ListOptions{}, func(*corev1.Pod) bool { return true })
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	return out, nil
}

// Candidates are the live sessions of the user of c in namespace (with
// allUsers everyone's), for completing an ID: the id, described by mode,
// workload and, when they are not the user's, owner.
func Candidates(ctx context.Context, c kubernetes.Interface, namespace string, allUsers bool) ([]picker.Candidate, error) {
	user := ""
	if !allUsers {
		user = (&access.Whoami{Client: c}).User(ctx)
	}
	list, err := List(ctx, session.Remote{Client: c}, namespace, user)
	out := make([]picker.Candidate, len(list))
	for i, in := range list {
		out[i] = picker.Candidate{Value: in.ID, Description: fmt.Sprintf("%s of %s", in.Mode, escape.Line(in.Workload))}
		if allUsers {
			out[i].Description += " by " + escape.Line(in.User)
		}
	}
	return out, err
}

// Find returns the live session id in namespace, whoever started it.
func Find(ctx context.Context, r session.Remote, namespace, id string) (Info, error) {
	all, err := List(ctx, r, namespace, "")
	if err != nil {
		return Info{}, err
	}
	var found []Info
	for _, in := range all {
		if in.ID == id {
			found = append(found, in)
		}
	}
	switch len(found) {
	case 0:
		return Info{}, fmt.Errorf("no live session %q in namespace %q; list them with: kubectl eshell sessions -n %s", id, namespace, namespace)
	case 1:
		return found[0], nil
	}
	return Info{}, fmt.Errorf("%d live sessions have id %q in namespace %q; end the one you mean with kubectl directly (see kubectl eshell sessions)", len(found), id, namespace)
}

// endScript kills every process of the container it runs in but itself:
// the lifeline (or, where it is PID 1 and cannot be killed from inside,
// the sleeps it waits on, which ends it just the same) and the shells
// beside it. A process belongs to the container when its cgroups are
// exactly the script's own; the target container's processes, visible
// through a shared PID namespace, are in other cgroups and untouched.
// Builtins only, so the debug image needs nothing but sh.
const endScript = `me=; while read -r l; do me="$me|$l"; done </proc/self/cgroup
for d in /proc/[0-9]*; do
  p=${d#/proc/}; [ "$p" = "$$" ] && continue
  cg=; while read -r l; do cg="$cg|$l"; done <"$d/cgroup" 2>/dev/null || continue
  [ -n "$cg" ] && [ "$cg" = "$me" ] && kill -9 "$p" 2>/dev/null
done
exit 0`

// Ended waits up to timeout for the processes of the session in to end,
// after End: a clone's pod gone or all its containers terminated, a debug
// container terminated. It reports whether they were seen to end; an error
// is one of reading the pod.
func Ended(ctx context.Context, r session.Remote, in Info, timeout time.Duration) (bool, error) {
	if in.PodObject == nil {
		// A clone without a pod yet: the Job's deletion leaves none.
		return true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		p, err := r.Client.CoreV1().Pods(in.Namespace).Get(ctx, in.PodObject.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err), err == nil && p.UID != in.PodObject.UID:
			return true, nil
		case ctx.Err() != nil:
			return false, nil
		case err != nil:
			return false, fmt.Errorf("reading pod %s to see the session end: %w", in.PodObject.Name, err)
		case processesEnded(p, in):
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-tick.C:
		}
	}
}

// processesEnded reports whether the session's containers in p have all
// terminated: every container of a clone's pod, or the debug container.
func processesEnded(p *corev1.Pod, in Info) bool {
	statuses := p.Status.ContainerStatuses
	if in.Mode == mode.Debug {
		statuses = nil
		for _, st := range p.Status.EphemeralContainerStatuses {
			if st.Name == in.Container {
				statuses = append(statuses, st)
			}
		}
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return true
	}
	for _, st := range statuses {
		if st.State.Terminated == nil {
			return false
		}
	}
	return len(statuses) > 0
}

// End ends the session in: a clone's Job is deleted (the garbage
// collector takes its pod and NetworkPolicy copies); a debug container's
// processes are ended through exec, which ends the container.
func End(ctx context.Context, r session.Remote, in Info) error {
	switch in.Mode {
	case mode.Clone:
		opts := metav1.DeleteOptions{PropagationPolicy: new(metav1.DeletePropagationBackground)}
		if in.JobUID != "" {
			opts.Preconditions = &metav1.Preconditions{UID: &in.JobUID}
		}
		err := r.Client.BatchV1().Jobs(in.Namespace).Delete(ctx, in.Job, opts)
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting clone job %s: %w; delete it with kubectl delete job %s -n %s", in.Job, err, in.Job, in.Namespace)
		}
		return nil
	case mode.Debug:
		// The debug session is its pod's UID and the container's name: a
		// pod of the same name made since the listing is another pod.
		if in.PodObject != nil {
			p, err := r.Client.CoreV1().Pods(in.Namespace).Get(ctx, in.Pod, metav1.GetOptions{})
			if apierrors.IsNotFound(err) || err == nil && p.UID != in.PodObject.UID {
				return nil // the session's pod is gone, and the session with it
			}
		}
		err := r.Exec(ctx, session.Streams{IOStreams: genericiooptions.IOStreams{Out: io.Discard, ErrOut: io.Discard}}, in.Namespace, in.Pod, in.Container, []string{"sh", "-c", endScript})
		var ee *session.ExitError
		if err != nil && !errors.As(err, &ee) && !apierrors.IsNotFound(err) {
			return fmt.Errorf("ending debug container %s in pod %s: %w", in.Container, in.Pod, err)
		}
		return nil
	}
	return fmt.Errorf("session %s has mode %q, which end does not know; this is a bug in kubectl-eshell, please report it", in.ID, in.Mode)
}
