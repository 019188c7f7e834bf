package clone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/keys"
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
	if err := d.CheckSession(ctx, p); err != nil {
		return err
	}
	// A refusal of what --custom or --run-as set names the field, whichever
	// dry run or create met it.
	defer func() { err = blame(p, err) }()
	c, err := build(ctx, p, d)
	if err != nil {
		return err
	}
	if p.DryRun {
		return dryRun(ctx, p, d, c)
	}
	s := newSession(ctx, p, d, c)
	elsewhere := &companionsElsewhere{}
	if s.Prepare, err = admitAndPrepare(ctx, p, d, s, c.job, elsewhere); err != nil {
		return err
	}
	defer func() { err = removeCompanions(ctx, p, d, elsewhere, err) }()
	return s.Run(ctx, c.job, p.Container)
}

// built is the clone a plan makes, before anything is sent: its Job, the
// Secret of its env overrides (nil: none), and what runs in it.
type built struct {
	// pod is the clone's pod as generated, which the Job wraps.
	pod    *corev1.Pod
	job    *batchv1.Job
	secret *corev1.Secret
	// argv is what runs through exec; display names it as it is recorded.
	argv    []string
	display string
	// tools is the image a static shell is copied from; "" for none.
	tools string
}

// blame names the field of --custom or --run-as that a refusal met.
func blame(p plan.Plan, err error) error {
	w := p.Workload
	var uid *int64
	for i := range w.Template.Spec.Containers {
		if c := &w.Template.Spec.Containers[i]; c.Name == p.Container {
			uid = templateUser(c, &w.Template.Spec)
		}
	}
	return p.Custom.Blame(err, uid)
}

// build makes the clone of the plan's workload: its pod from the template
// (GeneratePod), whose main process is a lifeline, wrapped in its Job, and
// the Secret of its env overrides. Warnings about what could not be carried
// over are printed; nothing is sent but the reads --with-pvc needs.
func build(ctx context.Context, p plan.Plan, d plan.Deps) (built, error) {
	w := p.Workload
	src := Source{Kind: string(w.Kind), Name: w.Name, Namespace: w.Namespace, Template: w.Template}
	if p.Clone.WithPVC {
		src.PVCAccessModes = claimModes(ctx, d.Remote.Client, w.Namespace, w.Template.Spec.Volumes)
	}
	c := built{display: audit.Describe(p.Command, p.RecordCommand), tools: toolsImage(p, d)}
	user := "unknown"
	if !p.DryRun || p.ServerDryRun {
		user = d.User(ctx)
	}
	lifeline := shell.LifelineScript(p.Timeouts.Heartbeat(), p.Timeouts.MaxDuration, p.Clone.Keep)
	if c.tools != "" {
		lifeline = shell.StaticLifelineScript(p.Timeouts.Heartbeat(), p.Timeouts.MaxDuration, p.Clone.Keep)
	}
	// The command is not part of the pod: anyone who may read pods would
	// read it there. It travels in the exec request.
	opts := Options{
		Container: p.Container, Command: lifeline, Stdin: true, ToolsImage: c.tools,
		KeepInitContainers: p.Clone.KeepInitContainers, NoSidecars: p.Clone.NoSidecars, WithPVC: p.Clone.WithPVC, KeepPriority: p.Clone.KeepPriority,
		MaxDuration: p.Timeouts.MaxDuration, SessionID: p.SessionID, User: user, DisplayCommand: c.display, Reason: p.Reason, Now: time.Now(),
		NameSuffix: p.SessionID, // the Job's name carries its session
		Overrides:  Overrides{Images: p.Clone.SetImage, Requests: p.Clone.Requests, Limits: p.Clone.Limits},
		Custom:     p.Custom,
	}
	if len(p.Clone.Env) > 0 {
		opts.Overrides.EnvNames, opts.Overrides.EnvSecret = EnvNames(p.Clone.Env), EnvSecretName(p.SessionID)
	}
	pod, warnings, err := GeneratePod(src, opts)
	if err != nil {
		return built{}, err
	}
	for _, msg := range warnings {
		d.Warnf("%s", msg)
	}
	c.pod, c.job = pod, GenerateJob(pod, p.Timeouts.MaxDuration)
	if len(p.Clone.Env) > 0 {
		c.secret = EnvSecret(c.job, p.Clone.Env)
	}
	c.argv = p.Argv(d)
	if c.tools != "" {
		c.argv = shell.Tools(c.argv, false)
	}
	return c, nil
}

