package debug

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// testPod is a pod whose "app" container sets everything an ephemeral
// container may not have, so tests can check none of it leaks.
func testPod() *corev1.Pod {
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-7d4b9", Namespace: "shop"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "migrate", Image: "web:1"}},
			Containers: []corev1.Container{
				{
					Name:       "app",
					Image:      "web:1",
					Command:    []string{"/web"},
					Args:       []string{"--port=8080"},
					WorkingDir: "/srv",
					Ports:      []corev1.ContainerPort{{ContainerPort: 8080}},
					Env: []corev1.EnvVar{
						{Name: "MODE", Value: "prod"},
						{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
							LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password",
						}}},
					},
					EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"},
					}}},
					Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}},
					ResizePolicy: []corev1.ContainerResizePolicy{{
						ResourceName: corev1.ResourceCPU, RestartPolicy: corev1.NotRequired,
					}},
					VolumeMounts: []corev1.VolumeMount{
						{Name: "data", MountPath: "/data"},
						{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true},
					},
					VolumeDevices:  []corev1.VolumeDevice{{Name: "raw", DevicePath: "/dev/xvdb"}},
					LivenessProbe:  probe,
					ReadinessProbe: probe,
					StartupProbe:   probe,
					Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
						Exec: &corev1.ExecAction{Command: []string{"sleep", "5"}},
					}},
					SecurityContext: &corev1.SecurityContext{ReadOnlyRootFilesystem: new(true)},
				},
				{Name: "sidecar", Image: "proxy:1"},
			},
			EphemeralContainers: []corev1.EphemeralContainer{{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "eshell-old01", Image: "busybox"},
			}},
		},
	}
}

func testOptions() ContainerOptions {
	return ContainerOptions{
		Name:    "eshell-x7k2p",
		Image:   "busybox:1.37",
		Target:  "app",
		Command: []string{"sh"},
		Stdin:   true,
		TTY:     true,
		Profile: ProfileGeneral,
		User:    "alice@example.com",
	}
}

