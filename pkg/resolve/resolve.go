// Package resolve turns a command line into a plan.Plan: Flags.Request
// parses and checks what needs no cluster, then Resolver.Resolve asks the
// cluster (and, on a terminal, the user) for the rest.
package resolve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/fanout"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/preset"
	"github.com/sberz/kubectl-eshell/pkg/reason"
	"github.com/sberz/kubectl-eshell/pkg/shell"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// Request is what the command line says, before the cluster is asked.
type Request struct {
	// Base carries what resolution passes through (limits, streams, the
	// flags of the modes, dry-run) and the namespace, container, mode,
	// command and debug image as flags and the config file give them.
	Base plan.Plan
	// ModeGiven and ImageGiven: --mode and --image were given, so a
	// preset's mode and debug image do not apply.
	ModeGiven, ImageGiven bool
	// Target is the workload to open the shell next to, from the argument
	// (TYPE/NAME or NAME) or --service, parsed once; its Name is "" when
	// none was given.
	Target target.Ref
	// Workload is --service next to a svc/NAME target: which of the
	// workloads behind the Service; its Name is "" when not given.
	Workload target.Ref
	// Pod is --pod.
	Pod string
	// Env is --env; EnvLabel the namespace label of environments
	// (--env-label, else the config file's), checked.
	Env, EnvLabel string
	// AllEnvs is --all-envs: the picker shows the environments that fail
	// a status check too.
	AllEnvs bool
	// EnvStatus is --env-status (else the config's envStatus): the
	// picker shows the environments that match it, in place of hiding
	// failing ones.
	EnvStatus picker.StatusFilter
	// Args is the command line as typed, after the program's name; it
	// becomes the command that opens a clone instead.
	Args []string
	// NamespaceGiven: -n was given, so no environment is asked for.
	NamespaceGiven bool
	// Preset is --preset; ConfigPreset the config file's.
	Preset, ConfigPreset string
	// AskReason, when not nil, is the reason policy of a session that
	// needs a reason and has none yet: the caller asks on the terminal
	// after resolution, before anything is created.
	AskReason *reason.Policy
}

// Resolver settles a Request against the cluster, asking through Chooser
// what the request leaves open.
type Resolver struct {
	Clients target.Clients
	// Mapper knows the server's names of types (from discovery); nil knows
	// kubectl's usual ones.
	Mapper  meta.RESTMapper
	Chooser *picker.Chooser
	// Info receives notes (the defaulted container, the preset used); nil
	// when --quiet.
	Info io.Writer
	// Warn receives warnings.
	Warn io.Writer
	// Presets loads the preset registry.
	Presets func() (*preset.Registry, error)
	// Now is the clock for the environments' ages; nil is time.Now.
	Now func() time.Time
}

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Resolver) infof(format string, args ...any) {
	if r.Info != nil {
		fmt.Fprintf(r.Info, format+"\n", args...)
	}
}

