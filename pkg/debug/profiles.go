package debug

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	kdebug "k8s.io/kubectl/pkg/cmd/debug"
	"k8s.io/pod-security-admission/api"
)

// Security profiles of the debug container. Each one is a trade between what
// the shell may do and which Pod Security level admits it.
const (
	// ProfileAuto picks the most capable profile the API server admits, by
	// server-side dry runs (see Choose).
	ProfileAuto = "auto"
	// ProfileGeneral adds SYS_PTRACE so the shell can inspect the target's
	// processes. Admitted by "privileged" only.
	ProfileGeneral = "general"
	// ProfileBaseline adds nothing. Admitted by "baseline".
	ProfileBaseline = "baseline"
	// ProfileRestricted runs as non-root without any capability. Admitted by
	// every level.
	ProfileRestricted = "restricted"
	// ProfileNetadmin adds NET_ADMIN and NET_RAW for tcpdump, iptables and
	// the like. Admitted by "privileged" only.
	ProfileNetadmin = "netadmin"
	// ProfileSysadmin runs privileged. Admitted by "privileged" only.
	ProfileSysadmin = "sysadmin"
)

// Pod Security Admission's namespace label and levels, as it names them.
const (
	podSecurityEnforceLabel = api.EnforceLevelLabel
	namespaceNameLabel      = corev1.LabelMetadataName

	levelPrivileged = string(api.LevelPrivileged)
	levelBaseline   = string(api.LevelBaseline)
	levelRestricted = string(api.LevelRestricted)
)

// profile changes a debug container so it gets the rights it is named for.
// Profiles only ever touch the container's securityContext.
type profile interface {
	apply(ec *corev1.EphemeralContainer, pod *corev1.Pod)
}

// profiles holds the concrete profiles: kubectl debug's, of the same names,
// with eshell's refinement of restricted. ProfileAuto is not one of them
// since it only exists until the API server (or, for --dry-run=client,
// ResolveProfile) has chosen one.
var profiles = map[string]profile{
	ProfileGeneral:    kubectlProfile(kdebug.ProfileGeneral),
	ProfileBaseline:   kubectlProfile(kdebug.ProfileBaseline),
	ProfileRestricted: restrictedProfile{},
	ProfileNetadmin:   kubectlProfile(kdebug.ProfileNetadmin),
	ProfileSysadmin:   kubectlProfile(kdebug.ProfileSysadmin),
}

// kubectlProfile is `kubectl debug --profile NAME` applied to a debug
// container: general adds SYS_PTRACE so the shell can inspect the target's
// processes, baseline adds nothing, netadmin adds NET_ADMIN and NET_RAW,
// sysadmin runs privileged, restricted satisfies the restricted level.
type kubectlProfile string

func (name kubectlProfile) apply(ec *corev1.EphemeralContainer, _ *corev1.Pod) {
	applier, err := kdebug.NewProfileApplier(string(name), kdebug.KeepFlags{})
	if err != nil {
		// The names are kubectl's own constants.
		panic(fmt.Sprintf("kubectl debug profile %q: %v", name, err))
	}
	// kubectl's appliers change a container of a pod; passing the pod as
	// its own target selects their ephemeral-container behaviour.
	p := &corev1.Pod{Spec: corev1.PodSpec{EphemeralContainers: []corev1.EphemeralContainer{*ec}}}
	if err := applier.Apply(p, ec.Name, p); err != nil {
		panic(fmt.Sprintf("kubectl debug profile %q: %v", name, err))
	}
	ec.SecurityContext = p.Spec.EphemeralContainers[0].SecurityContext
}

// ProfileNames returns the names a user may pass to --profile, in the order
// the help text lists them.
func ProfileNames() []string {
	return []string{ProfileAuto, ProfileGeneral, ProfileBaseline, ProfileRestricted, ProfileNetadmin, ProfileSysadmin}
}

// profileForLevel is the most capable profile that level admits: the one
// ProfileAuto resolves to and the one suggested when a request won't pass.
func profileForLevel(level string) string {
	switch level {
	case levelBaseline:
		return ProfileBaseline
	case levelRestricted:
		return ProfileRestricted
	default:
		return ProfileGeneral
	}
}

// profileLevel is the Pod Security level a profile is made to pass: the
// most restrictive one it keeps to.
func profileLevel(profile string) string {
	switch profile {
	case ProfileRestricted:
		return levelRestricted
	case ProfileBaseline:
		return levelBaseline
	default:
		return levelPrivileged
	}
}

// moreCapable is the profile to suggest when what the user adds breaks
// level: the profile made for the next, less restrictive level.
func moreCapable(level string) string {
	if level == levelRestricted {
		return ProfileBaseline
	}
	return ProfileGeneral
}

// enforcedLevel reads the namespace's Pod Security enforce level. A missing
// label enforces nothing (the cluster's admission config may still set a
// default, which a namespace does not show). An unknown value is enforced as
// "restricted", as Pod Security Admission does, so it is reported as such.
func enforcedLevel(nsLabels map[string]string) (level, raw string, set bool) {
	raw, set = nsLabels[podSecurityEnforceLabel]
	if !set {
		return levelPrivileged, "", false
	}
	switch raw {
	case levelPrivileged, levelBaseline, levelRestricted:
		return raw, raw, true
	default:
		return levelRestricted, raw, true
	}
}

