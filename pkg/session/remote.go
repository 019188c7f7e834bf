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
	// Streamer connects exec and attach requests; nil is the API server
	// of Config and Client (WebSocket, falling back to SPDY). Unit tests
	// give a fake that runs their own remote programs.
	Streamer Streamer
}

// StreamRequest is one exec or attach request, as the API server takes it.
type StreamRequest struct {
	Namespace, Pod, Container string
	// Attach connects to the container's main process; else Command is
	// exec'd beside it.
	Attach  bool
	Command []string
	Stdin   bool
	TTY     bool
}

// Streamer streams one exec or attach request until the remote process
// ends or ctx is cancelled. A remote process's non-zero exit is reported
// as the API server's executors report it (a utilexec.CodeExitError);
// any other error is a stream that failed or was lost.
type Streamer interface {
	Stream(ctx context.Context, req StreamRequest, opts remotecommand.StreamOptions) error
}

// Exec runs argv in a container and streams it through Run.
func (r Remote) Exec(ctx context.Context, s Streams, ns, pod, container string, argv []string) error {
	return r.stream(ctx, s, StreamRequest{Namespace: ns, Pod: pod, Container: container, Command: argv})
}

// Attach connects to a container's main process (clone and debug modes).
func (r Remote) Attach(ctx context.Context, s Streams, ns, pod, container string) error {
	return r.stream(ctx, s, StreamRequest{Namespace: ns, Pod: pod, Container: container, Attach: true})
}

func (r Remote) stream(ctx context.Context, s Streams, req StreamRequest) error {
	req.Stdin, req.TTY = s.Stdin || s.Preamble != "", s.TTY
	streamer := r.Streamer
	if streamer == nil {
		streamer = apiStreamer{config: r.Config, client: r.Client}
	}
	return Run(ctx, s, func(ctx context.Context, opts remotecommand.StreamOptions) error {
		return streamer.Stream(ctx, req, opts)
	})
}

// apiStreamer is the API server's exec and attach.
type apiStreamer struct {
	config *rest.Config
	client kubernetes.Interface
}

func (a apiStreamer) Stream(ctx context.Context, req StreamRequest, opts remotecommand.StreamOptions) error {
	post := a.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(req.Namespace).Name(req.Pod)
	if req.Attach {
		post = post.SubResource("attach").VersionedParams(&corev1.PodAttachOptions{
			Container: req.Container, Stdin: req.Stdin, Stdout: true, Stderr: !req.TTY, TTY: req.TTY,
		}, scheme.ParameterCodec)
	} else {
		post = post.SubResource("exec").VersionedParams(&corev1.PodExecOptions{
			Container: req.Container, Command: req.Command, Stdin: req.Stdin, Stdout: true, Stderr: !req.TTY, TTY: req.TTY,
		}, scheme.ParameterCodec)
	}
	ex, err := NewExecutor(a.config, post.URL())
	if err != nil {
		return err
	}
	return ex.StreamWithContext(ctx, opts)
}