// Resolve finds the workload (from TYPE/NAME, --service or --pod, in the
// namespace of -n, --env or the kubeconfig; or by asking for environment,
// service and container), applies the preset, and then chooses the pod
// (exec, debug) and the container. The result is complete: engines ask no
// more questions.
func (r *Resolver) Resolve(ctx context.Context, req Request) (plan.Plan, error) {
	p := req.Base
	if p.FanOut.On() {
		// Refused before any question or round trip: clone mode has one
		// new pod, nothing to fan out over.
		if err := p.CheckFlags(); err != nil {
			return plan.Plan{}, err
		}
	}
	ref := req.Target
	label := req.EnvLabel
	switch {
	case req.Env != "":
		lctx, cancel := context.WithTimeout(ctx, picker.ListTimeout)
		env, err := picker.FindEnvironment(lctx, r.Clients.Typed, label, req.Env)
		cancel()
		if err != nil {
			return plan.Plan{}, err
		}
		if req.NamespaceGiven && env.Namespace != p.Namespace {
			return plan.Plan{}, fmt.Errorf("--env %s is namespace %q, but -n says %q: give one of them", req.Env, env.Namespace, p.Namespace)
		}
		r.warnFailing(env)
		p.Namespace = env.Namespace
	case !req.NamespaceGiven && ref.Name == "" && req.Pod == "":
		ns, err := r.pickEnvironment(ctx, label, p.Namespace, req.AllEnvs, req.EnvStatus)
		if err != nil {
			return plan.Plan{}, err
		}
		p.Namespace = ns
	}

	if p.FanOut.On() && ref.Name == "" && req.Pod == "" {
		return r.fanOut(ctx, p, nil)
	}
	picked := false
	if ref.Name == "" && req.Pod != "" {
		ref = target.Ref{Kind: target.KindPod, Name: req.Pod}
	}
	if ref.Name == "" {
		var err error
		if ref, err = r.pickWorkload(ctx, p.Namespace); err != nil {
			return plan.Plan{}, err
		}
		picked = true
	}
	var (
		w      *target.Workload
		behind *target.Behind // what a svc/NAME target leads to
		err    error
	)
	if ref.Kind == target.KindService {
		w, behind, err = r.behindService(ctx, p.Namespace, ref.Name, req.Workload)
	} else {
		w, err = target.Resolve(ctx, r.Clients, p.Namespace, ref)
	}
	if err != nil {
		return plan.Plan{}, r.notFound(ctx, p.Namespace, err)
	}
	p.Workload = w
	if behind != nil {
		p.Service = behind.Service
	}
	// The container is asked only for a service chosen here: with an
	// explicit target it defaults as it always has (annotation, else first).
	if picked && p.Container == "" && r.Chooser.Prompter != nil {
		if p.Container, err = r.pickContainer(w); err != nil {
			return plan.Plan{}, err
		}
	}
	if err := r.applyPreset(&p, req, w); err != nil {
		return plan.Plan{}, err
	}

	switch p.Mode {
	case mode.Exec, mode.Debug:
		// An unknown -c is rejected before a pod is chosen and named.
		if p.Container != "" {
			if _, _, err := target.Container(w.Template.ObjectMeta, w.Template.Spec, p.Container); err != nil {
				return plan.Plan{}, err
			}
		}
		if p.FanOut.On() {
			return r.fanOutOf(ctx, p, w, behind, req.Pod)
		}
		if p.Pod, err = r.pickPod(ctx, w, behind, req.Pod, p.Namespace, p.Mode); err != nil {
			var none *target.NoRunningPodError
			if errors.As(err, &none) {
				return r.offerClone(p, req, none)
			}
			return plan.Plan{}, err
		}
		return r.withContainer(p, p.Pod.ObjectMeta, p.Pod.Spec)
	}
	return r.withContainer(p, w.Template.ObjectMeta, w.Template.Spec)
}

// behindService resolves Service name to the workload behind it: the only
// one, the one --service (choice) names, or the one asked for on a
// terminal. It says where the Service led.
func (r *Resolver) behindService(ctx context.Context, ns, name string, choice target.Ref) (*target.Workload, *target.Behind, error) {
	b, err := target.ResolveService(ctx, r.Clients, ns, name)
	if err != nil {
		return nil, nil, err
	}
	var i int
	if choice.Name != "" {
		i, err = b.Find(choice)
	} else {
		i, err = r.Chooser.Choose(picker.Choice{
			What:    "workload",
			Message: fmt.Sprintf("Service %s selects pods of %d workloads. Which one?", name, len(b.Workloads)),
			Flag:    "--service TYPE/NAME (next to svc/" + name + ")",
			Where:   fmt.Sprintf("behind service %q", name),
			Rows:    picker.BehindRows(b),
		})
	}
	if err != nil {
		return nil, nil, err
	}
	w := b.Workloads[i]
	r.infof("%s", b.Arrow(w))
	return w, b, nil
}

// NamespaceNotFoundError is a namespace that does not exist. It says more
// than what the lookup in it reported: "no deployment web in namespace
// shpo", or, for a user whose Roles live in namespaces, a Forbidden.
type NamespaceNotFoundError struct{ Namespace string }

func (e *NamespaceNotFoundError) Error() string {
	return fmt.Sprintf("namespace %q does not exist: check -n or --env (list them with: kubectl get namespaces)", e.Namespace)
}

