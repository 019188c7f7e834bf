package clone

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Run is the clone engine: it builds the clone of the plan's workload as
// a Job whose pod's main process is a lifeline, copies the NetworkPolicies
// that confine the workload, creates it, waits until the lifeline runs,
// holds it, execs the command, reports its exit code and removes the Job on
// every exit path. With DryRun it prints the Job instead (with ServerDryRun,
// after admission has judged it).
func Run(ctx context.Context, p plan.Plan, d plan.Deps) (err error) {
	w := p.Workload
	src := Source{Kind: string(w.Kind), Name: w.Name, Namespace: w.Namespace, Template: w.Template}
	if p.Clone.WithPVC {
		src.PVCAccessModes = claimModes(ctx, d.Remote.Client, w.Namespace, w.Template.Spec.Volumes)
	}
	display := audit.Describe(p.Command, p.RecordCommand)
	user := "unknown"
	if !p.DryRun || p.ServerDryRun {
		user = d.User(ctx)
	}
	// The command is not part of the pod: anyone who may read pods would
	// read it there. It travels in the exec request.
	opts := Options{
		Container: p.Container, Command: shell.Lifeline(p.Limits.PodRunningTimeout, p.Limits.MaxDuration, p.Clone.Keep), Stdin: true,
		KeepInitContainers: p.Clone.KeepInitContainers, NoSidecars: p.Clone.NoSidecars, WithPVC: p.Clone.WithPVC,
		MaxDuration: p.Limits.MaxDuration, SessionID: p.SessionID, User: user, DisplayCommand: display, Now: time.Now(),
		NameSuffix: p.SessionID, // the Job's name carries its session
	}
	pod, warnings, err := GeneratePod(src, opts)
	if err != nil {
		return err
	}
	for _, msg := range warnings {
		d.Warnf("%s", msg)
	}
	job := GenerateJob(pod, p.Limits.MaxDuration)
	argv := p.Command
	if len(argv) == 0 {
		argv = shell.Detect()
	}
	if p.ServerDryRun {
		// Admission (Pod Security, quotas, policies) judges the clone's pod
		// and its Job; nothing is stored.
		dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
		if _, err := d.Remote.Client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, dry); err != nil {
			return createError(err)
		}
		if job, err = d.Remote.Client.BatchV1().Jobs(job.Namespace).Create(ctx, job, dry); err != nil {
			return createError(err)
		}
	}
	if p.DryRun {
		// The command is in no object: say it beside the Job, as it is
		// recorded (program and argument count unless --record-command).
		d.Infof("Would run through exec in container %s: %s", p.Container, display)
		return d.Print(job)
	}
	isolate, err := isolation(ctx, p, d, w.Template.Labels)
	if err != nil {
		return err
	}
	s := &Session{Remote: d.Remote, Streams: p.Streams(d.IO), Command: argv, Keep: p.Clone.Keep,
		StartTimeout: p.Limits.PodRunningTimeout, Isolate: isolate}
	if d.Progress != nil {
		s.Progress = d.Progress
		s.Spinner = session.IsTerminal(d.Progress)
	}
	end := d.Audit(ctx, job.Name, p.Container)
	defer func() { end(err) }()
	return s.Run(ctx, job, p.Container)
}

// isolation decides, before anything is created, how the clone keeps the
// network isolation of the workload's pods: nil when no NetworkPolicy
// selects them (or --no-network-policies), else what creates the copies.
// It refuses when copies are needed and the user may not make them.
func isolation(ctx context.Context, p plan.Plan, d plan.Deps, podLabels map[string]string) (func(context.Context, *batchv1.Job) error, error) {
	c, ns := d.Remote.Client, p.Workload.Namespace
	list, err := c.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		if p.Clone.NoNetworkPolicies {
			d.Warnf("could not read the NetworkPolicies of namespace %q (%v); the clone may be less isolated than %s (--no-network-policies)", ns, err, p.Workload.Ref())
			return nil, nil
		}
		return nil, fmt.Errorf("reading the NetworkPolicies of namespace %q, to give the clone the isolation of %s: %w; ask for list on networkpolicies.networking.k8s.io (deploy/rbac/eshell-clone.yaml), or pass --no-network-policies to clone without it", ns, p.Workload.Ref(), err)
	}
	selecting := Selecting(list.Items, podLabels)
	if len(selecting) == 0 {
		return nil, nil
	}
	if p.Clone.NoNetworkPolicies {
		d.Warnf("NetworkPolicies %s confine the pods of %s, but not this clone (--no-network-policies): it may reach and be reached where they may not", PolicyNames(selecting), p.Workload.Ref())
		return nil, nil
	}
	if err := access.Check(ctx, c, access.IsolationNeeded(ns)); err != nil {
		var me *access.MissingError
		if errors.As(err, &me) {
			me.User = d.User(ctx) // so the message can be forwarded to an admin as it is
		}
		return nil, fmt.Errorf("NetworkPolicies %s confine the pods of %s, and the clone needs copies of them to be as isolated; nothing was created: %w\n(or pass --no-network-policies to clone without them, less isolated)",
			PolicyNames(selecting), p.Workload.Ref(), err)
	}
	return func(ctx context.Context, job *batchv1.Job) error {
		for _, np := range PolicyCopies(selecting, job) {
			if _, err := c.NetworkingV1().NetworkPolicies(ns).Create(ctx, np, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("copying NetworkPolicy %s for the clone: %w; nothing of the session runs yet and it is removed", np.Annotations[meta.SourceAnnotation], err)
			}
		}
		d.Infof("Copied NetworkPolicies %s to the clone", PolicyNames(selecting))
		return nil
	}, nil
}

// claimModes reads the access modes of the claims among volumes, so
// --with-pvc never mounts a ReadWriteOnce volume that would block or be
// stolen. A claim that cannot be read is left out: the builder then mounts
// it read-only with a warning.
func claimModes(ctx context.Context, c kubernetes.Interface, ns string, volumes []corev1.Volume) map[string][]corev1.PersistentVolumeAccessMode {
	out := map[string][]corev1.PersistentVolumeAccessMode{}
	for _, v := range volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		claim, err := c.CoreV1().PersistentVolumeClaims(ns).Get(ctx, v.PersistentVolumeClaim.ClaimName, metav1.GetOptions{})
		if err != nil {
			continue
		}
		out[claim.Name] = claim.Spec.AccessModes
	}
	return out
}