func TestGenerateEphemeralContainerFields(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*ContainerOptions)
		want   func(*corev1.EphemeralContainer)
	}{
		{
			name:   "interactive shell",
			modify: func(*ContainerOptions) {},
			want:   func(*corev1.EphemeralContainer) {},
		},
		{
			name:   "command without stdin keeps stdin closed",
			modify: func(o *ContainerOptions) { o.Stdin, o.TTY, o.Command = false, false, []string{"ps", "aux"} },
			want: func(ec *corev1.EphemeralContainer) {
				ec.Stdin, ec.StdinOnce, ec.TTY, ec.Command = false, false, false, []string{"ps", "aux"}
			},
		},
		{
			name:   "stdin without tty",
			modify: func(o *ContainerOptions) { o.TTY = false },
			want:   func(ec *corev1.EphemeralContainer) { ec.TTY = false },
		},
		{
			name:   "wrapped command is kept as given",
			modify: func(o *ContainerOptions) { o.Command = []string{"/bin/sh", "-c", "cd /proc/1/root && exec sh"} },
			want: func(ec *corev1.EphemeralContainer) {
				ec.Command = []string{"/bin/sh", "-c", "cd /proc/1/root && exec sh"}
			},
		},
		{
			name:   "other target",
			modify: func(o *ContainerOptions) { o.Target = "sidecar" },
			want:   func(ec *corev1.EphemeralContainer) { ec.TargetContainerName = "sidecar" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions()
			tt.modify(&o)
			want := &corev1.EphemeralContainer{
				TargetContainerName: "app",
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{
					Name:                     "eshell-x7k2p",
					Image:                    "busybox:1.37",
					ImagePullPolicy:          corev1.PullIfNotPresent,
					Command:                  []string{"sh"},
					Stdin:                    true,
					StdinOnce:                true,
					TTY:                      true,
					TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
					Env:                      []corev1.EnvVar{{Name: keys.DebugUserEnv, Value: "alice@example.com"}},
					SecurityContext: &corev1.SecurityContext{
						Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}},
					},
				},
			}
			tt.want(want)

			got, warnings, err := GenerateEphemeralContainer(testPod(), o)
			if err != nil {
				t.Fatalf("GenerateEphemeralContainer: %v", err)
			}
			if len(warnings) > 0 {
				t.Errorf("unexpected warnings: %q", warnings)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("container mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGenerateEphemeralContainerEnv(t *testing.T) {
	user := corev1.EnvVar{Name: keys.DebugUserEnv, Value: "alice@example.com"}
	secretRef := corev1.EnvVar{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password",
	}}}
	configRef := []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"},
	}}}
	tests := []struct {
		name        string
		copyEnv     bool
		user        string
		modifyPod   func(*corev1.Pod)
		wantEnv     []corev1.EnvVar
		wantEnvFrom []corev1.EnvFromSource
	}{
		{
			name:    "without CopyEnv only the user is set",
			user:    "alice@example.com",
			wantEnv: []corev1.EnvVar{user},
		},
		{
			name:        "CopyEnv keeps secret references as references",
			copyEnv:     true,
			user:        "alice@example.com",
			wantEnv:     []corev1.EnvVar{{Name: "MODE", Value: "prod"}, secretRef, user},
			wantEnvFrom: configRef,
		},
		{
			name:    "the user is set even when empty",
			wantEnv: []corev1.EnvVar{{Name: keys.DebugUserEnv}},
		},
		{
			name:    "a copied user variable never stands in for ours",
			copyEnv: true,
			user:    "alice@example.com",
			modifyPod: func(p *corev1.Pod) {
				p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: keys.DebugUserEnv, Value: "mallory"}, {Name: "MODE", Value: "prod"}}
				p.Spec.Containers[0].EnvFrom = nil
			},
			wantEnv: []corev1.EnvVar{{Name: "MODE", Value: "prod"}, user},
		},
		{
			name:    "resourceFieldRef of the target itself is pinned to the target",
			copyEnv: true,
			user:    "alice@example.com",
			modifyPod: func(p *corev1.Pod) {
				p.Spec.Containers[0].EnvFrom = nil
				p.Spec.Containers[0].Env = []corev1.EnvVar{
					{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory"}}},
					{Name: "PROXY_CPU", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "sidecar", Resource: "limits.cpu"}}},
					{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				}
			},
			wantEnv: []corev1.EnvVar{
				{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "app", Resource: "limits.memory"}}},
				{Name: "PROXY_CPU", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "sidecar", Resource: "limits.cpu"}}},
				{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				user,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			if tt.modifyPod != nil {
				tt.modifyPod(pod)
			}
			before := pod.DeepCopy()
			o := testOptions()
			o.CopyEnv, o.User = tt.copyEnv, tt.user

			got, _, err := GenerateEphemeralContainer(pod, o)
			if err != nil {
				t.Fatalf("GenerateEphemeralContainer: %v", err)
			}
			if diff := cmp.Diff(tt.wantEnv, got.Env); diff != "" {
				t.Errorf("env mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEnvFrom, got.EnvFrom); diff != "" {
				t.Errorf("envFrom mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, pod); diff != "" {
				t.Errorf("pod was modified (-before +after):\n%s", diff)
			}
		})
	}
}