// notFound tells a namespace that does not exist from a workload missing
// in it (or one the user may not read). Whether the namespace exists is
// asked only then, and only a definite answer changes the message.
func (r *Resolver) notFound(ctx context.Context, ns string, err error) error {
	var nf *target.NotFoundError
	if !errors.As(err, &nf) && !apierrors.IsForbidden(err) {
		return err
	}
	if _, nerr := r.Clients.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(nerr) {
		return &NamespaceNotFoundError{Namespace: ns}
	}
	return err
}

// withContainer settles the container among those of spec, saying which
// was defaulted. A native sidecar (an init container that keeps running)
// is a container exec can open a shell in, but clone copies and debug
// targets only the main containers: it is refused here, once, in words
// that do not contradict the list of containers -c accepts.
func (r *Resolver) withContainer(p plan.Plan, m metav1.ObjectMeta, spec corev1.PodSpec) (plan.Plan, error) {
	c, note, err := target.Container(m, spec, p.Container)
	if err != nil {
		return plan.Plan{}, err
	}
	if p.Mode != mode.Exec && !slices.ContainsFunc(spec.Containers, func(x corev1.Container) bool { return x.Name == c }) {
		var main []string
		for _, x := range spec.Containers {
			main = append(main, x.Name)
		}
		return plan.Plan{}, fmt.Errorf("container %q is a native sidecar, and --mode %s works next to the main containers only: pass -c with one of %s, or use --mode exec for a shell in the sidecar",
			c, p.Mode, strings.Join(main, ", "))
	}
	if note != "" {
		r.infof("%s", note)
	}
	p.Container = c
	return p, nil
}

// fanOutOf settles the targets of a fan-out next to workload w: every pod
// of it that -l matches, or with --all-pods every pod; else (only
// --all-containers) the one pod exec or debug would take.
func (r *Resolver) fanOutOf(ctx context.Context, p plan.Plan, w *target.Workload, b *target.Behind, podName string) (plan.Plan, error) {
	f := p.FanOut
	switch {
	case podName != "" && (f.Selector != "" || f.AllPods):
		return plan.Plan{}, fmt.Errorf("--pod names one pod, and %s selects many: drop one of them", f.Flag())
	case w.Pod != nil && f.Selector != "":
		return plan.Plan{}, fmt.Errorf("-l selects pods, and %s names one: drop one of them (-l alone selects among the pods of the namespace)", w.Ref())
	case w.Pod == nil && (f.Selector != "" || f.AllPods):
		return r.fanOut(ctx, p, w)
	}
	pod, err := r.pickPod(ctx, w, b, podName, p.Namespace, p.Mode)
	if err != nil {
		return plan.Plan{}, err
	}
	return r.settleFanOut(p, []corev1.Pod{*pod}, w.Ref().String())
}

// fanOut lists the pods of w (nil: of the namespace) that -l matches, and
// settles the targets among them. Pods eshell made (clones) are left out,
// as the picker leaves them out.
func (r *Resolver) fanOut(ctx context.Context, p plan.Plan, w *target.Workload) (plan.Plan, error) {
	f := p.FanOut
	sel, err := labels.Parse(f.Selector)
	if err != nil {
		return plan.Plan{}, fmt.Errorf("-l %q is not a label selector (%w): write it as kubectl get -l does, e.g. -l app=web,tier!=cache", f.Selector, err)
	}
	where := fmt.Sprintf("namespace %q", p.Namespace)
	if w == nil {
		if f.Selector == "" {
			return plan.Plan{}, fmt.Errorf("%s needs a workload: give TYPE/NAME (e.g. deploy/web %s), or -l SELECTOR for the matching pods of the namespace", f.Flag(), f.Flag())
		}
	} else {
		reqs, _ := sel.Requirements()
		sel = w.Selector.Add(reqs...)
		where = w.Ref().String()
	}
	l, err := r.Clients.Typed.CoreV1().Pods(p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return plan.Plan{}, fmt.Errorf("listing the pods of %s: %w", where, err)
	}
	pods := slices.DeleteFunc(l.Items, func(pod corev1.Pod) bool {
		return pod.Labels[keys.ManagedByLabel] == keys.ManagedByValue ||
			w != nil && w.Owner != "" && !slices.ContainsFunc(pod.OwnerReferences, func(o metav1.OwnerReference) bool { return o.UID == w.Owner })
	})
	if len(pods) == 0 {
		if f.Selector != "" {
			return plan.Plan{}, fmt.Errorf("no pod of %s matches -l %s: check the labels (kubectl get pods -n %s --show-labels)", where, f.Selector, p.Namespace)
		}
		return plan.Plan{}, fmt.Errorf("%s has no pods (scaled to zero?)", where)
	}
	return r.settleFanOut(p, pods, where)
}

