package debug

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Run is the debug engine: in the plan's pod it attaches to the user's
// still-running debug container when asked to reuse it, or else settles the
// profile (for auto: the most capable one a server-side dry run shows the
// API server admits), adds an ephemeral container next to the plan's
// container, waits until it runs and attaches. With DryRun it prints the
// container instead: as built (client), or as the API server would store it
// after admission (server).
func Run(ctx context.Context, p plan.Plan, d plan.Deps) (err error) {
	pod := p.Pod
	user := d.User(ctx)
	argv := p.Argv(d)
	s := &Session{Remote: d.Remote, Streams: p.Streams(d.IO), Command: argv, StartTimeout: p.Timeouts.PodRunningTimeout, Heartbeat: p.Timeouts.Heartbeat(), Progress: d.Progress}

	// A container made earlier lacks what --custom and --run-as ask for
	// (plan refuses them with --reuse).
	if !p.DryRun && p.Custom.Empty() {
		if ec := FindReusable(pod, user, p.Image, p.Container); ec != nil {
			if reuse(p, d, pod, ec) {
				end := d.Audit(ctx, p, pod.Name, p.Container)
				defer func() { end(err) }()
				return s.Reattach(ctx, pod, ec)
			}
		} else if p.Debug.Reuse {
			d.Infof("Pod %s has no running debug container of yours with image %s to reuse; adding one", pod.Name, p.Image)
		}
	}

	// A refusal of what --custom or --run-as set names the field, whichever
	// step below met it.
	defer func() {
		var uid *int64
		if target := findContainer(pod, p.Container); target != nil {
			uid = targetUser(pod, target)
		}
		err = p.Custom.Blame(err, uid)
	}()
	name := containerName(pod, p.SessionID)
	// One expiry for every candidate: the session's bound, from now.
	expires := time.Now().Add(p.Timeouts.MaxDuration).UTC().Format(time.RFC3339)
	// What of the target could not be carried over can depend on the
	// profile (mounts a privileged container may have): kept per profile.
	warnings := map[string][]string{}
	s.Build = func(profile string) (*corev1.EphemeralContainer, error) {
		ec, w, err := GenerateEphemeralContainer(pod, ContainerOptions{
			Name:   name,
			Image:  p.Image,
			Target: p.Container,
			// The main process is a lifeline that ends with this client;
			// the command runs beside it through exec (as in clone mode).
			Command:    shell.Lifeline(p.Timeouts.Heartbeat(), p.Timeouts.MaxDuration, false),
			Stdin:      true,
			CopyEnv:    p.Debug.CopyEnv,
			CopyMounts: p.Debug.CopyMounts,
			Profile:    profile,
			User:       user,
			Custom:     p.Custom,
		})
		warnings[profile] = w
		if err == nil && p.Timeouts.MaxDuration > 0 {
			// For `kubectl eshell sessions`: an ephemeral container carries no annotations.
			ec.Env = append(ec.Env, corev1.EnvVar{Name: meta.DebugExpiresEnv, Value: expires})
		}
		if err == nil && p.Reason != "" {
			// For `kubectl eshell sessions` too; the shell sees it as well.
			ec.Env = append(ec.Env, corev1.EnvVar{Name: meta.DebugReasonEnv, Value: p.Reason})
		}
		return ec, err
	}

	var ec *corev1.EphemeralContainer
	switch {
	case IsAuto(p.Debug.Profile) && p.DryRun && !p.ServerDryRun:
		if ec, err = clientDryRunAuto(ctx, d, pod, s); err != nil {
			return err
		}
	case IsAuto(p.Debug.Profile):
		start := time.Now()
		chosen, notes, err := Choose(pod, s.Try(ctx, pod, s.Build, AutoCandidates()))
		klog.V(2).Infof("--profile auto: dry runs of %d profiles took %s", len(AutoCandidates()), time.Since(start).Round(time.Millisecond))
		for _, n := range notes {
			d.Infof("%s", n)
		}
		if err != nil {
			return s.addError(ctx, pod, err)
		}
		ec, s.Profile = chosen.EC, chosen.Profile
		if len(notes) == 0 {
			d.Infof("Using --profile %s: the API server admits it (checked by a server-side dry run)", chosen.Profile)
		} else {
			d.Infof("Using --profile %s, the most capable profile the API server admits here", chosen.Profile)
		}
	default:
		s.Profile = strings.ToLower(strings.TrimSpace(p.Debug.Profile))
		if ec, err = s.Build(s.Profile); err != nil {
			return err
		}
		d.Infof("Using --profile %s as requested", s.Profile)
	}
	for _, msg := range warnings[s.Profile] {
		d.Warnf("%s", msg)
	}
	if p.ServerDryRun {
		stored, err := s.DryRun(ctx, pod, ec)
		if err != nil {
			return s.addError(ctx, pod, err)
		}
		for i := range stored.Spec.EphemeralContainers {
			if stored.Spec.EphemeralContainers[i].Name == ec.Name {
				ec = &stored.Spec.EphemeralContainers[i]
			}
		}
		return d.Print(ec)
	}
	if p.DryRun {
		return d.Print(ec)
	}
	end := d.Audit(ctx, p, pod.Name, p.Container)
	defer func() { end(err) }()
	return s.Run(ctx, pod, ec)
}

// clientDryRunAuto builds the container of --profile auto without asking
// the API server, as --dry-run=client promises: the namespace's Pod
// Security label, when the user may read it, is the best guess; the server
// may still judge otherwise, which --dry-run=server shows.
func clientDryRunAuto(ctx context.Context, d plan.Deps, pod *corev1.Pod, s *Session) (*corev1.EphemeralContainer, error) {
	labels := namespaceHint(ctx, d, pod.Namespace)
	profile, reason, err := ResolveProfile(ProfileAuto, labels)
	if err != nil {
		return nil, err
	}
	if labels == nil {
		reason = fmt.Sprintf("namespace %q cannot be read, so its Pod Security level is unknown; showing --profile %s", pod.Namespace, profile)
	}
	d.Infof("%s%s (--dry-run=server asks the API server which profile it admits)", strings.ToUpper(reason[:1]), reason[1:])
	s.Profile = profile
	ec, err := s.Build(profile)
	if err != nil {
		return nil, err
	}
	if pserr := CheckPodSecurity(pod, ec, profile, labels); pserr != nil {
		d.Warnf("%v", pserr)
	}
	return ec, nil
}

// IsAuto reports whether the requested profile is left to the namespace.
func IsAuto(profile string) bool {
	profile = strings.ToLower(strings.TrimSpace(profile))
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
	if n := meta.DebugContainerPrefix + id; id != "" && !taken[n] {
		return n
	}
	for {
		if n := meta.DebugContainerPrefix + session.NewID(); !taken[n] {
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
			pod.Name, ec.Name, ec.Image, strings.TrimPrefix(ec.Name, meta.DebugContainerPrefix), pod.Namespace)
		return false
	}
	return d.Confirm(fmt.Sprintf("Pod %s already has your running debug container %s (%s). Attach to it instead of adding another? [y/N] ",
		pod.Name, ec.Name, ec.Image))
}
