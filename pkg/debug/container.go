// Package debug implements `--mode debug`: a shell in an ephemeral container
// injected next to a running container of the service's pod.
//
// The files container*.go and profile*.go are pure: they build and judge the
// ephemeral container but never talk to the cluster. A pod keeps every
// ephemeral container it is given (they cannot be removed or changed), so
// everything the API server would reject is caught here, before the update.
package debug

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sberz/kubectl-eshell/pkg/custom"
	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// ContainerOptions describes the ephemeral container to build.
type ContainerOptions struct {
	Name       string   // e.g. "eshell-x7k2p" (caller chooses)
	Image      string   // debug image
	Target     string   // target container name (must exist in pod.Spec.Containers)
	Command    []string // final argv (caller built any wrapper)
	Stdin, TTY bool
	CopyEnv    bool   // copy target's env and envFrom REFERENCES (never resolve secret values)
	CopyMounts bool   // copy target's volumeMounts (same paths)
	Profile    string // a resolved profile name: general|baseline|restricted|netadmin|sysadmin
	User       string // requesting user, written as env keys.DebugUserEnv so a later session can find its own container
	// Custom is --custom and --run-as, merged over the container last;
	// nil for none.
	Custom *custom.Spec
}

// GenerateEphemeralContainer builds the container to append to
// pod.spec.ephemeralContainers. It is pure: pod is only read. The warnings
// tell the user what of the target could not be carried over.
func GenerateEphemeralContainer(pod *corev1.Pod, o ContainerOptions) (*corev1.EphemeralContainer, []string, error) {
	if pod == nil {
		return nil, nil, fmt.Errorf("no pod to debug: pick a running pod of the service first")
	}
	if err := validateContainerName(pod, o.Name); err != nil {
		return nil, nil, err
	}
	target, err := findTarget(pod, o.Target)
	if err != nil {
		return nil, nil, err
	}
	if err := validateImage(o.Image); err != nil {
		return nil, nil, err
	}
	if len(o.Command) == 0 {
		return nil, nil, fmt.Errorf("no command for the debug container: pass the command to run, e.g. -- sh")
	}
	prof, err := lookupProfile(o.Profile)
	if err != nil {
		return nil, nil, err
	}

	ec := &corev1.EphemeralContainer{
		// Sharing the target's process namespace is what puts the shell
		// "next to" the service: its processes, /proc/<pid>/root and all.
		TargetContainerName: target.Name,
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name:            o.Name,
			Image:           o.Image,
			ImagePullPolicy: corev1.PullIfNotPresent,
			Command:         slices.Clone(o.Command),
			Stdin:           o.Stdin,
			// The first attach that ends closes stdin for good, so a
			// dropped client ends the shell instead of leaving it running.
			StdinOnce: o.Stdin,
			TTY:       o.TTY,
			// A shell that dies early usually says why on stderr.
			TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		},
	}
	if o.CopyEnv {
		ec.Env = copyEnv(target)
		ec.EnvFrom = copyEnvFrom(target.EnvFrom)
	}
	ec.Env = withDebugUser(ec.Env, o.User)

	prof.apply(ec, pod)

	var warnings []string
	if o.CopyMounts {
		// After the profile: whether a mount is allowed can depend on
		// the container being privileged.
		ec.VolumeMounts, warnings = copyMounts(target.VolumeMounts, isPrivileged(ec))
	}
	if err := applyCustom(ec, pod, target, o); err != nil {
		return nil, nil, err
	}
	if err := checkPodOS(pod, ec, o.Profile); err != nil {
		return nil, nil, err
	}
	return ec, warnings, nil
}