// settleFanOut turns pods into the plan's targets: the running ones, in
// the container -c (or the default) names, or every container with
// --all-containers. The pods skipped, and why, are said now and again in
// the summary.
func (r *Resolver) settleFanOut(p plan.Plan, pods []corev1.Pod, where string) (plan.Plan, error) {
	f := &p.FanOut
	f.Targets, f.Skipped = fanout.Select(pods, f.AllContainers, func(pod *corev1.Pod) (string, error) {
		c, _, err := target.Container(pod.ObjectMeta, pod.Spec, p.Container)
		return c, err
	})
	if len(f.Targets) == 0 {
		return plan.Plan{}, fmt.Errorf("no pod of %s can run the command: skipped %s; wait until they run, or check -c", where, fanout.SkippedList(f.Skipped))
	}
	n := map[string]bool{}
	for _, t := range f.Targets {
		n[t.Pod.Name] = true
	}
	what := fmt.Sprintf("%d pods", len(n))
	if len(n) != len(f.Targets) {
		what = fmt.Sprintf("%d containers of %d pods", len(f.Targets), len(n))
	}
	r.infof("Running in %s of %s, at most %d at a time", what, escape.Line(where), f.MaxParallel)
	if len(f.Skipped) > 0 {
		r.infof("Skipped %s", fanout.SkippedList(f.Skipped))
	}
	return p, nil
}

// pickPod chooses the running pod to exec or debug into: --pod, else the
// newest running and ready pod of the workload (debug: ready ones first,
// but an unready one will do: debugging it is often the point). Reached
// through a Service, a pod behind its ready endpoints comes first: that is
// the one answering the Service's traffic.
func (r *Resolver) pickPod(ctx context.Context, w *target.Workload, b *target.Behind, name, ns string, m mode.Mode) (*corev1.Pod, error) {
	if name != "" {
		p, err := r.Clients.Typed.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		w = &target.Workload{Kind: target.KindPod, Name: p.Name, Namespace: p.Namespace, Pod: p}
	}
	pods, err := target.RunningPods(ctx, r.Clients.Typed, w, m != mode.Debug)
	if err != nil {
		return nil, err
	}
	if name == "" && b != nil {
		if serving := slices.DeleteFunc(slices.Clone(pods), func(p corev1.Pod) bool { return !b.Serving[p.Name] }); len(serving) > 0 {
			if w.Kind != target.KindPod {
				r.infof("Using pod %s (newest of %d running behind service %s)", serving[0].Name, len(serving), b.Service)
			}
			return &serving[0], nil
		}
	}
	if w.Kind != target.KindPod {
		r.infof("Using pod %s (newest of %d running)", pods[0].Name, len(pods))
	}
	return &pods[0], nil
}

// applyPreset settles command, mode and debug image by the precedence of
// presets (see preset.Choose); --mode and --image still win.
func (r *Resolver) applyPreset(p *plan.Plan, req Request, w *target.Workload) error {
	if len(p.Command) > 0 && req.Preset == "" {
		return nil // nothing of a preset would apply
	}
	reg, err := r.Presets()
	if err != nil {
		return err
	}
	var own map[string]string
	if w.Object != nil {
		if m, err := meta.Accessor(w.Object); err == nil {
			own = m.GetAnnotations()
		}
	}
	c, err := preset.Choose(reg, preset.Inputs{
		UserCommand: p.Command, Flag: req.Preset, Workload: w.Ref().String(),
		Annotations: preset.WorkloadAnnotations(own, w.Template.Annotations), Config: req.ConfigPreset,
	})
	if err != nil {
		return err
	}
	if c.Note != "" {
		r.infof("%s", c.Note)
	}
	if c.Command != nil {
		p.Command = c.Command
	}
	if c.Mode != "" && !req.ModeGiven {
		p.Mode = c.Mode
	}
	if c.DebugImage != "" && !req.ImageGiven {
		p.Image = c.DebugImage
	}
	return nil
}

