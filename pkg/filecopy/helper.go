package filecopy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/debug"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Helper is the ephemeral container the copy runs in.
type Helper struct {
	Pod       *corev1.Pod
	Container string
	Profile   string
	// Run execs a script in it (see Runner).
	Run Runner
	// TargetID is the target container's runtime id, which its processes'
	// cgroups name.
	TargetID string
	release  func()
}

// Release ends the helper's lifeline: the container exits.
func (h *Helper) Release() {
	if h.release != nil {
		h.release()
	}
}

// StartHelper adds an ephemeral container with the plan's debug image next
// to the plan's container, with the profile the API server admits (chosen
// as the debug mode's --profile auto chooses), waits until it
// runs and holds its lifeline. Without a tar or a shell in the target, the
// helper's busybox does the copying.
func StartHelper(ctx context.Context, p plan.Plan, d plan.Deps) (*Helper, error) {
	pod := p.Pod
	user := d.User(ctx)
	s := &debug.Session{Remote: d.Remote, StartTimeout: p.Timeouts.PodRunningTimeout, Heartbeat: p.Timeouts.Heartbeat(), Progress: d.Progress}
	name := keys.DebugContainerPrefix + p.SessionID
	build := func(profile string) (*corev1.EphemeralContainer, []string, error) {
		return debug.GenerateEphemeralContainer(pod, debug.ContainerOptions{
			Name: name, Image: p.Image, Target: p.Container,
			Command: shell.LifelineScript(p.Timeouts.Heartbeat(), p.Timeouts.MaxDuration, false),
			Stdin:   true, Profile: profile, User: user,
		})
	}
	added, _, err := s.Add(ctx, pod, p.Debug.Profile, build)
	if err != nil {
		return nil, fmt.Errorf("adding the copy helper to pod %s: %w", pod.Name, err)
	}
	ec, profile, patched := added.EC, added.Profile, added.Pod
	d.Infof("Added copy helper %s (image %s, --profile %s) to pod %s, next to container %q; it stays in the pod spec (ephemeral containers cannot be removed)",
		name, ec.Image, profile, pod.Name, p.Container)
	running, err := s.WaitRunning(ctx, patched, name)
	if err != nil {
		return nil, err
	}
	life, err := d.Remote.HoldLifeline(ctx, pod.Namespace, running.Name, name, p.Timeouts.PodRunningTimeout, p.Timeouts.Heartbeat())
	if err != nil {
		return nil, err
	}
	h := &Helper{Pod: running, Container: name, Profile: profile, release: life.Release, TargetID: containerID(running, p.Container)}
	h.Run = execRunner(d.Remote, pod.Namespace, pod.Name, name)
	return h, nil
}

// containerID is the runtime's id of container name ("containerd://ID" in
// the pod's status), "" while unknown.
func containerID(pod *corev1.Pod, name string) string {
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == name {
			if _, id, ok := strings.Cut(st.ContainerID, "://"); ok {
				return id
			}
		}
	}
	return ""
}

// execRunner runs each script through one exec into the helper.
func execRunner(r session.Remote, ns, pod, container string) Runner {
	return func(ctx context.Context, script string, stdin io.Reader, stdout io.Writer) (string, error) {
		var stderr bytes.Buffer
		streams := session.Streams{IOStreams: genericiooptions.IOStreams{In: stdin, Out: stdout, ErrOut: &stderr}, Stdin: stdin != nil}
		err := r.Exec(ctx, streams, ns, pod, container, []string{"sh", "-c", script})
		return stderr.String(), err
	}
}