func TestGenerateEphemeralContainerMounts(t *testing.T) {
	data := corev1.VolumeMount{Name: "data", MountPath: "/data"}
	token := corev1.VolumeMount{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}
	tests := []struct {
		name         string
		copyMounts   bool
		profile      string
		mounts       []corev1.VolumeMount
		want         []corev1.VolumeMount
		wantWarnings []string
	}{
		{
			name:   "without CopyMounts nothing is mounted",
			mounts: []corev1.VolumeMount{data},
		},
		{
			name:       "mounts are copied at the same paths",
			copyMounts: true,
			mounts:     []corev1.VolumeMount{data, token},
			want:       []corev1.VolumeMount{data, token},
		},
		{
			name:       "subPath mounts are skipped",
			copyMounts: true,
			mounts: []corev1.VolumeMount{
				data,
				{Name: "config", MountPath: "/etc/web/web.yaml", SubPath: "web.yaml", ReadOnly: true},
			},
			want:         []corev1.VolumeMount{data},
			wantWarnings: []string{`not mounting volume "config" at /etc/web/web.yaml: ephemeral containers may not use subPath ("web.yaml")`},
		},
		{
			name:       "subPathExpr mounts are skipped",
			copyMounts: true,
			mounts: []corev1.VolumeMount{
				{Name: "logs", MountPath: "/var/log/web", SubPathExpr: "$(POD_NAME)"},
				token,
			},
			want:         []corev1.VolumeMount{token},
			wantWarnings: []string{`not mounting volume "logs" at /var/log/web: ephemeral containers may not use subPathExpr ("$(POD_NAME)")`},
		},
		{
			name:       "bidirectional propagation is downgraded for unprivileged profiles",
			copyMounts: true,
			mounts: []corev1.VolumeMount{
				{Name: "host", MountPath: "/host", MountPropagation: new(corev1.MountPropagationBidirectional)},
				{Name: "host2", MountPath: "/host2", MountPropagation: new(corev1.MountPropagationHostToContainer)},
			},
			want: []corev1.VolumeMount{
				{Name: "host", MountPath: "/host", MountPropagation: new(corev1.MountPropagationHostToContainer)},
				{Name: "host2", MountPath: "/host2", MountPropagation: new(corev1.MountPropagationHostToContainer)},
			},
			wantWarnings: []string{`mounting volume "host" at /host with HostToContainer propagation: Bidirectional needs --profile sysadmin`},
		},
		{
			name:       "bidirectional propagation is kept for sysadmin",
			copyMounts: true,
			profile:    ProfileSysadmin,
			mounts:     []corev1.VolumeMount{{Name: "host", MountPath: "/host", MountPropagation: new(corev1.MountPropagationBidirectional)}},
			want:       []corev1.VolumeMount{{Name: "host", MountPath: "/host", MountPropagation: new(corev1.MountPropagationBidirectional)}},
		},
		{
			name:       "recursive read-only is kept",
			copyMounts: true,
			mounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data", ReadOnly: true,
				RecursiveReadOnly: new(corev1.RecursiveReadOnlyIfPossible)}},
			want: []corev1.VolumeMount{{Name: "data", MountPath: "/data", ReadOnly: true,
				RecursiveReadOnly: new(corev1.RecursiveReadOnlyIfPossible)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			pod.Spec.Containers[0].VolumeMounts = tt.mounts
			o := testOptions()
			o.CopyMounts = tt.copyMounts
			if tt.profile != "" {
				o.Profile = tt.profile
			}

			got, warnings, err := GenerateEphemeralContainer(pod, o)
			if err != nil {
				t.Fatalf("GenerateEphemeralContainer: %v", err)
			}
			if diff := cmp.Diff(tt.want, got.VolumeMounts); diff != "" {
				t.Errorf("mounts mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
			if got.VolumeDevices != nil {
				t.Errorf("volumeDevices copied: %v", got.VolumeDevices)
			}
		})
	}
}

// ephemeralAllowedFields mirrors the allow list the API server checks
// ephemeral containers against (allowedEphemeralContainerFields in
// k8s.io/kubernetes pkg/apis/core/validation): any other field that is set
// gets the update rejected.
var ephemeralAllowedFields = map[string]bool{
	"Name": true, "Image": true, "Command": true, "Args": true, "WorkingDir": true,
	"EnvFrom": true, "Env": true, "VolumeMounts": true, "VolumeDevices": true,
	"TerminationMessagePath": true, "TerminationMessagePolicy": true, "ImagePullPolicy": true,
	"SecurityContext": true, "Stdin": true, "StdinOnce": true, "TTY": true,
}

func TestGenerateEphemeralContainerOnlyAllowedFields(t *testing.T) {
	for _, profile := range ProfileNames()[1:] {
		t.Run(profile, func(t *testing.T) {
			o := testOptions()
			o.CopyEnv, o.CopyMounts, o.Profile = true, true, profile
			pod := testPod()
			pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts,
				corev1.VolumeMount{Name: "config", MountPath: "/etc/web.yaml", SubPath: "web.yaml"},
				corev1.VolumeMount{Name: "logs", MountPath: "/logs", SubPathExpr: "$(POD)"})

			ec, _, err := GenerateEphemeralContainer(pod, o)
			if err != nil {
				t.Fatalf("GenerateEphemeralContainer: %v", err)
			}
			v, typ := reflect.ValueOf(ec.EphemeralContainerCommon), reflect.TypeOf(ec.EphemeralContainerCommon)
			for i := range typ.NumField() {
				if f := typ.Field(i); !ephemeralAllowedFields[f.Name] && !v.Field(i).IsZero() {
					t.Errorf("field %s is set, but the API forbids it in ephemeral containers", f.Name)
				}
			}
			for _, m := range ec.VolumeMounts {
				if m.SubPath != "" || m.SubPathExpr != "" {
					t.Errorf("mount %q has subPath %q / subPathExpr %q, which the API forbids in ephemeral containers", m.Name, m.SubPath, m.SubPathExpr)
				}
			}
			// Allowed, but not wanted: the shell runs the debug image.
			if ec.Args != nil || ec.WorkingDir != "" || ec.VolumeDevices != nil {
				t.Errorf("copied args %q, workingDir %q or volumeDevices %v from the target", ec.Args, ec.WorkingDir, ec.VolumeDevices)
			}
		})
	}
}

