package debug

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Run is the debug engine: in the plan's pod it attaches to the user's
// still-running debug container when asked to reuse it, or else resolves
// the profile against the namespace's Pod Security level, adds an ephemeral
// container next to the plan's container, waits until it runs and
// attaches. With DryRun it prints the container instead.
func Run(ctx context.Context, p plan.Plan, d plan.Deps) (err error) {
	pod := p.Pod
	// The namespace's labels do not depend on what follows: read them
	// while the reuse is decided, one round trip fewer before the shell.
	type nsResult struct {
		labels map[string]string
		err    error
	}
	nsc := make(chan nsResult, 1)
	go func() {
		l, err := namespaceLabels(ctx, d, pod.Namespace, p.Debug.Profile)
		nsc <- nsResult{l, err}
	}()
	user := d.User(ctx)
	argv := p.Command
	if len(argv) == 0 {
		argv = shell.Detect()
	}
	s := &Session{Remote: d.Remote, Streams: p.Streams(d.IO), Command: argv, StartTimeout: p.Limits.PodRunningTimeout, Progress: d.Progress}

	if !p.DryRun {
		if ec := FindReusable(pod, user, p.Image, p.Container); ec != nil {
			if reuse(p, d, pod, ec) {
				end := d.Audit(ctx, pod.Name, p.Container)
				defer func() { end(err) }()
				return s.Reattach(ctx, pod, ec)
			}
		} else if p.Debug.Reuse {
			d.Infof("Pod %s has no running debug container of yours with image %s to reuse; adding one", pod.Name, p.Image)
		}
	}

	ns := <-nsc
	if ns.err != nil {
		return ns.err
	}
	profile, reason, err := ResolveProfile(p.Debug.Profile, ns.labels)
	if err != nil {
		return err
	}
	s.Suggested, _, _ = ResolveProfile(ProfileAuto, ns.labels)

	ec, warnings, err := GenerateEphemeralContainer(pod, ContainerOptions{
		Name:   containerName(pod, p.SessionID),
		Image:  p.Image,
		Target: p.Container,
		// The main process is a lifeline that ends with this client; the
		// command runs beside it through exec (as in clone mode).
		Command:    shell.Lifeline(p.Limits.PodRunningTimeout, p.Limits.MaxDuration, false),
		Stdin:      true,
		CopyEnv:    p.Debug.CopyEnv,
		CopyMounts: p.Debug.CopyMounts,
		Profile:    profile,
		User:       user,
	})
	if err != nil {
		return err
	}
	for _, msg := range warnings {
		d.Warnf("%s", msg)
	}
	if p.Limits.MaxDuration > 0 {
		// For `kubectl eshell sessions`: an ephemeral container carries no annotations.
		ec.Env = append(ec.Env, corev1.EnvVar{Name: meta.DebugExpiresEnv, Value: time.Now().Add(p.Limits.MaxDuration).UTC().Format(time.RFC3339)})
	}
	pserr := CheckPodSecurity(pod, ec, profile, ns.labels)
	if p.DryRun {
		if pserr != nil {
			d.Warnf("%v", pserr)
		}
		return d.Print(ec)
	}
	if pserr != nil {
		return pserr
	}
	if IsAuto(p.Debug.Profile) {
		d.Infof("%s", strings.ToUpper(reason[:1])+reason[1:])
	} else {
		d.Infof("Using --profile %s as requested", profile)
	}
	end := d.Audit(ctx, pod.Name, p.Container)
	defer func() { end(err) }()
	return s.Run(ctx, pod, ec)
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

// namespaceLabels reads the labels that decide the Pod Security level. A
// user who may not read the namespace gets no labels, and is told.
func namespaceLabels(ctx context.Context, d plan.Deps, namespace, profile string) (map[string]string, error) {
	ns, err := d.Remote.Client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	switch {
	case err == nil:
		return ns.Labels, nil
	case apierrors.IsForbidden(err):
		if IsAuto(profile) {
			d.Infof("You may not read namespace %q, so its Pod Security level is unknown; assuming it enforces none (pass --profile restricted if it does)", namespace)
		}
		return map[string]string{}, nil
	}
	return nil, fmt.Errorf("reading namespace %q for its Pod Security level: %w", namespace, err)
}

// reuse decides whether to attach to ec, the user's still-running debug
// container of the same image, instead of adding another: --reuse says yes,
// a terminal asks, anything else says no with a hint.
func reuse(p plan.Plan, d plan.Deps, pod *corev1.Pod, ec *corev1.EphemeralContainer) bool {
	if p.Debug.Reuse {
		return true
	}
	if d.Confirm == nil {
		d.Infof("Pod %s already has your running debug container %s (%s); pass --reuse to attach to it instead of adding another", pod.Name, ec.Name, ec.Image)
		return false
	}
	return d.Confirm(fmt.Sprintf("Pod %s already has your running debug container %s (%s). Attach to it instead of adding another? [y/N] ",
		pod.Name, ec.Name, ec.Image))
}
