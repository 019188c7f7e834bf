package debug

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// applyProfile runs p on a fresh container targeting the pod's first container.
func applyProfile(p profile, pod *corev1.Pod) *corev1.SecurityContext {
	ec := &corev1.EphemeralContainer{TargetContainerName: pod.Spec.Containers[0].Name}
	ec.Name = "eshell-test"
	p.apply(ec, pod)
	return ec.SecurityContext
}

// podWith returns a pod whose "app" container has sc, under pod-level psc.
func podWith(psc *corev1.PodSecurityContext, sc *corev1.SecurityContext) *corev1.Pod {
	return &corev1.Pod{Spec: corev1.PodSpec{
		SecurityContext: psc,
		Containers:      []corev1.Container{{Name: "app", SecurityContext: sc}},
	}}
}

func TestGeneralProfile(t *testing.T) {
	ptrace := &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want *corev1.SecurityContext
	}{
		{name: "bare pod", pod: podWith(nil, nil), want: ptrace},
		{
			// The target's own restrictions are its own; the shell is not bound by them.
			name: "target restrictions are not copied",
			pod:  podWith(nil, &corev1.SecurityContext{RunAsUser: new(int64(1000)), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}),
			want: ptrace,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, applyProfile(profiles[ProfileGeneral], tt.pod)); diff != "" {
				t.Errorf("securityContext mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBaselineProfile(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
	}{
		{name: "bare pod", pod: podWith(nil, nil)},
		{name: "privileged target", pod: podWith(nil, &corev1.SecurityContext{Privileged: new(true)})},
		{name: "restricted pod", pod: podWith(&corev1.PodSecurityContext{RunAsNonRoot: new(true)}, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := applyProfile(profiles[ProfileBaseline], tt.pod); got != nil {
				t.Errorf("securityContext = %+v, want none", got)
			}
		})
	}
}

func TestRestrictedProfile(t *testing.T) {
	// want builds the expected context: the fixed part plus what depends on the pod.
	want := func(uid *int64, seccomp bool) *corev1.SecurityContext {
		sc := &corev1.SecurityContext{
			RunAsNonRoot:             new(true),
			RunAsUser:                uid,
			AllowPrivilegeEscalation: new(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
		if seccomp {
			sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
		}
		return sc
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want *corev1.SecurityContext
	}{
		{
			name: "bare pod runs as nobody with RuntimeDefault",
			pod:  podWith(nil, nil),
			want: want(new(int64(65534)), true),
		},
		{
			name: "pod user is inherited",
			pod:  podWith(&corev1.PodSecurityContext{RunAsUser: new(int64(1000))}, nil),
			want: want(nil, true),
		},
		{
			name: "target user is copied",
			pod:  podWith(&corev1.PodSecurityContext{RunAsUser: new(int64(1000))}, &corev1.SecurityContext{RunAsUser: new(int64(2000))}),
			want: want(new(int64(2000)), true),
		},
		{
			name: "root pod user is replaced",
			pod:  podWith(&corev1.PodSecurityContext{RunAsUser: new(int64(0))}, nil),
			want: want(new(int64(65534)), true),
		},
		{
			name: "root target user falls back to the pod's",
			pod:  podWith(&corev1.PodSecurityContext{RunAsUser: new(int64(1000))}, &corev1.SecurityContext{RunAsUser: new(int64(0))}),
			want: want(nil, true),
		},
		{
			name: "pod seccomp RuntimeDefault is inherited",
			pod:  podWith(&corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}, nil),
			want: want(new(int64(65534)), false),
		},
		{
			name: "pod seccomp Localhost is inherited",
			pod: podWith(&corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{
				Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: new("profiles/web.json"),
			}}, nil),
			want: want(new(int64(65534)), false),
		},
		{
			name: "pod seccomp Unconfined is overridden",
			pod:  podWith(&corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}}, nil),
			want: want(new(int64(65534)), true),
		},
		{
			name: "target capabilities are not copied",
			pod:  podWith(nil, &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}}}),
			want: want(new(int64(65534)), true),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, applyProfile(restrictedProfile{}, tt.pod)); diff != "" {
				t.Errorf("securityContext mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNetadminProfile(t *testing.T) {
	want := &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}}}
	tests := []struct {
		name string
		pod  *corev1.Pod
	}{
		{name: "bare pod", pod: podWith(nil, nil)},
		{name: "target drops everything", pod: podWith(nil, &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(want, applyProfile(profiles[ProfileNetadmin], tt.pod)); diff != "" {
				t.Errorf("securityContext mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSysadminProfile(t *testing.T) {
	want := &corev1.SecurityContext{Privileged: new(true)}
	tests := []struct {
		name string
		pod  *corev1.Pod
	}{
		{name: "bare pod", pod: podWith(nil, nil)},
		{name: "non-root pod", pod: podWith(&corev1.PodSecurityContext{RunAsNonRoot: new(true), RunAsUser: new(int64(1000))}, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(want, applyProfile(profiles[ProfileSysadmin], tt.pod)); diff != "" {
				t.Errorf("securityContext mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRestrictedProfileSatisfiesRestricted checks each restricted rule on
// the generated container directly, field by field, independent of
// podSecurityViolations.
func TestRestrictedProfileSatisfiesRestricted(t *testing.T) {
	pods := map[string]*corev1.Pod{
		"bare":            podWith(nil, nil),
		"pod user":        podWith(&corev1.PodSecurityContext{RunAsUser: new(int64(1000))}, nil),
		"target user":     podWith(nil, &corev1.SecurityContext{RunAsUser: new(int64(1000))}),
		"root pod":        podWith(&corev1.PodSecurityContext{RunAsUser: new(int64(0)), RunAsNonRoot: new(false)}, nil),
		"unconfined pod":  podWith(&corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}}, nil),
		"runtime default": podWith(&corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}, nil),
	}
	for name, pod := range pods {
		t.Run(name, func(t *testing.T) {
			o := testOptions()
			o.Target, o.Profile = "app", ProfileRestricted
			ec, _, err := GenerateEphemeralContainer(pod, o)
			if err != nil {
				t.Fatalf("GenerateEphemeralContainer: %v", err)
			}
			sc, psc := ec.SecurityContext, pod.Spec.SecurityContext
			if psc == nil {
				psc = &corev1.PodSecurityContext{}
			}
			if sc == nil {
				t.Fatal("no securityContext")
			}
			if sc.Privileged != nil && *sc.Privileged {
				t.Error("privileged")
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Error("allowPrivilegeEscalation is not false")
			}
			if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
				t.Error(`capabilities do not drop "ALL"`)
			}
			if sc.Capabilities != nil && slices.ContainsFunc(sc.Capabilities.Add, func(c corev1.Capability) bool { return c != "NET_BIND_SERVICE" }) {
				t.Errorf("capabilities add %v", sc.Capabilities.Add)
			}
			if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
				t.Error("runAsNonRoot is not true")
			}
			uid := sc.RunAsUser
			if uid == nil {
				uid = psc.RunAsUser
			}
			if uid == nil || *uid == 0 {
				t.Errorf("runs as user %v, want a non-root user named", uid)
			}
			seccomp := sc.SeccompProfile
			if seccomp == nil {
				seccomp = psc.SeccompProfile
			}
			if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
				t.Errorf("seccompProfile %+v, want RuntimeDefault or Localhost", seccomp)
			}
			if v := podSecurityViolations(pod, ec, levelRestricted); len(v) > 0 {
				t.Errorf("podSecurityViolations = %q, want none", v)
			}
		})
	}
}

func TestProfileViolations(t *testing.T) {
	restrictedAll := []string{"allowPrivilegeEscalation != false", "unrestricted capabilities", "runAsNonRoot != true", "seccompProfile"}
	tests := []struct {
		profile, level string
		want           []string
	}{
		{ProfileGeneral, "privileged", nil},
		{ProfileGeneral, "baseline", []string{"non-default capabilities"}},
		{ProfileGeneral, "restricted", restrictedAll},
		{ProfileBaseline, "privileged", nil},
		{ProfileBaseline, "baseline", nil},
		{ProfileBaseline, "restricted", restrictedAll},
		{ProfileRestricted, "privileged", nil},
		{ProfileRestricted, "baseline", nil},
		{ProfileRestricted, "restricted", nil},
		{ProfileNetadmin, "privileged", nil},
		{ProfileNetadmin, "baseline", []string{"non-default capabilities"}},
		{ProfileNetadmin, "restricted", restrictedAll},
		{ProfileSysadmin, "privileged", nil},
		{ProfileSysadmin, "baseline", []string{"privileged"}},
		{ProfileSysadmin, "restricted", append([]string{"privileged"}, restrictedAll...)},
		// Pod Security enforces levels it doesn't know as restricted.
		{ProfileSysadmin, "strict", append([]string{"privileged"}, restrictedAll...)},
		{ProfileAuto, "restricted", nil},
		{"root", "restricted", nil},
	}
	for _, tt := range tests {
		t.Run(tt.profile+"/"+tt.level, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ProfileViolations(tt.profile, tt.level)); diff != "" {
				t.Errorf("ProfileViolations mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProfileViolationsMatchGeneratedContainers keeps the two halves
// consistent: what ProfileViolations explains must be what the container
// GenerateEphemeralContainer builds actually breaks.
func TestProfileViolationsMatchGeneratedContainers(t *testing.T) {
	for _, profile := range []string{ProfileGeneral, ProfileBaseline, ProfileRestricted, ProfileNetadmin, ProfileSysadmin} {
		for _, level := range []string{levelPrivileged, levelBaseline, levelRestricted} {
			t.Run(profile+"/"+level, func(t *testing.T) {
				pod := testPod()
				o := testOptions()
				o.Profile, o.CopyEnv, o.CopyMounts = profile, true, true
				ec, _, err := GenerateEphemeralContainer(pod, o)
				if err != nil {
					t.Fatalf("GenerateEphemeralContainer: %v", err)
				}
				want := ProfileViolations(profile, level)
				if diff := cmp.Diff(want, podSecurityViolations(pod, ec, level)); diff != "" {
					t.Errorf("violations of the generated container differ from ProfileViolations (-want +got):\n%s", diff)
				}
				if level == levelRestricted && profile != ProfileRestricted && len(want) == 0 {
					t.Errorf("--profile %s reports no restricted violations", profile)
				}
			})
		}
	}
}

func TestResolveProfile(t *testing.T) {
	ns := func(level string) map[string]string {
		l := map[string]string{"kubernetes.io/metadata.name": "shop"}
		if level != "" {
			l["pod-security.kubernetes.io/enforce"] = level
		}
		return l
	}
	tests := []struct {
		name        string
		requested   string
		labels      map[string]string
		want        string
		wantReason  string
		wantErrPart string
	}{
		{
			name: "auto without label", requested: "auto", labels: ns(""),
			want: "general", wantReason: `namespace "shop" sets no Pod Security enforce level; using --profile general`,
		},
		{
			name: "empty means auto", requested: "", labels: ns("baseline"),
			want: "baseline", wantReason: `namespace "shop" enforces Pod Security "baseline"; using --profile baseline`,
		},
		{
			name: "auto privileged", requested: "auto", labels: ns("privileged"),
			want: "general", wantReason: `namespace "shop" enforces Pod Security "privileged"; using --profile general`,
		},
		{
			name: "auto baseline", requested: "auto", labels: ns("baseline"),
			want: "baseline", wantReason: `namespace "shop" enforces Pod Security "baseline"; using --profile baseline`,
		},
		{
			name: "auto restricted", requested: "auto", labels: ns("restricted"),
			want: "restricted", wantReason: `namespace "shop" enforces Pod Security "restricted"; using --profile restricted`,
		},
		{
			name: "auto unknown level is restricted", requested: "auto", labels: ns("Restricted"),
			want:       "restricted",
			wantReason: `namespace "shop" has an unknown Pod Security enforce level "Restricted", which is enforced as "restricted"; using --profile restricted`,
		},
		{
			name: "auto without namespace name", requested: "auto", labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
			want: "restricted", wantReason: `the namespace enforces Pod Security "restricted"; using --profile restricted`,
		},
		{
			name: "auto with no labels", requested: "auto", labels: nil,
			want: "general", wantReason: `the namespace sets no Pod Security enforce level; using --profile general`,
		},
		{
			name: "concrete and admitted", requested: "netadmin", labels: ns("privileged"),
			want: "netadmin", wantReason: "using --profile netadmin as requested",
		},
		{
			name: "stricter than needed", requested: "restricted", labels: ns(""),
			want: "restricted", wantReason: "using --profile restricted as requested",
		},
		{
			name: "names are case-insensitive", requested: " Baseline ", labels: ns("baseline"),
			want: "baseline", wantReason: "using --profile baseline as requested",
		},
		{
			name: "sysadmin in restricted", requested: "sysadmin", labels: ns("restricted"),
			want: "sysadmin",
			wantReason: `--profile sysadmin will be rejected: namespace "shop" enforces Pod Security "restricted" ` +
				`(privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile); use --profile restricted`,
		},
		{
			name: "general in baseline", requested: "general", labels: ns("baseline"),
			want:       "general",
			wantReason: `--profile general will be rejected: namespace "shop" enforces Pod Security "baseline" (non-default capabilities); use --profile baseline`,
		},
		{
			name: "unknown name", requested: "root", labels: ns(""),
			wantErrPart: `unknown profile "root": use one of auto, general, baseline, restricted, netadmin, sysadmin`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, err := ResolveProfile(tt.requested, tt.labels)
			if tt.wantErrPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrPart) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErrPart)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveProfile: %v", err)
			}
			if got != tt.want {
				t.Errorf("profile = %q, want %q", got, tt.want)
			}
			if reason != tt.wantReason {
				t.Errorf("reason = %q\nwant     %q", reason, tt.wantReason)
			}
		})
	}
}

func TestResolvedProfilesAreAdmitted(t *testing.T) {
	// Whatever auto picks must pass the level it was picked for.
	for _, level := range []string{"", levelPrivileged, levelBaseline, levelRestricted, "bogus"} {
		t.Run(level, func(t *testing.T) {
			labels := map[string]string{}
			if level != "" {
				labels[podSecurityEnforceLabel] = level
			}
			p, _, err := ResolveProfile(ProfileAuto, labels)
			if err != nil {
				t.Fatalf("ResolveProfile: %v", err)
			}
			enforced, _, _ := enforcedLevel(labels)
			if v := ProfileViolations(p, enforced); len(v) > 0 {
				t.Errorf("auto picked %s, which %q rejects for %q", p, enforced, v)
			}
		})
	}
}

func TestProfileNames(t *testing.T) {
	names := ProfileNames()
	if names[0] != ProfileAuto {
		t.Errorf("first name = %q, want %q", names[0], ProfileAuto)
	}
	if len(names) != len(profiles)+1 {
		t.Errorf("ProfileNames() = %q, but there are %d concrete profiles", names, len(profiles))
	}
	for _, n := range names[1:] {
		if _, ok := profiles[n]; !ok {
			t.Errorf("%q has no profile", n)
		}
	}
}

// --profile is normalised once: case and space do not matter, empty is
// auto, and an unknown name is refused with the names to use.
func TestParseProfile(t *testing.T) {
	for _, c := range []struct{ in, want string }{{"", ProfileAuto}, {" General\t", ProfileGeneral}, {"AUTO", ProfileAuto}, {"netadmin", ProfileNetadmin}} {
		if got, err := ParseProfile(c.in); err != nil || got != c.want {
			t.Errorf("ParseProfile(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := ParseProfile("root"); err == nil || !strings.Contains(err.Error(), "use one of auto, general") {
		t.Errorf("ParseProfile(root) = %v, want the names to use", err)
	}
}
