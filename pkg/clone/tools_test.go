package clone

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/sberz/kubectl-eshell/pkg/shell"
)

func withToolsImage(o *Options) { o.ToolsImage = "busybox:1.37" }

// toolsRules are the rows of the shell-less step (withTools), run over
// every kind as rules are.
var toolsRules = []rule{
	{
		name: "without a tools image the clone has no copy and no tools volume",
		check: func(t *testing.T, _ Source, pod *corev1.Pod, _ []string) {
			if _, ok := initNamed(pod, ToolsContainer); ok {
				t.Error("a clone of an image with sh got the tools copy")
			}
			if _, ok := volumeNamed(pod, ToolsVolume); ok {
				t.Error("a clone of an image with sh got the tools volume")
			}
		},
	},
	{
		name: "the copy runs first, from the tools image, into an emptyDir",
		opts: withToolsImage,
		check: func(t *testing.T, _ Source, pod *corev1.Pod, _ []string) {
			if pod.Spec.InitContainers[0].Name != ToolsContainer {
				t.Fatalf("first init container is %q, want %q", pod.Spec.InitContainers[0].Name, ToolsContainer)
			}
			c := pod.Spec.InitContainers[0]
			eq(t, "image", "busybox:1.37", c.Image)
			eq(t, "command", shell.CopyTools(), c.Command)
			eq(t, "mounts", []corev1.VolumeMount{{Name: ToolsVolume, MountPath: shell.ToolsMount}}, c.VolumeMounts)
			if c.RestartPolicy != nil {
				t.Error("the copy is a sidecar; it must run once and end")
			}
			v, ok := volumeNamed(pod, ToolsVolume)
			if !ok || v.EmptyDir == nil {
				t.Fatalf("tools volume %v, want an emptyDir", v)
			}
		},
	},
	{
		name: "the app's container keeps its image, env, mounts and security, and mounts the tools read-only",
		opts: withToolsImage,
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			app, tmpl := only(t, pod), templateContainer(t, src, "app")
			eq(t, "image", tmpl.Image, app.Image)
			eq(t, "env", tmpl.Env, app.Env)
			eq(t, "security", tmpl.SecurityContext, app.SecurityContext)
			want := append(slices.Clone(tmpl.VolumeMounts), corev1.VolumeMount{Name: ToolsVolume, MountPath: shell.ToolsMount, ReadOnly: true})
			eq(t, "mounts", want, app.VolumeMounts)
		},
	},
	{
		name: "the copy has the app container's security context and resources",
		opts: withToolsImage,
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			tmpl := templateContainer(t, src, "app")
			c, _ := initNamed(pod, ToolsContainer)
			// The user is the next rows' (the template's pod must run as
			// non-root and names no user).
			security := c.SecurityContext.DeepCopy()
			security.RunAsUser = nil
			eq(t, "security", tmpl.SecurityContext, security)
			eq(t, "resources", tmpl.Resources, c.Resources)
		},
	},
	{
		name: "the copy runs as the overridden resources say",
		opts: func(o *Options) {
			withToolsImage(o)
			o.Overrides.Requests = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}
			o.Overrides.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}
		},
		check: func(t *testing.T, _ Source, pod *corev1.Pod, _ []string) {
			c, _ := initNamed(pod, ToolsContainer)
			eq(t, "limit", resource.MustParse("64Mi"), c.Resources.Limits[corev1.ResourceMemory])
			eq(t, "resources", only(t, pod).Resources, c.Resources)
		},
	},
	{
		name: "the copy gets a non-root user where the pod must run as non-root and names none",
		src: func(s *Source) {
			s.Template.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: new(true)}
		},
		opts: withToolsImage,
		check: func(t *testing.T, _ Source, pod *corev1.Pod, _ []string) {
			c, _ := initNamed(pod, ToolsContainer)
			if c.SecurityContext == nil || c.SecurityContext.RunAsUser == nil || *c.SecurityContext.RunAsUser != toolsUser {
				t.Errorf("copy security %+v, want runAsUser %d", c.SecurityContext, toolsUser)
			}
			if only(t, pod).SecurityContext.RunAsUser != nil {
				t.Error("the app's container got a user it did not ask for")
			}
		},
	},
	{
		name: "the copy runs as the pod's user when the pod names one",
		src: func(s *Source) {
			s.Template.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: new(true), RunAsUser: new(int64(1000))}
		},
		opts: withToolsImage,
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c, _ := initNamed(pod, ToolsContainer)
			eq(t, "security", templateContainer(t, src, "app").SecurityContext, c.SecurityContext)
			eq(t, "pod security", src.Template.Spec.SecurityContext, pod.Spec.SecurityContext)
		},
	},
	{
		name: "the copy runs as the container's user when the container names one",
		src: func(s *Source) {
			s.Template.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: new(true)}
			s.Template.Spec.Containers[0].SecurityContext.RunAsUser = new(int64(1001))
		},
		opts: withToolsImage,
		check: func(t *testing.T, _ Source, pod *corev1.Pod, _ []string) {
			c, _ := initNamed(pod, ToolsContainer)
			eq(t, "user", new(int64(1001)), c.SecurityContext.RunAsUser)
		},
	},
	{
		name: "kept init containers and sidecars run after the copy",
		opts: func(o *Options) { withToolsImage(o); o.KeepInitContainers = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			want := []string{ToolsContainer}
			for _, c := range src.Template.Spec.InitContainers {
				want = append(want, c.Name)
			}
			eq(t, "init containers", want, names(pod.Spec.InitContainers, func(c corev1.Container) string { return c.Name }))
		},
	},
}