// dryRun prints the clone instead of creating it: as built (--dry-run), or
// as the API server would store it after admission (--dry-run=server), which
// judges the clone's pod, its Job and its Secret and stores nothing.
func dryRun(ctx context.Context, p plan.Plan, d plan.Deps, c built) error {
	job, secret := c.job, c.secret
	if p.ServerDryRun {
		dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
		if _, err := d.Remote.Client.CoreV1().Pods(c.pod.Namespace).Create(ctx, c.pod, dry); err != nil {
			return createError(err)
		}
		var err error
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
	// The command is in no object: say it beside the Job, as it is
	// recorded (program and argument count unless --record-command).
	d.Infof("Would run through exec in container %s: %s", p.Container, c.display)
	return printDry(d, job, secret)
}

// newSession is the clone's session as the plan sets it up.
func newSession(ctx context.Context, p plan.Plan, d plan.Deps, c built) *Session {
	s := &Session{Remote: d.Remote, Streams: p.Streams(d.IO), Command: c.argv, Keep: p.Clone.Keep,
		StartTimeout: p.Timeouts.PodRunningTimeout, Heartbeat: p.Timeouts.Heartbeat(), Warn: d.Warnf, Image: sessionImage(p), Tools: c.tools}
	if d.Progress != nil {
		s.Progress = d.Progress
		s.Spinner = session.IsTerminal(d.Progress)
	}
	s.Audit = func(pod string) func(error) { return d.Audit(ctx, p, pod, p.Container) }
	return s
}

// admitAndPrepare asks, before anything is created, whether admission lets
// the clone's pod in (a server-side dry run) and what the clone needs beside
// it (see prepare). The two ask different things of the API server, so they
// go side by side; prepare's refusal is reported first.
func admitAndPrepare(ctx context.Context, p plan.Plan, d plan.Deps, s *Session, job *batchv1.Job, elsewhere *companionsElsewhere) (func(context.Context, *batchv1.Job) error, error) {
	admitted := make(chan error, 1)
	go func() { admitted <- s.Admit(ctx, job) }()
	steps, err := prepare(ctx, p, d, p.Workload.Template.Labels, elsewhere)
	if aerr := <-admitted; err == nil {
		err = aerr
	}
	return steps, err
}

// removeCompanions removes the companions made outside the clone's
// namespace, which its Job cannot own, when the session ends; a kept clone
// keeps them (end or gc remove them, see the README). It returns the
// session's error, or the removal's when the session had none.
func removeCompanions(ctx context.Context, p plan.Plan, d plan.Deps, elsewhere *companionsElsewhere, err error) error {
	if p.Clone.Keep && err == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if cerr := DeleteCompanions(cctx, d.Remote.Client, elsewhere.list()); cerr != nil && err == nil {
		return cerr
	}
	return err
}

// toolsImage is the image a static shell is copied from when the clone's
// image has none: with --static-shell, or for an image known to lack sh
// (see ShellLess), which the progress says; "" is a clone that runs the
// image's own sh.
func toolsImage(p plan.Plan, d plan.Deps) string {
	image := sessionImage(p)
	if image == "" {
		for _, c := range p.Workload.Template.Spec.Containers {
			if c.Name == p.Container {
				image = c.Image
			}
		}
	}
	switch {
	case p.Clone.StaticShell:
		return p.Image
	case ShellLess(image):
		d.Infof("The image %s has no shell: the clone runs sh and its tools from a static busybox copied out of %s (see --static-shell)", image, p.Image)
		return p.Image
	}
	return ""
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
func prepare(ctx context.Context, p plan.Plan, d plan.Deps, podLabels map[string]string, elsewhere *companionsElsewhere) (func(context.Context, *batchv1.Job) error, error) {
	c, ns := d.Remote.Client, p.Workload.Namespace
	var steps []func(context.Context, *batchv1.Job) error
	if len(p.Clone.Env) > 0 {
		if err := d.Check(ctx, access.EnvNeeded(ns)); err != nil {
			return nil, fmt.Errorf("--set-env and --set-env-file put their values in a Secret of the session, so that no pod or Job shows them; nothing was created: %w", named(ctx, d, err))
		}
		steps = append(steps, func(ctx context.Context, job *batchv1.Job) error {
			if _, err := c.CoreV1().Secrets(ns).Create(ctx, EnvSecret(job, p.Clone.Env), metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("creating the Secret of --set-env for the clone: %w; nothing of the session runs yet and it is removed", err)
			}
			return nil
		})
	}
	isolate, err := isolation(ctx, p, d, podLabels, elsewhere)
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

// companionsElsewhere are the companions a session created outside its
// namespace, for their removal at its end.
type companionsElsewhere struct {
	mu       sync.Mutex
	policies []*networkingv1.NetworkPolicy
}

func (e *companionsElsewhere) add(np *networkingv1.NetworkPolicy) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.policies = append(e.policies, np)
}

func (e *companionsElsewhere) list() []*networkingv1.NetworkPolicy {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*networkingv1.NetworkPolicy(nil), e.policies...)
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

// isolation decides, before anything is created, how the clone gets the
// network of the workload's pods, no more and no less (see ComputeParity):
// copies of the policies that select any of them, and companions wherever
// a policy admits them as peers. nil is nothing to create (no policy
// concerns the workload, or --no-network-policies). It refuses, with
// nothing created, when a policy cannot be evaluated or the user may not
// create what is needed.
func isolation(ctx context.Context, p plan.Plan, d plan.Deps, podLabels map[string]string, elsewhere *companionsElsewhere) (func(context.Context, *batchv1.Job) error, error) {
	c, ns := d.Remote.Client, p.Workload.Namespace
	policies, err := readPolicies(ctx, p, d)
	if err != nil {
		if p.Clone.NoNetworkPolicies {
			d.Warnf("could not read the NetworkPolicies of namespace %q (%v); the clone may be less isolated than %s (--no-network-policies)", ns, err, p.Workload.Ref())
			return nil, nil
		}
		return nil, err
	}
	if len(policies) == 0 {
		return nil, nil
	}
	orig := Original{Namespace: ns, TemplateLabels: podLabels, CloneLabels: sessionPodLabels(p)}
	if err := livePods(ctx, p, d, &orig); err != nil {
		if p.Clone.NoNetworkPolicies {
			d.Warnf("could not read the pods of %s (%v); the clone may be less isolated than they are (--no-network-policies)", p.Workload.Ref(), err)
			return nil, nil
		}
		return nil, fmt.Errorf("reading the pods of %s, whose labels decide which NetworkPolicies apply to the clone: %w; ask for list on pods, or pass --no-network-policies to clone without its policies", p.Workload.Ref(), err)
	}
	if n, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err == nil {
		orig.NamespaceLabels = n.Labels
	}
	parity, err := ComputeParity(orig, policies)
	if err != nil {
		if p.Clone.NoNetworkPolicies {
			d.Warnf("%v; the clone may be less isolated than %s (--no-network-policies)", err, p.Workload.Ref())
			return nil, nil
		}
		return nil, fmt.Errorf("eshell cannot tell the network of the pods of %s, so it cannot give the clone the same: %w; nothing was created (or pass --no-network-policies to clone without NetworkPolicies, less isolated)", p.Workload.Ref(), err)
	}
	if len(parity.Governing)+len(parity.Companions) == 0 {
		return nil, nil
	}
	if p.Clone.NoNetworkPolicies {
		if len(parity.Governing) > 0 {
			d.Warnf("NetworkPolicies %s confine the pods of %s, but not this clone (--no-network-policies): it may reach and be reached where they may not", PolicyNames(parity.Governing), p.Workload.Ref())
		}
		return nil, nil
	}
	if err := d.Check(ctx, isolationNeeded(ns, parity)); err != nil {
		return nil, isolationRefused(ctx, p, d, parity, err)
	}
	return func(ctx context.Context, job *batchv1.Job) error {
		for _, np := range PolicyCopies(parity.Governing, job) {
			if _, err := c.NetworkingV1().NetworkPolicies(ns).Create(ctx, np, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("copying NetworkPolicy %s for the clone: %w; nothing of the session runs yet and it is removed", np.Annotations[keys.SourceAnnotation], err)
			}
		}
		if len(parity.Governing) > 0 {
			d.Infof("Copied NetworkPolicies %s to the clone", PolicyNames(parity.Governing))
		}
		for _, np := range CompanionPolicies(parity.Companions, job) {
			if np.Namespace != ns {
				// Registered before the request, as the Job is: a create
				// whose response was lost still made a policy.
				elsewhere.add(np)
			}
			if _, err := c.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("admitting the clone where NetworkPolicy %s admits %s: %w; nothing of the session runs yet and it is removed", np.Annotations[keys.SourceAnnotation], p.Workload.Ref(), err)
			}
		}
		if len(parity.Companions) > 0 {
			d.Infof("Admitted the clone where %s admit %s", companionList(parity.Companions), p.Workload.Ref())
		}
		return nil
	}, nil
}

// readPolicies reads the NetworkPolicies that may concern the workload:
// those of every namespace when the user may list them cluster-wide (a
// policy of another namespace may admit the workload's pods as peers),
// else those of its namespace, with a warning when that namespace has any
// (the clone may then be refused where the original is admitted, never
// admitted where it is not).
func readPolicies(ctx context.Context, p plan.Plan, d plan.Deps) ([]networkingv1.NetworkPolicy, error) {
	c, ns := d.Remote.Client, p.Workload.Namespace
	if all, err := c.NetworkingV1().NetworkPolicies(metav1.NamespaceAll).List(ctx, metav1.ListOptions{}); err == nil {
		return all.Items, nil
	}
	list, err := c.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading the NetworkPolicies of namespace %q, to give the clone the isolation of %s: %w; ask for list on networkpolicies.networking.k8s.io (Role eshell-clone in deploy/rbac/ in the kubectl-eshell repository), or pass --no-network-policies to clone without it", ns, p.Workload.Ref(), err)
	}
	if len(list.Items) > 0 && !p.Clone.NoNetworkPolicies {
		d.Warnf("could not list NetworkPolicies in all namespaces; policies of other namespaces that admit %s are not given to the clone, which may be refused there (ask for list on networkpolicies.networking.k8s.io cluster-wide)", p.Workload.Ref())
	}
	return list.Items, nil
}

