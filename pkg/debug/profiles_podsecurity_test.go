package debug

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestPodSecurityViolations(t *testing.T) {
	compliant := func() *corev1.SecurityContext {
		return &corev1.SecurityContext{
			RunAsNonRoot:             new(true),
			AllowPrivilegeEscalation: new(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
	}
	with := func(change func(*corev1.SecurityContext)) *corev1.SecurityContext {
		sc := compliant()
		change(sc)
		return sc
	}
	tests := []struct {
		name  string
		pod   *corev1.PodSecurityContext
		users *bool // pod.spec.hostUsers
		sc    *corev1.SecurityContext
		level string
		want  []string
	}{
		{name: "privileged judges nothing", sc: &corev1.SecurityContext{Privileged: new(true)}, level: "privileged"},
		{name: "no securityContext passes baseline", level: "baseline"},
		{
			name: "no securityContext breaks restricted", level: "restricted",
			want: []string{"allowPrivilegeEscalation != false", "unrestricted capabilities", "runAsNonRoot != true", "seccompProfile"},
		},
		{name: "compliant passes restricted", sc: compliant(), level: "restricted"},
		{
			name:  "baseline capabilities pass baseline",
			sc:    &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"CHOWN", "KILL", "SYS_CHROOT"}}},
			level: "baseline",
		},
		{
			name:  "SYS_PTRACE breaks baseline",
			sc:    &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}},
			level: "baseline", want: []string{"non-default capabilities"},
		},
		{
			name:  "baseline reports capabilities before privileged",
			sc:    &corev1.SecurityContext{Privileged: new(true), Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}},
			level: "baseline", want: []string{"non-default capabilities", "privileged"},
		},
		{
			name:  "unconfined seccomp breaks baseline",
			sc:    &corev1.SecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}},
			level: "baseline", want: []string{"seccompProfile"},
		},
		{
			name:  "NET_BIND_SERVICE is the one capability restricted allows",
			sc:    with(func(sc *corev1.SecurityContext) { sc.Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE"} }),
			level: "restricted",
		},
		{
			name:  "adding a baseline capability breaks restricted",
			sc:    with(func(sc *corev1.SecurityContext) { sc.Capabilities.Add = []corev1.Capability{"CHOWN"} }),
			level: "restricted", want: []string{"unrestricted capabilities"},
		},
		{
			name:  "not dropping ALL breaks restricted",
			sc:    with(func(sc *corev1.SecurityContext) { sc.Capabilities.Drop = []corev1.Capability{"NET_RAW"} }),
			level: "restricted", want: []string{"unrestricted capabilities"},
		},
		{
			name:  "allowPrivilegeEscalation true breaks restricted",
			sc:    with(func(sc *corev1.SecurityContext) { sc.AllowPrivilegeEscalation = new(true) }),
			level: "restricted", want: []string{"allowPrivilegeEscalation != false"},
		},
		{
			name:  "runAsNonRoot is inherited from the pod",
			pod:   &corev1.PodSecurityContext{RunAsNonRoot: new(true)},
			sc:    with(func(sc *corev1.SecurityContext) { sc.RunAsNonRoot = nil }),
			level: "restricted",
		},
		{
			name:  "runAsNonRoot false in the container wins over the pod",
			pod:   &corev1.PodSecurityContext{RunAsNonRoot: new(true)},
			sc:    with(func(sc *corev1.SecurityContext) { sc.RunAsNonRoot = new(false) }),
			level: "restricted", want: []string{"runAsNonRoot != true"},
		},
		{
			name:  "root user breaks restricted",
			sc:    with(func(sc *corev1.SecurityContext) { sc.RunAsUser = new(int64(0)) }),
			level: "restricted", want: []string{"runAsUser=0"},
		},
		{
			name:  "user namespaces spare the root rules",
			users: new(false),
			sc:    with(func(sc *corev1.SecurityContext) { sc.RunAsNonRoot, sc.RunAsUser = new(false), new(int64(0)) }),
			level: "restricted",
		},
		{
			name:  "seccomp is inherited from the pod",
			pod:   &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost}},
			sc:    with(func(sc *corev1.SecurityContext) { sc.SeccompProfile = nil }),
			level: "restricted",
		},
		{
			// Pod Security Admission blames the pod's Unconfined, not the
			// container that inherits it: the pod breaks the rule by itself.
			name:  "unconfined pod seccomp is the pod's",
			pod:   &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}},
			sc:    with(func(sc *corev1.SecurityContext) { sc.SeccompProfile = nil }),
			level: "restricted", want: nil,
		},
		{
			name: "an unconfined container is blamed even in an unconfined pod",
			pod:  &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}},
			sc: with(func(sc *corev1.SecurityContext) {
				sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
			}),
			level: "restricted", want: []string{"seccompProfile"},
		},
		{
			name:  "unknown levels are judged as restricted",
			sc:    with(func(sc *corev1.SecurityContext) { sc.AllowPrivilegeEscalation = nil }),
			level: "Restricted", want: []string{"allowPrivilegeEscalation != false"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{SecurityContext: tt.pod, HostUsers: tt.users}}
			ec := &corev1.EphemeralContainer{}
			ec.SecurityContext = tt.sc
			if diff := cmp.Diff(tt.want, podSecurityViolations(pod, ec, tt.level)); diff != "" {
				t.Errorf("violations mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
