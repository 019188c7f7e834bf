package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/debug"
	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// DebugOptions are the flags of --mode debug.
type DebugOptions struct {
	Image      string
	Profile    string
	CopyEnv    bool
	CopyMounts bool
	Reuse      bool
}

func addDebugFlags(f *pflag.FlagSet, d *DebugOptions) {
	f.StringVar(&d.Image, "image", "", "debug: image of the debug container (default from config, busybox:1.37)")
	f.StringVar(&d.Profile, "profile", debug.ProfileAuto,
		"debug: security profile, one of "+strings.Join(debug.ProfileNames(), ", ")+" (auto: the most capable one the namespace's Pod Security level admits)")
	f.BoolVar(&d.CopyEnv, "copy-env", true, "debug: give the debug container the target container's env (references, secrets are never read by eshell)")
	f.BoolVar(&d.CopyMounts, "copy-mounts", true, "debug: mount the target container's volumes at the same paths")
	f.BoolVar(&d.Reuse, "reuse", false, "debug: attach to your still-running debug container of the same image in the pod instead of adding another (asked on a terminal)")
}

// runDebug adds an ephemeral container next to the target container of a
// running pod and attaches to it.
func (o *Options) runDebug(ctx context.Context, w *target.Workload) (err error) {
	// Everything that needs no cluster first.
	if _, _, err := debug.ResolveProfile(o.Debug.Profile, nil); err != nil {
		return err
	}
	image := o.Config.DebugImage
	if o.flags != nil && o.flags.Changed("image") {
		image = o.Debug.Image
	}
	if o.MaxDuration > 0 && o.MaxDuration < time.Second {
		return fmt.Errorf("--max-duration %s is too short: the debug container is bounded in whole seconds, use 1s or more (0 for no bound)", o.MaxDuration)
	}

	// The namespace's Pod Security labels do not depend on the pod: read
	// them while the pod is chosen, one round trip fewer before the shell.
	type nsResult struct {
		labels map[string]string
		err    error
	}
	nsc := make(chan nsResult, 1)
	go func() {
		l, err := o.namespaceLabels(ctx)
		nsc <- nsResult{l, err}
	}()
	pod, container, err := o.podAndContainer(ctx, w)
	if err != nil {
		return err
	}
	user := o.currentUser(ctx)

	s := &debug.Session{Remote: o.remote, Streams: o.streams(), StartTimeout: o.PodRunningTimeout}
	if !o.Quiet {
		s.Progress = o.ErrOut
	}

	if o.DryRun == "" {
		if ec := debug.FindReusable(pod, user, image, container); ec != nil {
			if o.reuse(pod, ec) {
				end := o.auditSession(ctx, w, pod, container)
				defer func() { end(err) }()
				return s.Reattach(ctx, pod, ec)
			}
		} else if o.Debug.Reuse {
			o.infof("Pod %s has no running debug container of yours with image %s to reuse; adding one", pod.Name, image)
		}
	}

	ns := <-nsc
	if ns.err != nil {
		return ns.err
	}
	labels := ns.labels
	profile, reason, err := debug.ResolveProfile(o.Debug.Profile, labels)
	if err != nil {
		return err
	}
	suggested, _, _ := debug.ResolveProfile(debug.ProfileAuto, labels)
	s.Suggested = suggested

	ec, warnings, err := debug.GenerateEphemeralContainer(pod, debug.ContainerOptions{
		Name:   debugContainerName(pod),
		Image:  image,
		Target: container,
		// Always stdin: the start gate arrives through it (as in clone mode).
		// Without -i no local input follows the gate.
		Command:    shell.Gated(o.Command, o.MaxDuration),
		Stdin:      true,
		TTY:        o.TTY,
		CopyEnv:    o.Debug.CopyEnv,
		CopyMounts: o.Debug.CopyMounts,
		Profile:    profile,
		User:       user,
	})
	if err != nil {
		return err
	}
	for _, msg := range warnings {
		fmt.Fprintf(o.ErrOut, "warning: %s\n", msg)
	}
	pserr := debug.CheckPodSecurity(pod, ec, profile, labels)
	if o.DryRun != "" {
		if pserr != nil {
			fmt.Fprintf(o.ErrOut, "warning: %v\n", pserr)
		}
		return o.print(ec)
	}
	if pserr != nil {
		return pserr
	}
	if isAuto(o.Debug.Profile) {
		o.infof("%s", capitalize(reason))
	} else {
		o.infof("Using --profile %s as requested", profile)
	}
	end := o.auditSession(ctx, w, pod, container)
	defer func() { end(err) }()
	return s.Run(ctx, pod, ec)
}

func isAuto(p string) bool {
	p = strings.ToLower(strings.TrimSpace(p))
	return p == "" || p == debug.ProfileAuto
}

// debugContainerName picks eshell-<5 random characters>, not yet taken in pod.
func debugContainerName(pod *corev1.Pod) string {
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
	for {
		if n := meta.DebugContainerPrefix + randomSuffix(); !taken[n] {
			return n
		}
	}
}

// namespaceLabels reads the labels that decide the Pod Security level. A user
// who may not read the namespace gets no labels, and is told.
func (o *Options) namespaceLabels(ctx context.Context) (map[string]string, error) {
	ns, err := o.client.CoreV1().Namespaces().Get(ctx, o.Namespace, metav1.GetOptions{})
	switch {
	case err == nil:
		return ns.Labels, nil
	case apierrors.IsForbidden(err):
		if isAuto(o.Debug.Profile) {
			o.infof("You may not read namespace %q, so its Pod Security level is unknown; assuming it enforces none (pass --profile restricted if it does)", o.Namespace)
		}
		return map[string]string{}, nil
	}
	return nil, fmt.Errorf("reading namespace %q for its Pod Security level: %w", o.Namespace, err)
}

// reuse decides whether to attach to ec, the user's still-running debug
// container of the same image, instead of adding another: --reuse says yes,
// a terminal asks, anything else says no with a hint.
func (o *Options) reuse(pod *corev1.Pod, ec *corev1.EphemeralContainer) bool {
	if o.Debug.Reuse {
		return true
	}
	if !session.IsTerminal(o.In) {
		o.infof("Pod %s already has your running debug container %s (%s); pass --reuse to attach to it instead of adding another", pod.Name, ec.Name, ec.Image)
		return false
	}
	return confirm(o.In, o.ErrOut, fmt.Sprintf("Pod %s already has your running debug container %s (%s). Attach to it instead of adding another? [y/N] ",
		pod.Name, ec.Name, ec.Image))
}

// confirm asks a yes/no question; only y or yes is yes. It reads byte by
// byte up to the end of the line, so no input meant for the session is
// swallowed.
func confirm(in io.Reader, out io.Writer, question string) bool {
	fmt.Fprint(out, question)
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := in.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if err != nil {
			break
		}
	}
	switch strings.ToLower(strings.TrimSpace(string(line))) {
	case "y", "yes":
		return true
	}
	return false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