// applyCustom merges --custom and --run-as over the container as the
// profile left it, as kubectl debug --custom does, and refuses what breaks
// the profile's promise: the Pod Security level it is made for
// (restricted, baseline), naming the field the user set that breaks it.
// What the profile alone would break is not the user's doing.
func applyCustom(ec *corev1.EphemeralContainer, pod *corev1.Pod, target *corev1.Container, o ContainerOptions) error {
	if o.Custom.Empty() {
		return nil
	}
	uid := targetUser(pod, target)
	if o.Custom.NeedsTargetUser() && uid == nil {
		return fmt.Errorf("--run-as target: neither container %q nor pod %s sets securityContext.runAsUser, so it runs as its image's user, which eshell cannot read: pass --run-as UID", target.Name, pod.Name)
	}
	before := ec.DeepCopy()
	if err := o.Custom.ApplyEphemeral(&ec.EphemeralContainerCommon, uid); err != nil {
		return err
	}
	level := profileLevel(o.Profile)
	if level == levelPrivileged {
		return nil
	}
	had := map[string]bool{}
	for _, f := range podSecurityFindings(pod, before, level) {
		had[f.reason] = true
	}
	set := o.Custom.Set(uid)
	var named []custom.Field
	var rules []string
	for _, f := range podSecurityFindings(pod, ec, level) {
		if had[f.reason] {
			continue
		}
		rules = append(rules, f.reason+": "+f.detail)
		for _, n := range custom.Named(f.detail, set) {
			if !slices.Contains(named, n) {
				named = append(named, n)
			}
		}
	}
	if len(rules) == 0 {
		return nil
	}
	if len(named) == 0 {
		// A combination no single field explains: the fields are still
		// the user's.
		named = set
	}
	verb := "breaks"
	if len(named) > 1 {
		verb = "break"
	}
	return fmt.Errorf("%s %s --profile %s, which keeps to Pod Security %q (%s): change or drop that, or use --profile %s",
		custom.Join(named), verb, o.Profile, level, strings.Join(rules, "; "), moreCapable(level))
}

// targetUser is the user the target container runs as where the pod spec
// names one: its own securityContext's, else the pod's.
func targetUser(pod *corev1.Pod, target *corev1.Container) *int64 {
	if sc := target.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return sc.RunAsUser
	}
	if psc := pod.Spec.SecurityContext; psc != nil && psc.RunAsUser != nil {
		return psc.RunAsUser
	}
	return nil
}

// validateContainerName checks what the API server would reject about the
// name, plus eshell's own prefix, which is how gc and later sessions tell
// eshell's ephemeral containers from anyone else's.
func validateContainerName(pod *corev1.Pod, name string) error {
	if !strings.HasPrefix(name, keys.DebugContainerPrefix) {
		return fmt.Errorf("debug container name %q must start with %q so eshell can find it again: choose a name like %s<suffix>",
			name, keys.DebugContainerPrefix, keys.DebugContainerPrefix)
	}
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return fmt.Errorf("debug container name %q is not a valid container name (%s): choose another name", name, strings.Join(errs, "; "))
	}
	for _, ec := range pod.Spec.EphemeralContainers {
		if ec.Name == name {
			// The API keeps every ephemeral container a pod was ever given,
			// exited or not, so the name stays taken for the pod's lifetime.
			return fmt.Errorf("pod %q already has an ephemeral container named %q and ephemeral container names can't be reused: choose another name",
				pod.Name, name)
		}
	}
	for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
		if c.Name == name {
			return fmt.Errorf("pod %q already has a container named %q (names must be unique across all containers): choose another name",
				pod.Name, name)
		}
	}
	return nil
}

