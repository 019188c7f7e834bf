package debug

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Run is the debug engine. It reads as kubectl debug does, in steps that
// each return what the next one needs and change nothing else: reusable
// (the user's still-running debug container, when asked to attach to it),
// container (the Builder of this session's container, everything but the
// profile settled), then Session.Add (the API server admits the first
// profile it will take: the requested one, or for auto the most capable)
// and Session.Open (wait until it runs, exec beside the lifeline). With
// DryRun it prints the container instead: as built (client), or as the
// API server would store it after admission (server). The plan's profile
// is already normalised (see ParseProfile).
func Run(ctx context.Context, p plan.Plan, d plan.Deps) (err error) {
	if err := d.CheckSession(ctx, p); err != nil {
		return err
	}
	pod := p.Pod
	user := d.User(ctx)
	s := &Session{Remote: d.Remote, Streams: p.Streams(d.IO), Command: p.Argv(d), StartTimeout: p.Timeouts.PodRunningTimeout,
		Heartbeat: p.Timeouts.Heartbeat(), Progress: d.Progress}
	if ec := reusable(p, d, user); ec != nil {
		end := d.Audit(ctx, p, pod.Name, p.Container)
		defer func() { end(err) }()
		return s.Reattach(ctx, pod, ec)
	}
	// A refusal of what --custom or --run-as set names the field, whichever
	// step below met it.
	defer func() { err = blame(p, err) }()
	build := container(p, user)
	switch {
	case p.DryRun && !p.ServerDryRun:
		ec, err := clientDryRun(ctx, d, pod, p.Debug.Profile, build)
		if err != nil {
			return err
		}
		return d.Print(ec)
	case p.ServerDryRun:
		added, notes, err := s.DryRun(ctx, pod, p.Debug.Profile, build)
		if err := report(d, p.Debug.Profile, added, notes, err); err != nil {
			return err
		}
		return d.Print(stored(added))
	}
	end := d.Audit(ctx, p, pod.Name, p.Container)
	defer func() { end(err) }()
	added, notes, err := s.Add(ctx, pod, p.Debug.Profile, build)
	if err := report(d, p.Debug.Profile, added, notes, err); err != nil {
		return err
	}
	return s.Open(ctx, added.Pod, added.EC)
}

// reusable is the user's still-running debug container of the plan's
// image in the plan's pod that the session attaches to instead of adding
// another (see reuse); nil for none. A container made earlier lacks what
// --custom and --run-as ask for (plan refuses them with --reuse).
func reusable(p plan.Plan, d plan.Deps, user string) *corev1.EphemeralContainer {
	if p.DryRun || !p.Custom.Empty() {
		return nil
	}
	ec := FindReusable(p.Pod, user, p.Image, p.Container)
	switch {
	case ec != nil && reuse(p, d, p.Pod, ec):
		return ec
	case ec == nil && p.Debug.Reuse:
		d.Infof("Pod %s has no running debug container of yours with image %s to reuse; adding one", p.Pod.Name, p.Image)
	}
	return nil
}

// container returns the Builder of the session's debug container: its
// name, its expiry (the session's bound, from now) and everything but the
// profile are settled once, here, so every profile tried builds the same
// container but for its securityContext.
func container(p plan.Plan, user string) Builder {
	pod := p.Pod
	opts := ContainerOptions{
		Name:   containerName(pod, p.SessionID),
		Image:  p.Image,
		Target: p.Container,
		// The main process is a lifeline that ends with this client;
		// the command runs beside it through exec (as in clone mode).
		Command:    shell.LifelineScript(p.Timeouts.Heartbeat(), p.Timeouts.MaxDuration, false),
		Stdin:      true,
		CopyEnv:    p.Debug.CopyEnv,
		CopyMounts: p.Debug.CopyMounts,
		User:       user,
		Custom:     p.Custom,
	}
	var env []corev1.EnvVar
	if p.Timeouts.MaxDuration > 0 {
		// For `kubectl eshell sessions`: an ephemeral container carries no annotations.
		env = append(env, corev1.EnvVar{Name: keys.DebugExpiresEnv, Value: time.Now().Add(p.Timeouts.MaxDuration).UTC().Format(time.RFC3339)})
	}
	if p.Reason != "" {
		// For `kubectl eshell sessions` too; the shell sees it as well.
		env = append(env, corev1.EnvVar{Name: keys.DebugReasonEnv, Value: p.Reason})
	}
	return func(profile string) (*corev1.EphemeralContainer, []string, error) {
		o := opts
		o.Profile = profile
		ec, warnings, err := GenerateEphemeralContainer(pod, o)
		if err != nil {
			return nil, warnings, err
		}
		ec.Env = append(ec.Env, env...)
		return ec, warnings, nil
	}
}

