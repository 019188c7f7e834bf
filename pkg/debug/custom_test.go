package debug

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/sberz/kubectl-eshell/pkg/custom"
	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// TestGenerateWithCustom: --custom and --run-as are merged over the
// container the profile built, and what breaks the profile's level is
// refused with the field and its flag named.
func TestGenerateWithCustom(t *testing.T) {
	uid := int64(1000)
	tests := []struct {
		name    string
		file    string // --custom content; "" for none
		runAs   *custom.User
		profile string
		podUser *int64 // the target container's runAsUser
		wantErr []string
		check   func(*testing.T, *corev1.EphemeralContainer)
	}{
		{name: "capability under general", file: "securityContext: {capabilities: {add: [NET_ADMIN]}}", profile: ProfileGeneral,
			check: func(t *testing.T, ec *corev1.EphemeralContainer) {
				caps := ec.SecurityContext.Capabilities.Add
				if len(caps) != 1 || caps[0] != "NET_ADMIN" {
					t.Errorf("capabilities.add = %v, want the file's list (a list is replaced)", caps)
				}
			}},
		{name: "capability under restricted names the field", file: "securityContext: {capabilities: {add: [NET_ADMIN]}}", profile: ProfileRestricted,
			wantErr: []string{`securityContext.capabilities.add=["NET_ADMIN"] set by --custom f.yaml`, "--profile restricted", "use --profile baseline"}},
		{name: "privileged under baseline", file: "securityContext: {privileged: true}", profile: ProfileBaseline,
			wantErr: []string{"securityContext.privileged=true set by --custom f.yaml", "--profile baseline", "use --profile general"}},
		{name: "root under restricted names --run-as", runAs: &custom.User{Given: true}, profile: ProfileRestricted,
			wantErr: []string{"securityContext.runAsUser=0 set by --run-as", "securityContext.runAsNonRoot=false set by --run-as", "--profile restricted"}},
		{name: "root under baseline", runAs: &custom.User{Given: true}, profile: ProfileBaseline,
			check: func(t *testing.T, ec *corev1.EphemeralContainer) {
				if sc := ec.SecurityContext; *sc.RunAsUser != 0 || *sc.RunAsNonRoot {
					t.Errorf("securityContext = %+v", sc)
				}
			}},
		{name: "a uid under restricted", runAs: &custom.User{Given: true, UID: 4242}, profile: ProfileRestricted,
			check: func(t *testing.T, ec *corev1.EphemeralContainer) {
				if *ec.SecurityContext.RunAsUser != 4242 {
					t.Errorf("runAsUser = %d", *ec.SecurityContext.RunAsUser)
				}
			}},
		{name: "target reads the target container", runAs: &custom.User{Given: true, Target: true}, podUser: &uid, profile: ProfileGeneral,
			check: func(t *testing.T, ec *corev1.EphemeralContainer) {
				if *ec.SecurityContext.RunAsUser != 1000 {
					t.Errorf("runAsUser = %d", *ec.SecurityContext.RunAsUser)
				}
			}},
		{name: "target without a user says so", runAs: &custom.User{Given: true, Target: true}, profile: ProfileGeneral,
			wantErr: []string{"--run-as target", "pass --run-as UID"}},
		{name: "env merges with the copied env", file: "env: [{name: MODE, value: debug}]", profile: ProfileGeneral,
			check: func(t *testing.T, ec *corev1.EphemeralContainer) {
				if len(ec.Env) != 2 || ec.Env[0].Value != "debug" || ec.Env[1].Name != keys.DebugUserEnv {
					t.Errorf("env = %v", ec.Env)
				}
				if ec.Command[0] != "sh" || !ec.Stdin || ec.Name != "eshell-x7k2p" {
					t.Errorf("what eshell depends on changed: %+v", ec)
				}
			}},
		{name: "a mount of the pod's volume", file: "volumeMounts: [{name: data, mountPath: /more}]", profile: ProfileGeneral,
			check: func(t *testing.T, ec *corev1.EphemeralContainer) {
				if got := ec.VolumeMounts[len(ec.VolumeMounts)-1]; got.MountPath != "/more" {
					t.Errorf("mounts = %v", ec.VolumeMounts)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			pod.Spec.Containers[0].SecurityContext.RunAsUser = tt.podUser
			var spec *custom.Spec
			if tt.file != "" {
				var err error
				if spec, err = custom.Parse("f.yaml", []byte(tt.file)); err != nil {
					t.Fatal(err)
				}
			}
			if tt.runAs != nil {
				var err error
				if spec, err = spec.WithUser(*tt.runAs); err != nil {
					t.Fatal(err)
				}
			}
			o := testOptions()
			o.Profile, o.Custom = tt.profile, spec
			ec, _, err := GenerateEphemeralContainer(pod, o)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%v\nwants %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, ec)
		})
	}
}
