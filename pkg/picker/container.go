package picker

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// Container is one candidate of the container question.
type Container struct {
	Name, Image string
	// Sidecar: a native sidecar (an init container that keeps running).
	Sidecar bool
	// Default: named by the default-container annotation.
	Default bool
}

// Containers lists a pod template's containers for the question: the one the
// default-container annotation names first, then the app containers, then
// the native sidecars, each in template order.
func Containers(t corev1.PodTemplateSpec) []Container {
	def := t.Annotations[keys.DefaultContainerAnnotation]
	var out []Container
	for _, c := range t.Spec.Containers {
		out = append(out, Container{Name: c.Name, Image: c.Image, Default: def != "" && c.Name == def})
	}
	for _, c := range t.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, Container{Name: c.Name, Image: c.Image, Sidecar: true, Default: def != "" && c.Name == def})
		}
	}
	for i, c := range out {
		if c.Default && i > 0 {
			copy(out[1:i+1], out[:i])
			out[0] = c
			break
		}
	}
	return out
}

// ContainerRows renders containers as aligned rows: name, image and a note.
func ContainerRows(cs []Container) []string {
	rows := make([][]string, len(cs))
	for i, c := range cs {
		note := ""
		switch {
		case c.Default:
			note = "(default)"
		case c.Sidecar:
			note = "(sidecar)"
		}
		rows[i] = []string{c.Name, c.Image, note}
	}
	return Table(rows)
}