// pickEnvironment returns the namespace of the environment chosen among
// the labelled namespaces, or, when there are none, among all namespaces
// (on a terminal; without one the kubeconfig's namespace stays, as in
// kubectl). A user who may not list namespaces keeps current. Environments
// that fail a status check, or with filter those that do not match it, are
// hidden unless all is set: a last option shows them, and without a
// terminal the list says how many are hidden. A filter that hides every
// environment is an error that says how to see them.
func (r *Resolver) pickEnvironment(ctx context.Context, label, current string, all bool, filter picker.StatusFilter) (string, error) {
	lctx, cancel := context.WithTimeout(ctx, picker.ListTimeout)
	defer cancel()
	envs, err := picker.ListEnvironments(lctx, r.Clients.Typed, label, current)
	if err != nil {
		return "", err
	}
	if envs.Forbidden || (!envs.Labelled && r.Chooser.Prompter == nil) {
		return current, nil
	}
	shown := envs.ShowFiltered(all, filter)
	if len(shown.List) == 0 && shown.Hidden > 0 {
		return "", fmt.Errorf("no environment matches --env-status %s: it hides all %d (%s); pass --all-envs to list them all, or another --env-status",
			shown.Filter, shown.Hidden, strings.Join(envs.Names(), ", "))
	}
	c := picker.Choice{
		What:    "environment",
		Message: "Which environment?",
		Flag:    "--env NAME (or -n NAMESPACE)",
		Where:   "(namespaces labelled " + label + ")",
	}
	if !envs.Labelled {
		c.What, c.Message, c.Flag, c.Where = "namespace", "Which namespace? (none is labelled "+label+")", "-n NAMESPACE", ""
	}
	switch n := shown.Hidden; {
	case n > 0 && shown.Filter != nil:
		c.More = fmt.Sprintf("(show %s)", unmatchedEnvs(n, shown.Filter))
		c.Note = fmt.Sprintf("Hidden: %s (--all-envs lists them all).", unmatchedEnvs(n, shown.Filter))
	case n > 0:
		c.More = fmt.Sprintf("(show %s)", failingEnvs(n, "hidden "))
		c.Note = fmt.Sprintf("Hidden: %s (--all-envs lists failing ones too).", failingEnvs(n, ""))
	case shown.AllFailing && len(shown.List) > 1:
		c.Message = "Which environment? Every one fails a status check."
		c.Note = "Every environment fails a status check, so all are listed."
	}
	ask := func() (int, error) {
		c.Rows, c.Default = shown.Rows(r.now()), shown.Default()
		c.Auto = func(i int) string { return "Using " + shown.List[i].Label() }
		return r.Chooser.Choose(c)
	}
	i, err := ask()
	if err == nil && i == len(shown.List) { // the last option: show them all
		shown = envs.Show(true)
		c.More, c.Message = "", "Which environment? (failing ones included)"
		if shown.Filter != nil {
			c.Message = "Which environment? (all of them)"
		}
		i, err = ask()
	}
	if err != nil {
		return "", err
	}
	r.warnFailing(shown.List[i])
	return shown.List[i].Namespace, nil
}

// unmatchedEnvs counts the environments a filter hides: "2 environments
// not matching --env-status deployed".
func unmatchedEnvs(n int, f picker.StatusFilter) string {
	if n == 1 {
		return "1 environment not matching --env-status " + f.String()
	}
	return fmt.Sprintf("%d environments not matching --env-status %s", n, f)
}

// failingEnvs counts failing environments: "1 hidden failing environment".
func failingEnvs(n int, adj string) string {
	if n == 1 {
		return "1 " + adj + "failing environment"
	}
	return fmt.Sprintf("%d %sfailing environments", n, adj)
}

// warnFailing warns that the chosen environment fails status checks,
// naming them: a shell there may meet a half-deployed service.
func (r *Resolver) warnFailing(env picker.Environment) {
	if f := env.Failing(); len(f) > 0 {
		fmt.Fprintf(r.Warn, "warning: %s fails its status checks: %s\n", env.Label(), strings.Join(f, ", "))
	}
}

