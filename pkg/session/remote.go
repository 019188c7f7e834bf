package session

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// Remote is what a session needs to reach a cluster.
type Remote struct {
	Config *rest.Config
	Client kubernetes.Interface
}

// Exec runs argv in a container and streams it through Run.
func (r Remote) Exec(ctx context.Context, s Streams, ns, pod, container string, argv []string) error {
	u := r.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: container, Command: argv, Stdin: s.Stdin || s.Preamble != "", Stdout: true, Stderr: !s.TTY, TTY: s.TTY,
		}, scheme.ParameterCodec).URL()
	return r.stream(ctx, s, u.String())
}

// Attach connects to a container's main process (clone and debug modes).
func (r Remote) Attach(ctx context.Context, s Streams, ns, pod, container string) error {
	u := r.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("attach").
		VersionedParams(&corev1.PodAttachOptions{
			Container: container, Stdin: s.Stdin || s.Preamble != "", Stdout: true, Stderr: !s.TTY, TTY: s.TTY,
		}, scheme.ParameterCodec).URL()
	return r.stream(ctx, s, u.String())
}

func (r Remote) stream(ctx context.Context, s Streams, rawURL string) error {
	return Run(ctx, s, func(ctx context.Context, opts remotecommand.StreamOptions) error {
		u, err := parseURL(rawURL)
		if err != nil {
			return err
		}
		ex, err := NewExecutor(r.Config, u)
		if err != nil {
			return err
		}
		return ex.StreamWithContext(ctx, opts)
	})
}