func TestGeneratePodTools(t *testing.T) {
	for _, kind := range kinds {
		for _, r := range toolsRules {
			t.Run(kind+"/"+r.name, func(t *testing.T) {
				src := sourceFor(t, kind)
				if r.src != nil {
					r.src(&src)
				}
				o := defaultOptions()
				if r.opts != nil {
					r.opts(&o)
				}
				want := copySource(src)
				pod, warnings, err := GeneratePod(src, o)
				if err != nil {
					t.Fatalf("GeneratePod: %v", err)
				}
				r.check(t, want, pod, warnings)
			})
		}
	}
}

func TestGeneratePodToolsClash(t *testing.T) {
	tests := []struct {
		name  string
		src   func(*Source)
		parts []string
	}{
		{"volume name", func(s *Source) {
			addVolume(s, corev1.Volume{Name: ToolsVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		}, []string{`volume named "eshell-tools"`, "--mode debug"}},
		{"container name", func(s *Source) { s.Template.Spec.InitContainers[1].Name = ToolsContainer }, []string{`container named "eshell-tools"`, "rename it"}},
		{"mount at the tools", func(s *Source) {
			s.Template.Spec.Containers[0].VolumeMounts = append(s.Template.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "tmp", MountPath: "/.eshell"})
		}, []string{"mounts a volume at /.eshell"}},
		{"mount above the tools", func(s *Source) {
			s.Template.Spec.Containers[0].VolumeMounts = append(s.Template.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "tmp", MountPath: "/"})
		}, []string{"mounts a volume at /"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := sourceFor(t, "Deployment")
			tt.src(&src)
			o := defaultOptions()
			withToolsImage(&o)
			pod, _, err := GeneratePod(src, o)
			if err == nil {
				t.Fatalf("want an error, got pod %s", pod.Name)
			}
			if !containsAll(err.Error(), tt.parts) {
				t.Errorf("error %q does not contain all of %q", err, tt.parts)
			}
		})
	}
}

func TestShellLess(t *testing.T) {
	for image, want := range map[string]bool{
		"gcr.io/distroless/static-debian12:nonroot":   true,
		"gcr.io/distroless/base-debian12":             true,
		"gcr.io/distroless/java21-debian12@sha256:ab": true,
		"gcr.io/distroless/static-debian12:debug":     false,
		"gcr.io/distroless/base:debug-nonroot":        false,
		"cgr.dev/chainguard/static:latest":            true,
		"busybox:1.37":                                false,
		"registry.local:5000/distroless/app:1":        false,
		"registry.example.com/web:1.2.3":              false,
	} {
		if got := ShellLess(image); got != want {
			t.Errorf("ShellLess(%q) = %v, want %v", image, got, want)
		}
	}
}

func TestHasTools(t *testing.T) {
	src := sourceFor(t, "Deployment")
	o := defaultOptions()
	plain, _, err := GeneratePod(src, o)
	if err != nil {
		t.Fatal(err)
	}
	withToolsImage(&o)
	static, _, err := GeneratePod(src, o)
	if err != nil {
		t.Fatal(err)
	}
	if HasTools(plain, "app") || !HasTools(static, "app") || HasTools(static, "worker") {
		t.Errorf("HasTools: plain %v, static %v, other container %v", HasTools(plain, "app"), HasTools(static, "app"), HasTools(static, "worker"))
	}
}
