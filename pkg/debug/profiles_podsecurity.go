package debug

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Pod Security rules as Pod Security Admission names them in its rejections
// (the ForbiddenReason of each check in k8s.io/pod-security-admission/policy).
const (
	rulePrivileged               = "privileged"
	ruleNonDefaultCapabilities   = "non-default capabilities"
	ruleAllowPrivilegeEscalation = "allowPrivilegeEscalation != false"
	ruleUnrestrictedCapabilities = "unrestricted capabilities"
	ruleRunAsNonRoot             = "runAsNonRoot != true"
	ruleRunAsUserRoot            = "runAsUser=0"
	ruleSeccompProfile           = "seccompProfile"
)

// baselineCapabilities are the capabilities the baseline level lets a
// container add: the container runtimes' traditional defaults.
var baselineCapabilities = []corev1.Capability{
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

// podSecurityViolations lists the Pod Security rules of level that ec breaks
// as a container of pod, in the order Pod Security Admission reports them
// (k8s.io/pod-security-admission/policy, registry.go: baseline checks, then
// restricted ones, each sorted by check ID).
//
// Only ec is judged, and only the fields eshell's profiles set (privileged,
// capabilities, allowPrivilegeEscalation, runAsNonRoot, runAsUser,
// seccompProfile); the pod counts only where ec inherits from it. A pod that
// already breaks a rule on its own breaks it whatever eshell adds, so that is
// not reported here. The rules are those of the latest Pod Security version on
// Linux. "privileged" judges nothing; any other level but "baseline" is judged
// as "restricted", as Pod Security Admission does with levels it doesn't know.
//
// It lets the engine refuse a container before the update: once a pod holds a
// non-compliant ephemeral container, every later ephemeral container update of
// that pod is rejected.
func podSecurityViolations(pod *corev1.Pod, ec *corev1.EphemeralContainer, level string) []string {
	if level == levelPrivileged {
		return nil
	}
	restricted := level != levelBaseline

	sc := ec.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	psc := pod.Spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	// Pods in their own user namespace are spared the rules about root: root
	// there is not root on the node.
	userNamespace := pod.Spec.HostUsers != nil && !*pod.Spec.HostUsers

	// Baseline rules first, then restricted ones, each in order of their
	// check IDs; at restricted, the stricter capability and seccomp rules
	// replace the baseline ones.
	var v []string
	if !restricted && sc.Capabilities != nil && slices.ContainsFunc(sc.Capabilities.Add, func(c corev1.Capability) bool {
		return !slices.Contains(baselineCapabilities, c)
	}) {
		v = append(v, ruleNonDefaultCapabilities)
	}
	if sc.Privileged != nil && *sc.Privileged {
		v = append(v, rulePrivileged)
	}
	if !restricted {
		// Baseline only forbids turning seccomp off explicitly.
		if sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
			v = append(v, ruleSeccompProfile)
		}
		return v
	}

	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		v = append(v, ruleAllowPrivilegeEscalation)
	}
	if !capabilitiesRestricted(sc.Capabilities) {
		v = append(v, ruleUnrestrictedCapabilities)
	}
	if !userNamespace {
		if nonRoot := sc.RunAsNonRoot; nonRoot != nil && !*nonRoot ||
			nonRoot == nil && (psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot) {
			v = append(v, ruleRunAsNonRoot)
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			v = append(v, ruleRunAsUserRoot)
		}
	}
	if seccomp := sc.SeccompProfile; seccomp != nil && !allowedSeccomp(seccomp.Type) ||
		seccomp == nil && (psc.SeccompProfile == nil || !allowedSeccomp(psc.SeccompProfile.Type)) {
		v = append(v, ruleSeccompProfile)
	}
	return v
}

// capabilitiesRestricted reports whether caps drop ALL and add nothing but
// NET_BIND_SERVICE, as the restricted level requires.
func capabilitiesRestricted(caps *corev1.Capabilities) bool {
	if caps == nil || !slices.Contains(caps.Drop, "ALL") {
		return false
	}
	return !slices.ContainsFunc(caps.Add, func(c corev1.Capability) bool { return c != "NET_BIND_SERVICE" })
}

// allowedSeccomp reports whether the restricted level accepts a seccomp
// profile type: anything but no filtering at all.
func allowedSeccomp(t corev1.SeccompProfileType) bool {
	return t == corev1.SeccompProfileTypeRuntimeDefault || t == corev1.SeccompProfileTypeLocalhost
}