// report tells the user which profile the API server admitted for the
// requested one, why others were not, and what of the target the
// container could not carry over; it passes on Session.Add's (or
// DryRun's) error.
func report(d plan.Deps, requested string, t Trial, notes []string, err error) error {
	for _, n := range notes {
		d.Infof("%s", n)
	}
	if err != nil {
		return err
	}
	switch {
	case !IsAuto(requested):
		d.Infof("Using --profile %s as requested", t.Profile)
	case len(notes) == 0:
		d.Infof("Using --profile %s: the API server admits it", t.Profile)
	default:
		d.Infof("Using --profile %s, the most capable profile the API server admits here", t.Profile)
	}
	for _, w := range t.Warnings {
		d.Warnf("%s", w)
	}
	return nil
}

// stored is the admitted container as the API server would store it
// (defaults and mutating admission applied), for --dry-run=server.
func stored(t Trial) *corev1.EphemeralContainer {
	for i := range t.Pod.Spec.EphemeralContainers {
		if t.Pod.Spec.EphemeralContainers[i].Name == t.EC.Name {
			return &t.Pod.Spec.EphemeralContainers[i]
		}
	}
	return t.EC
}

// blame names the field of --custom or --run-as that a refusal is about.
func blame(p plan.Plan, err error) error {
	var uid *int64
	if target := findContainer(p.Pod, p.Container); target != nil {
		uid = targetUser(p.Pod, target)
	}
	return p.Custom.Blame(err, uid)
}

// clientDryRun builds the container without asking the API server, as
// --dry-run=client promises. For auto, the namespace's Pod Security label,
// when the user may read it, is the best guess; the server may still judge
// otherwise, which --dry-run=server shows.
func clientDryRun(ctx context.Context, d plan.Deps, pod *corev1.Pod, requested string, build Builder) (*corev1.EphemeralContainer, error) {
	if !IsAuto(requested) {
		ec, warnings, err := build(requested)
		if err != nil {
			return nil, err
		}
		return ec, report(d, requested, Trial{Profile: requested, Warnings: warnings}, nil, nil)
	}
	labels := namespaceHint(ctx, d, pod.Namespace)
	profile, reason, err := ResolveProfile(ProfileAuto, labels)
	if err != nil {
		return nil, err
	}
	if labels == nil {
		reason = fmt.Sprintf("namespace %q cannot be read, so its Pod Security level is unknown; showing --profile %s", pod.Namespace, profile)
	}
	d.Infof("%s%s (--dry-run=server asks the API server which profile it admits)", strings.ToUpper(reason[:1]), reason[1:])
	ec, warnings, err := build(profile)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		d.Warnf("%s", w)
	}
	if pserr := CheckPodSecurity(pod, ec, profile, labels); pserr != nil {
		d.Warnf("%v", pserr)
	}
	return ec, nil
}

// IsAuto reports whether the requested profile, as ParseProfile returned
// it, is left to the API server.
func IsAuto(profile string) bool {
	return profile == "" || profile == ProfileAuto
}

// containerName picks eshell-<session id>, so `kubectl eshell end` finds
// the session by its id, or eshell-<5 random characters> when that is
// taken in pod.
func containerName(pod *corev1.Pod, id string) string {
	taken := map[string]bool{}
	for _, c := range pod.Spec.Containers {
		taken[c.Name] = true
	}
	for _, c := range pod.Spec.InitContainers {
		taken[c.Name] = true
	}
	for _, c := range pod.Spec.EphemeralContainers {
		taken[c.Name] = true
	}
	if n := keys.DebugContainerPrefix + id; id != "" && !taken[n] {
		return n
	}
	for {
		if n := keys.DebugContainerPrefix + session.NewID(); !taken[n] {
			return n
		}
	}
}

// namespaceHint reads the namespace's labels for a guess at its Pod
// Security level; nil when the user may not read it (a namespaced Role
// cannot grant that) or the read fails: it is only a hint.
func namespaceHint(ctx context.Context, d plan.Deps, namespace string) map[string]string {
	ns, err := d.Remote.Client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	if ns.Labels == nil {
		return map[string]string{}
	}
	return ns.Labels
}

// reuse decides whether to attach to ec, the user's still-running debug
// container of the same image, instead of adding another: --reuse says yes,
// a terminal asks, anything else says no with a hint.
func reuse(p plan.Plan, d plan.Deps, pod *corev1.Pod, ec *corev1.EphemeralContainer) bool {
	if p.Debug.Reuse {
		return true
	}
	if d.Confirm == nil {
		d.Infof("Pod %s already has your running debug container %s (%s); pass --reuse to attach to it instead of adding another, or open a shell in it with: kubectl eshell attach %s -n %s",
			pod.Name, ec.Name, ec.Image, strings.TrimPrefix(ec.Name, keys.DebugContainerPrefix), pod.Namespace)
		return false
	}
	return d.Confirm(fmt.Sprintf("Pod %s already has your running debug container %s (%s). Attach to it instead of adding another? [y/N] ",
		pod.Name, ec.Name, ec.Image))
}