// livePods adds the labels of the workload's existing pods to orig (its
// clones and pods that are done left out): policies match them, including
// labels that controllers add and the template does not show.
func livePods(ctx context.Context, p plan.Plan, d plan.Deps, orig *Original) error {
	w := p.Workload
	if w.Pod != nil {
		orig.LivePods = append(orig.LivePods, w.Pod.Labels)
		return nil
	}
	if w.Selector == nil {
		return nil
	}
	pods, err := d.Remote.Client.CoreV1().Pods(w.Namespace).List(ctx, metav1.ListOptions{LabelSelector: w.Selector.String()})
	if err != nil {
		return err
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if IsClone(pod) || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		if w.Owner != "" && !ownedBy(pod, w.Owner) {
			continue
		}
		orig.LivePods = append(orig.LivePods, pod.Labels)
	}
	return nil
}

func ownedBy(pod *corev1.Pod, uid types.UID) bool {
	for _, o := range pod.OwnerReferences {
		if o.UID == uid {
			return true
		}
	}
	return false
}

// sessionPodLabels are the labels every clone pod of the session carries
// (see GeneratePod), for telling whether a peer selector already admits it.
func sessionPodLabels(p plan.Plan) map[string]string {
	return map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: p.SessionID}
}

// isolationNeeded is what creating the copies and companions takes.
func isolationNeeded(ns string, parity Parity) []access.Permission {
	var perms []access.Permission
	if len(parity.Governing) > 0 {
		perms = append(perms, access.IsolationNeeded(ns)...)
	}
	for _, other := range CompanionNamespaces(parity.Companions) {
		if other == ns {
			perms = append(perms, access.IsolationNeeded(ns)...)
			continue
		}
		perms = append(perms, access.CompanionNeeded(other, false)...)
	}
	return perms
}

// isolationRefused says what the clone could not be given: the policies
// that confine the workload, and where it would not be admitted as the
// workload is.
func isolationRefused(ctx context.Context, p plan.Plan, d plan.Deps, parity Parity, err error) error {
	var what []string
	if len(parity.Governing) > 0 {
		what = append(what, fmt.Sprintf("NetworkPolicies %s confine the pods of %s, and the clone needs copies of them to be as isolated", PolicyNames(parity.Governing), p.Workload.Ref()))
	}
	if len(parity.Companions) > 0 {
		what = append(what, fmt.Sprintf("%s admit the pods of %s as peers, and the clone needs a companion policy beside each (in namespaces %s) to reach and be reached alike",
			companionList(parity.Companions), p.Workload.Ref(), strings.Join(CompanionNamespaces(parity.Companions), ", ")))
	}
	return fmt.Errorf("%s; nothing was created: %w\n(or pass --no-network-policies to clone without them, less isolated)", strings.Join(what, "; "), named(ctx, d, err))
}

func companionList(companions []Companion) string {
	var names []string
	for _, ns := range CompanionNamespaces(companions) {
		names = append(names, CompanionSources(companions, ns))
	}
	return "NetworkPolicies " + strings.Join(names, ", ")
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