// ParseProfile is the one place --profile is normalised: case and
// surrounding space do not matter, and empty means ProfileAuto. It refuses
// a name that is no profile. Everything after it (the plan, the engine,
// the copy helper) takes its result as it is.
func ParseProfile(flag string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(flag))
	if name == "" {
		return ProfileAuto, nil
	}
	if _, ok := profiles[name]; !ok && name != ProfileAuto {
		return "", fmt.Errorf("unknown profile %q: use one of %s", name, strings.Join(ProfileNames(), ", "))
	}
	return name, nil
}

// ResolveProfile turns the user's --profile (possibly "auto", or empty,
// meaning auto) into a concrete profile, given the namespace's labels: the
// guess of --dry-run=client, which asks the API server nothing, and the
// check of a --profile name before anything is sent. The
// reason is one line for the user. For a concrete profile that the namespace
// will reject, the reason is that warning; the request is still honoured, as
// the user may know of an exemption eshell can't see.
func ResolveProfile(requested string, nsLabels map[string]string) (string, string, error) {
	requested, err := ParseProfile(requested)
	if err != nil {
		return "", "", err
	}

	ns := "the namespace"
	if name := nsLabels[namespaceNameLabel]; name != "" {
		ns = fmt.Sprintf("namespace %q", name)
	}
	level, raw, set := enforcedLevel(nsLabels)

	if requested == ProfileAuto {
		p := profileForLevel(level)
		switch {
		case !set:
			return p, fmt.Sprintf("%s sets no Pod Security enforce level; using --profile %s", ns, p), nil
		case raw != level:
			return p, fmt.Sprintf("%s has an unknown Pod Security enforce level %q, which is enforced as %q; using --profile %s",
				ns, raw, level, p), nil
		default:
			return p, fmt.Sprintf("%s enforces Pod Security %q; using --profile %s", ns, level, p), nil
		}
	}

	if v := ProfileViolations(requested, level); len(v) > 0 {
		return requested, fmt.Sprintf("--profile %s will be rejected: %s enforces Pod Security %q (%s); use --profile %s",
			requested, ns, level, strings.Join(v, ", "), profileForLevel(level)), nil
	}
	return requested, fmt.Sprintf("using --profile %s as requested", requested), nil
}

// ProfileViolations lists the Pod Security rules, by the names Pod Security
// Admission reports them under, that profile breaks at level (baseline or
// restricted; anything else but "privileged" is judged as restricted, as
// Pod Security Admission does). It is meant to explain an admission
// rejection. The pod is assumed to set no pod-level securityContext; a pod
// that sets runAsNonRoot or a seccomp profile may spare the container some of
// these. Unknown profiles report nothing.
func ProfileViolations(profile, level string) []string {
	p, ok := profiles[profile]
	if !ok {
		return nil
	}
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
	ec := &corev1.EphemeralContainer{TargetContainerName: "app"}
	p.apply(ec, pod)
	return podSecurityViolations(pod, ec, level)
}

// lookupProfile finds a concrete profile, refusing "auto" because only
// ResolveProfile knows what it stands for.
func lookupProfile(name string) (profile, error) {
	if p, ok := profiles[name]; ok {
		return p, nil
	}
	if name == ProfileAuto || name == "" {
		return nil, fmt.Errorf("profile %q is not resolved: resolve it against the namespace with ResolveProfile first", name)
	}
	return nil, fmt.Errorf("unknown profile %q: use one of %s", name, strings.Join(ProfileNames()[1:], ", "))
}

// restrictedProfile is kubectl's restricted profile, refined so the shell
// is of use: it runs as the target's user where one is named, and a seccomp
// profile the pod already sets (a Localhost one, say) stays in force.
type restrictedProfile struct{}

// nobodyUID is the user a restricted shell runs as when the pod names none:
// runAsNonRoot alone would make the kubelet refuse images whose user is root.
const nobodyUID int64 = 65534

func (restrictedProfile) apply(ec *corev1.EphemeralContainer, pod *corev1.Pod) {
	kubectlProfile(kdebug.ProfileRestricted).apply(ec, pod)
	sc := ec.SecurityContext
	// Running as the target's user lets the shell read what the service
	// writes. Container-level settings are not inherited, so the target's
	// is copied; the pod's is inherited without help.
	switch target := findContainer(pod, ec.TargetContainerName); {
	case target != nil && target.SecurityContext != nil && nonZero(target.SecurityContext.RunAsUser):
		sc.RunAsUser = new(*target.SecurityContext.RunAsUser)
	case pod.Spec.SecurityContext != nil && nonZero(pod.Spec.SecurityContext.RunAsUser):
	default:
		sc.RunAsUser = new(nobodyUID)
	}
	if psc := pod.Spec.SecurityContext; psc != nil && psc.SeccompProfile != nil && allowedSeccomp(psc.SeccompProfile.Type) {
		sc.SeccompProfile = nil
	}
}

func findContainer(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}

func nonZero(uid *int64) bool { return uid != nil && *uid != 0 }
