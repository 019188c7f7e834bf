package clone

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// ToolsContainer and ToolsVolume name the init container that copies a
// static shell into a shell-less clone and the emptyDir it copies into.
const (
	ToolsContainer = "eshell-tools"
	ToolsVolume    = "eshell-tools"
)

// withTools gives the session's container (spec.Containers[0]) the static
// shell of image: an emptyDir mounted at shell.ToolsMount, filled by an init
// container before the app's container starts. The app's container keeps
// its own image, filesystem, environment, user and mounts; only the
// directory is added. The copy runs first, before kept init containers and
// sidecars, which need nothing of it.
func withTools(spec *corev1.PodSpec, image string) error {
	app := &spec.Containers[0]
	for _, v := range spec.Volumes {
		if v.Name == ToolsVolume {
			return fmt.Errorf("the workload has a volume named %q, the name of the volume that brings a static shell into the clone; rename it, or drop --static-shell and use --mode debug", ToolsVolume)
		}
	}
	for _, c := range keptContainers(spec) {
		if c.Name == ToolsContainer {
			return fmt.Errorf("the workload has a container named %q, the name of the container that brings a static shell into the clone; rename it, or drop --static-shell and use --mode debug", ToolsContainer)
		}
	}
	for _, m := range app.VolumeMounts {
		if covers(m.MountPath, shell.ToolsMount) {
			return fmt.Errorf("container %q mounts a volume at %s, where the clone's static shell goes; drop --static-shell and use --mode debug", app.Name, m.MountPath)
		}
	}
	mount := corev1.VolumeMount{Name: ToolsVolume, MountPath: shell.ToolsMount}
	tools := corev1.Container{
		Name:    ToolsContainer,
		Image:   image,
		Command: shell.CopyTools(),
		// The app container's own security context: Pod Security judges
		// the copy as it judges the app (restricted admits it where it
		// admits the app), and the files are made by the user the app
		// runs as where the template names one.
		SecurityContext: toolsSecurity(app.SecurityContext, spec.SecurityContext),
		// The app's resources: an init container's count only up to the
		// largest of the pod's, so these add nothing to what the clone
		// asks of the node, and a quota or LimitRange that wants them set
		// finds them as on the app.
		Resources:                app.Resources,
		VolumeMounts:             []corev1.VolumeMount{mount},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	spec.InitContainers = append([]corev1.Container{tools}, spec.InitContainers...)
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: ToolsVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	// Read-only: the app's container runs the tools and has no reason to
	// change them, and a shell cannot replace what the lifeline runs.
	mount.ReadOnly = true
	app.VolumeMounts = append(app.VolumeMounts, mount)
	return nil
}

// covers reports whether a mount at dir hides path: path is dir or lies
// below it.
func covers(dir, path string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// toolsSecurity is the copy's security context: the app container's, and
// where the pod must run as non-root but names no user (the image's USER
// decides for the app, an image eshell cannot read), a non-root user of its
// own, because the busybox image runs as root, which the kubelet would
// refuse. Any non-root user can make the files: the emptyDir is writable
// by all, and what it holds stays readable and executable by all.
func toolsSecurity(app *corev1.SecurityContext, pod *corev1.PodSecurityContext) *corev1.SecurityContext {
	sc := app.DeepCopy()
	nonRoot, user := false, false
	if pod != nil {
		nonRoot = pod.RunAsNonRoot != nil && *pod.RunAsNonRoot
		user = pod.RunAsUser != nil
	}
	if sc != nil {
		if sc.RunAsNonRoot != nil {
			nonRoot = *sc.RunAsNonRoot
		}
		user = user || sc.RunAsUser != nil
	}
	if nonRoot && !user {
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		sc.RunAsUser = new(int64(toolsUser))
	}
	return sc
}

// toolsUser is the user the copy runs as when the pod must not run as root
// and names no user: distroless's nonroot, the user most shell-less images
// run as.
const toolsUser = 65532

// ShellLess reports whether image is one known to have no sh, so a clone
// of it gets the static shell without --static-shell: the distroless images
// (except their :debug tags, which carry busybox) and Chainguard's static.
// An image eshell does not know is tried as it is; if it has no shell the
// clone fails to start with a message that names --static-shell.
func ShellLess(image string) bool {
	name, tag := image, ""
	if i := strings.Index(name, "@"); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	switch {
	case strings.Contains(tag, "debug"):
		return false
	case strings.HasPrefix(name, "gcr.io/distroless/"), strings.HasPrefix(name, "cgr.dev/chainguard/static"):
		return true
	}
	return false
}

// HasTools reports whether container of pod is a shell-less clone's, which
// runs shells from shell.ToolsDir (see withTools).
func HasTools(pod *corev1.Pod, container string) bool {
	for _, c := range pod.Spec.Containers {
		if c.Name != container {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == ToolsVolume && m.MountPath == shell.ToolsMount {
				return true
			}
		}
	}
	return false
}