// offerClone answers a workload with no pod to exec or debug into: on a
// terminal it asks to open a clone instead, which then resolves like any
// clone plan; without one, or on no, the error gives the command that
// would. A clone that would be refused (a flag of the mode asked for) is
// not offered.
func (r *Resolver) offerClone(p plan.Plan, req Request, none *target.NoRunningPodError) (plan.Plan, error) {
	c := p
	c.Mode, c.Pod = mode.Clone, nil
	if err := c.Validate(); err != nil {
		return plan.Plan{}, fmt.Errorf("%w (a clone would not do either: %w)", none, err)
	}
	args := req.Args
	if len(args) == 0 {
		args = []string{p.Workload.Ref().String(), "-n", p.Namespace}
	}
	none.CloneCommand = "kubectl eshell " + shell.Quote(CloneArgs(args))
	if r.Chooser.Prompter == nil {
		return plan.Plan{}, none
	}
	yes, err := r.Chooser.Confirm(none.Summary()+". Open a clone instead?", true)
	if err != nil {
		return plan.Plan{}, err
	}
	if !yes {
		return plan.Plan{}, none
	}
	return r.withContainer(c, p.Workload.Template.ObjectMeta, p.Workload.Template.Spec)
}

// CloneArgs is the command line args with --mode clone in place of its
// mode, before any "--" and the command after it.
func CloneArgs(args []string) []string {
	flags, rest := args, []string(nil)
	if i := slices.Index(args, "--"); i >= 0 {
		flags, rest = args[:i], args[i:]
	}
	var out []string
	for i := 0; i < len(flags); i++ {
		switch a := flags[i]; {
		case a == "--mode":
			i++ // and its value
		case strings.HasPrefix(a, "--mode="):
		default:
			out = append(out, a)
		}
	}
	return append(append(out, "--mode", string(mode.Clone)), rest...)
}

// pickWorkload returns the workload chosen in ns.
func (r *Resolver) pickWorkload(ctx context.Context, ns string) (target.Ref, error) {
	l := picker.ListWorkloads(ctx, r.Clients.Typed, ns, picker.ListTimeout)
	if len(l.Failed) > 0 {
		fmt.Fprintf(r.Warn, "warning: could not list %s in namespace %q\n", l.FailedKinds(), ns)
	}
	if len(l.Workloads) == 0 {
		switch {
		case len(l.Failed) > 0:
			return target.Ref{}, fmt.Errorf("could not list the workloads of namespace %q; pass TYPE/NAME (e.g. deploy/web)", ns)
		case len(l.Forbidden) == len(picker.WorkloadKinds):
			return target.Ref{}, fmt.Errorf("you may not list the workloads of namespace %q; pass TYPE/NAME (e.g. deploy/web), or -n/--env for another namespace", ns)
		}
		return target.Ref{}, fmt.Errorf("namespace %q has no Deployment, StatefulSet, DaemonSet, CronJob, Job or bare Pod to open a shell next to; pass -n NAMESPACE or --env NAME for another namespace", ns)
	}
	i, err := r.Chooser.Choose(picker.Choice{
		What:    "service",
		Message: fmt.Sprintf("Which service in namespace %s?", ns),
		Flag:    "TYPE/NAME or --service TYPE/NAME",
		Where:   fmt.Sprintf("in namespace %q", ns),
		Rows:    picker.WorkloadRows(l.Workloads),
		Auto:    func(i int) string { return "Using service " + l.Workloads[i].Ref().String() },
	})
	if err != nil {
		return target.Ref{}, err
	}
	return l.Workloads[i].Ref(), nil
}

// pickContainer asks for the container when the template has more than one.
func (r *Resolver) pickContainer(w *target.Workload) (string, error) {
	cs := picker.Containers(w.Template)
	if len(cs) < 2 {
		return "", nil
	}
	i, err := r.Chooser.Choose(picker.Choice{
		What:    "container",
		Message: fmt.Sprintf("Which container of %s?", w.Ref()),
		Flag:    "-c CONTAINER",
		Where:   "of " + w.Ref().String(),
		Rows:    picker.ContainerRows(cs),
	})
	if err != nil {
		return "", err
	}
	return cs[i].Name, nil
}