// findTarget returns the running container whose namespaces the shell joins.
func findTarget(pod *corev1.Pod, name string) (*corev1.Container, error) {
	names := make([]string, 0, len(pod.Spec.Containers))
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i], nil
		}
		names = append(names, pod.Spec.Containers[i].Name)
	}
	if name == "" {
		return nil, fmt.Errorf("no target container chosen in pod %q: pass -c with one of: %s", pod.Name, strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("container %q not found in pod %q: pass -c with one of: %s", name, pod.Name, strings.Join(names, ", "))
}

func validateImage(image string) error {
	if strings.TrimSpace(image) == "" {
		return fmt.Errorf("no image for the debug container: pass --image")
	}
	// The API server rejects such images for pods, and only after the
	// request; say so up front.
	if image != strings.TrimSpace(image) {
		return fmt.Errorf("debug image %q has leading or trailing whitespace: remove it", image)
	}
	return nil
}

// copyEnv copies the target's env as written in the spec: valueFrom stays a
// reference, so secrets are resolved by the kubelet inside the pod and never
// pass through eshell.
func copyEnv(target *corev1.Container) []corev1.EnvVar {
	if len(target.Env) == 0 {
		return nil
	}
	env := make([]corev1.EnvVar, 0, len(target.Env))
	for _, e := range target.Env {
		e = *e.DeepCopy()
		// A resourceFieldRef without a container name means "this
		// container". For the debug container that would be its own
		// (always empty) resources, so pin it to the target's values.
		if e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil && e.ValueFrom.ResourceFieldRef.ContainerName == "" {
			e.ValueFrom.ResourceFieldRef.ContainerName = target.Name
		}
		env = append(env, e)
	}
	return env
}

func copyEnvFrom(from []corev1.EnvFromSource) []corev1.EnvFromSource {
	if len(from) == 0 {
		return nil
	}
	out := make([]corev1.EnvFromSource, len(from))
	for i := range from {
		out[i] = *from[i].DeepCopy()
	}
	return out
}

// withDebugUser drops any copied keys.DebugUserEnv and appends ours: it is
// how a later session recognises its own container, so a value inherited from
// the target must never stand in for it.
func withDebugUser(env []corev1.EnvVar, user string) []corev1.EnvVar {
	env = slices.DeleteFunc(env, func(e corev1.EnvVar) bool { return e.Name == keys.DebugUserEnv })
	return append(env, corev1.EnvVar{Name: keys.DebugUserEnv, Value: user})
}

// copyMounts copies the target's volume mounts at the same paths, leaving out
// or adjusting what the API server forbids in ephemeral containers
// (k8s.io/kubernetes pkg/apis/core/validation, validateEphemeralContainers
// and validateMountPropagation):
//   - subPath and subPathExpr are forbidden outright. Mounting the whole
//     volume at that path instead would show different content, or fail when
//     the subPath was a file, so such mounts are skipped.
//   - Bidirectional propagation is only allowed for privileged containers.
//     HostToContainer still shows the same data, so it is downgraded.
func copyMounts(mounts []corev1.VolumeMount, privileged bool) ([]corev1.VolumeMount, []string) {
	var out []corev1.VolumeMount
	var warnings []string
	for _, m := range mounts {
		switch {
		case m.SubPath != "":
			warnings = append(warnings, fmt.Sprintf("not mounting volume %q at %s: ephemeral containers may not use subPath (%q)",
				m.Name, m.MountPath, m.SubPath))
			continue
		case m.SubPathExpr != "":
			warnings = append(warnings, fmt.Sprintf("not mounting volume %q at %s: ephemeral containers may not use subPathExpr (%q)",
				m.Name, m.MountPath, m.SubPathExpr))
			continue
		}
		m = *m.DeepCopy()
		if !privileged && m.MountPropagation != nil && *m.MountPropagation == corev1.MountPropagationBidirectional {
			m.MountPropagation = new(corev1.MountPropagationHostToContainer)
			warnings = append(warnings, fmt.Sprintf("mounting volume %q at %s with HostToContainer propagation: Bidirectional needs --profile sysadmin",
				m.Name, m.MountPath))
		}
		out = append(out, m)
	}
	return out, warnings
}

// checkPodOS rejects Linux security settings on Windows pods, which the API
// server refuses for every container of such a pod.
func checkPodOS(pod *corev1.Pod, ec *corev1.EphemeralContainer, profile string) error {
	if pod.Spec.OS == nil || pod.Spec.OS.Name != corev1.Windows || ec.SecurityContext == nil {
		return nil
	}
	sc := ec.SecurityContext
	if sc.Capabilities != nil || sc.Privileged != nil || sc.AllowPrivilegeEscalation != nil ||
		sc.SeccompProfile != nil || sc.RunAsUser != nil || sc.RunAsGroup != nil {
		return fmt.Errorf("pod %q runs Windows, which rejects the Linux security settings of --profile %s: use --profile %s",
			pod.Name, profile, ProfileBaseline)
	}
	return nil
}

func isPrivileged(ec *corev1.EphemeralContainer) bool {
	sc := ec.SecurityContext
	return sc != nil && sc.Privileged != nil && *sc.Privileged
}