func TestGenerateEphemeralContainerErrors(t *testing.T) {
	tests := []struct {
		name      string
		pod       func() *corev1.Pod
		modify    func(*ContainerOptions)
		wantParts []string
	}{
		{
			name:      "no pod",
			pod:       func() *corev1.Pod { return nil },
			modify:    func(*ContainerOptions) {},
			wantParts: []string{"no pod"},
		},
		{
			name:      "unknown target lists the containers",
			modify:    func(o *ContainerOptions) { o.Target = "db" },
			wantParts: []string{`container "db" not found in pod "web-7d4b9"`, "-c", "app, sidecar"},
		},
		{
			name:      "init containers are no targets",
			modify:    func(o *ContainerOptions) { o.Target = "migrate" },
			wantParts: []string{`container "migrate" not found`, "app, sidecar"},
		},
		{
			name:      "no target",
			modify:    func(o *ContainerOptions) { o.Target = "" },
			wantParts: []string{"no target container", "-c", "app, sidecar"},
		},
		{
			name:      "no image",
			modify:    func(o *ContainerOptions) { o.Image = " " },
			wantParts: []string{"no image", "--image"},
		},
		{
			name:      "image with whitespace",
			modify:    func(o *ContainerOptions) { o.Image = "busybox " },
			wantParts: []string{"whitespace"},
		},
		{
			name:      "no command",
			modify:    func(o *ContainerOptions) { o.Command = nil },
			wantParts: []string{"no command"},
		},
		{
			name:      "auto is not resolved",
			modify:    func(o *ContainerOptions) { o.Profile = ProfileAuto },
			wantParts: []string{`profile "auto" is not resolved`, "ResolveProfile"},
		},
		{
			name:      "empty profile is not resolved",
			modify:    func(o *ContainerOptions) { o.Profile = "" },
			wantParts: []string{`profile "" is not resolved`},
		},
		{
			name:      "unknown profile",
			modify:    func(o *ContainerOptions) { o.Profile = "root" },
			wantParts: []string{`unknown profile "root"`, "general, baseline, restricted, netadmin, sysadmin"},
		},
		{
			name:      "name without prefix",
			modify:    func(o *ContainerOptions) { o.Name = "debugger-x7k2p" },
			wantParts: []string{`"debugger-x7k2p" must start with "eshell-"`},
		},
		{
			name:      "invalid name",
			modify:    func(o *ContainerOptions) { o.Name = "eshell-X7K2P" },
			wantParts: []string{`"eshell-X7K2P" is not a valid container name`},
		},
		{
			name:      "ephemeral container names can't be reused",
			modify:    func(o *ContainerOptions) { o.Name = "eshell-old01" },
			wantParts: []string{`already has an ephemeral container named "eshell-old01"`, "can't be reused", "choose another name"},
		},
		{
			name: "names are unique across all containers",
			pod: func() *corev1.Pod {
				p := testPod()
				p.Spec.InitContainers[0].Name = "eshell-x7k2p"
				return p
			},
			modify:    func(*ContainerOptions) {},
			wantParts: []string{`already has a container named "eshell-x7k2p"`, "choose another name"},
		},
		{
			name: "windows pods reject linux security settings",
			pod: func() *corev1.Pod {
				p := testPod()
				p.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
				return p
			},
			modify:    func(o *ContainerOptions) { o.Profile = ProfileRestricted },
			wantParts: []string{"runs Windows", "--profile restricted", "use --profile baseline"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			if tt.pod != nil {
				pod = tt.pod()
			}
			o := testOptions()
			tt.modify(&o)

			ec, _, err := GenerateEphemeralContainer(pod, o)
			if err == nil {
				t.Fatalf("GenerateEphemeralContainer succeeded with %+v, want an error", ec)
			}
			for _, part := range tt.wantParts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not mention %q", err, part)
				}
			}
		})
	}
}

func TestGenerateEphemeralContainerWindowsBaseline(t *testing.T) {
	// Baseline sets no Linux security fields, so it is the way in for Windows pods.
	pod := testPod()
	pod.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
	o := testOptions()
	o.Profile = ProfileBaseline
	ec, _, err := GenerateEphemeralContainer(pod, o)
	if err != nil {
		t.Fatalf("GenerateEphemeralContainer: %v", err)
	}
	if ec.SecurityContext != nil {
		t.Errorf("securityContext = %+v, want none", ec.SecurityContext)
	}
}
