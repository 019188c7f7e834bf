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
// that confine the workload, puts the values of env overrides in a Secret,
// creates it, waits until the lifeline runs, holds it, execs the command,
// reports its exit code and removes the Job (and with it the rest) on every
// exit path. With DryRun it prints the Job (and the Secret, values
// redacted) instead; with ServerDryRun, after admission has judged them.
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
		Container: p.Container, Command: shell.Lifeline(p.Limits.Heartbeat(), p.Limits.MaxDuration, p.Clone.Keep), Stdin: true,
		KeepInitContainers: p.Clone.KeepInitContainers, NoSidecars: p.Clone.NoSidecars, WithPVC: p.Clone.WithPVC, KeepPriority: p.Clone.KeepPriority,
		MaxDuration: p.Limits.MaxDuration, SessionID: p.SessionID, User: user, DisplayCommand: display, Reason: p.Reason, Now: time.Now(),
		NameSuffix: p.SessionID, // the Job's name carries its session
		Overrides:  Overrides{Images: p.Clone.SetImage, Requests: p.Clone.Requests, Limits: p.Clone.Limits},
	}
	if len(p.Clone.Env) > 0 {
		opts.Overrides.EnvNames, opts.Overrides.EnvSecret = EnvNames(p.Clone.Env), EnvSecretName(p.SessionID)
	}
	pod, warnings, err := GeneratePod(src, opts)
	if err != nil {
		return err
	}
	for _, msg := range warnings {
		d.Warnf("%s", msg)
	}
	job := GenerateJob(pod, p.Limits.MaxDuration)
	var secret *corev1.Secret
	if len(p.Clone.Env) > 0 {
		secret = EnvSecret(job, p.Clone.Env)
	}
	argv := p.Argv(d)
	if p.ServerDryRun {
		// Admission (Pod Security, quotas, policies) judges the clone's pod,
		// its Job and its Secret; nothing is stored.
		dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
		if _, err := d.Remote.Client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, dry); err != nil {
			return createError(err)
		}
		if job, err = d.Remote.Client.BatchV1().Jobs(job.Namespace).Create(ctx, job, dry); err != nil {
			return createError(err)
		}
		if secret != nil {
			// Owned by the Job as the dry run made it, with the UID an
			// ownerReference must carry.
			if secret, err = d.Remote.Client.CoreV1().Secrets(job.Namespace).Create(ctx, EnvSecret(job, p.Clone.Env), dry); err != nil {
				return createError(err)
			}
		}
	}
	if p.DryRun {
		// The command is in no object: say it beside the Job, as it is
		// recorded (program and argument count unless --record-command).
		d.Infof("Would run through exec in container %s: %s", p.Container, display)
		return printDry(d, job, secret)
	}
	prepare, err := prepare(ctx, p, d, w.Template.Labels)
	if err != nil {
		return err
	}
	s := &Session{Remote: d.Remote, Streams: p.Streams(d.IO), Command: argv, Keep: p.Clone.Keep,
		StartTimeout: p.Limits.PodRunningTimeout, Heartbeat: p.Limits.Heartbeat(), Prepare: prepare, Warn: d.Warnf, Image: sessionImage(p)}
	if d.Progress != nil {
		s.Progress = d.Progress
		s.Spinner = session.IsTerminal(d.Progress)
	}
	end := d.Audit(ctx, job.Name, p.Container)
	defer func() { end(err) }()
	return s.Run(ctx, job, p.Container)
}

// sessionImage is the image --set-image gives the session's container, or
// "" when it keeps the template's.
func sessionImage(p plan.Plan) string {
	image := ""
	for _, o := range p.Clone.SetImage {
		if o.Container == "" || o.Container == p.Container {
			image = o.Image
		}
	}
	return image
}

// objectList is how --dry-run prints more than one object, as kubectl
// does: a v1 List.
type objectList struct {
	metav1.TypeMeta `json:",inline"`
	Items           []any `json:"items"`
}

// printDry prints job, or, with env overrides, job and their Secret as a
// List: the Secret with its values replaced by their lengths, so a dry run
// shows what is set and never a value.
func printDry(d plan.Deps, job *batchv1.Job, secret *corev1.Secret) error {
	if secret == nil {
		return d.Print(job)
	}
	j := job.DeepCopy()
	j.TypeMeta = metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}
	return d.Print(objectList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "List"}, Items: []any{j, Redacted(secret)}})
}

// prepare decides, before anything is created, what the clone needs beside
// its Job before its pod starts: the Secret of the env overrides, and the
// copies of the NetworkPolicies (see isolation). It refuses when the user
// may not create them; nil is nothing to prepare.
func prepare(ctx context.Context, p plan.Plan, d plan.Deps, podLabels map[string]string) (func(context.Context, *batchv1.Job) error, error) {
	c, ns := d.Remote.Client, p.Workload.Namespace
	var steps []func(context.Context, *batchv1.Job) error
	if len(p.Clone.Env) > 0 {
		if err := access.Check(ctx, c, access.EnvNeeded(ns)); err != nil {
			return nil, fmt.Errorf("--set-env and --set-env-file put their values in a Secret of the session, so that no pod or Job shows them; nothing was created: %w", named(ctx, d, err))
		}
		steps = append(steps, func(ctx context.Context, job *batchv1.Job) error {
			if _, err := c.CoreV1().Secrets(ns).Create(ctx, EnvSecret(job, p.Clone.Env), metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("creating the Secret of --set-env for the clone: %w; nothing of the session runs yet and it is removed", err)
			}
			return nil
		})
	}
	isolate, err := isolation(ctx, p, d, podLabels)
	if err != nil {
		return nil, err
	}
	if isolate != nil {
		steps = append(steps, isolate)
	}
	if len(steps) == 0 {
		return nil, nil
	}
	return func(ctx context.Context, job *batchv1.Job) error {
		for _, step := range steps {
			if err := step(ctx, job); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// named names the user in a report of missing permissions, so it can be
// forwarded to an admin as it is.
func named(ctx context.Context, d plan.Deps, err error) error {
	var me *access.MissingError
	if errors.As(err, &me) {
		me.User = d.User(ctx)
	}
	return err
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
		return nil, fmt.Errorf("reading the NetworkPolicies of namespace %q, to give the clone the isolation of %s: %w; ask for list on networkpolicies.networking.k8s.io (Role eshell-clone in deploy/rbac/ in the kubectl-eshell repository), or pass --no-network-policies to clone without it", ns, p.Workload.Ref(), err)
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
		return nil, fmt.Errorf("NetworkPolicies %s confine the pods of %s, and the clone needs copies of them to be as isolated; nothing was created: %w\n(or pass --no-network-policies to clone without them, less isolated)",
			PolicyNames(selecting), p.Workload.Ref(), named(ctx, d, err))
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
