package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/ptr"

	"github.com/sberz/kubectl-eshell/test/bench/results"
)

// limits measures, in-process on a warm connection, what no client can
// beat on this cluster: the exec round trip, how long the node takes from
// a new pod to its container reported Running, and the same for an
// ephemeral container. Each mode's physical limit is its start plus one
// round trip; the report sets eshell and kubectl against it.
func (b *Bench) limits(ctx context.Context) {
	if !b.phase("limits") {
		return
	}
	pod, err := b.cl.FirstPod(ctx, b.ns, "bench")
	if err != nil {
		b.note("limits: %v", err)
		return
	}
	_, _ = b.execRTT(ctx, pod) // warm-up: the connection and the node's exec path
	for i := 0; i < b.cfg.sessions && ctx.Err() == nil; i++ {
		d, err := b.execRTT(ctx, pod)
		b.recordGo(results.PhaseLimitExec, "go exec true", i, d, err)
	}
	for i := 0; i < b.cfg.clones && ctx.Err() == nil; i++ {
		d, err := b.podStart(ctx, fmt.Sprintf("limit-pod-%d", i))
		b.recordGo(results.PhaseLimitPod, "go pod start", i, d, err)
	}
	batch := max(1, b.cfg.debugBatch)
	for start := 0; start < b.cfg.debugs && ctx.Err() == nil; start += batch {
		target := fmt.Sprintf("limit-eph-%d", start/batch)
		if err := b.cl.Pod(ctx, b.ns, target); err != nil {
			b.note("limits: %v", err)
			return
		}
		for i := start; i < min(start+batch, b.cfg.debugs) && ctx.Err() == nil; i++ {
			d, err := b.ephemeralStart(ctx, target, fmt.Sprintf("lim-%d", i))
			b.recordGo(results.PhaseLimitEph, "go ephemeral start", i, d, err)
		}
		b.cl.DeletePod(ctx, b.ns, target)
	}
}

// execRTT runs `true` in container bench of pod and returns the time from
// the request until the stream ended.
func (b *Bench) execRTT(ctx context.Context, pod string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t := time.Now()
	req := b.cl.C.CoreV1().RESTClient().Post().Resource("pods").Namespace(b.ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "bench", Command: []string{"true"}, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ex, err := remotecommand.NewWebSocketExecutor(b.rc, "GET", req.URL().String())
	if err != nil {
		return 0, fmt.Errorf("exec: %w", err)
	}
	if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: io.Discard, Stderr: io.Discard}); err != nil {
		return 0, fmt.Errorf("exec: %w", err)
	}
	return time.Since(t), nil
}

// podStart creates a bare pod like the clone's and returns the time until
// its container is reported Running; the pod is removed right after.
func (b *Bench) podStart(ctx context.Context, name string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	pods := b.cl.C.CoreV1().Pods(b.ns)
	t := time.Now()
	p, err := pods.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       sleeper("bench", b.cfg.image),
	}, metav1.CreateOptions{})
	if err != nil {
		return 0, fmt.Errorf("creating pod %s: %w", name, err)
	}
	defer b.cl.DeletePod(context.WithoutCancel(ctx), b.ns, name)
	err = b.watchPod(ctx, name, p.ResourceVersion, func(p *corev1.Pod) bool {
		for _, st := range p.Status.ContainerStatuses {
			if st.Name == "bench" && st.State.Running != nil {
				return true
			}
		}
		return false
	})
	return time.Since(t), err
}

// ephemeralStart adds an ephemeral container to pod and returns the time
// until it is reported Running.
func (b *Bench) ephemeralStart(ctx context.Context, pod, name string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	pods := b.cl.C.CoreV1().Pods(b.ns)
	p, err := pods.Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: name, Image: b.cfg.image, Command: []string{"sleep", "600"},
			TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent,
		},
		TargetContainerName: "bench",
	})
	t := time.Now()
	up, err := pods.UpdateEphemeralContainers(ctx, pod, p, metav1.UpdateOptions{})
	if err != nil {
		return 0, fmt.Errorf("adding ephemeral container %s: %w", name, err)
	}
	err = b.watchPod(ctx, pod, up.ResourceVersion, func(p *corev1.Pod) bool {
		for _, st := range p.Status.EphemeralContainerStatuses {
			if st.Name == name && st.State.Running != nil {
				return true
			}
		}
		return false
	})
	return time.Since(t), err
}

// watchPod watches pod from resourceVersion until done says so, bounded by
// ctx.
func (b *Bench) watchPod(ctx context.Context, pod, rv string, done func(*corev1.Pod) bool) error {
	w, err := b.cl.C.CoreV1().Pods(b.ns).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", pod).String(), ResourceVersion: rv,
		TimeoutSeconds: ptr.To[int64](90),
	})
	if err != nil {
		return fmt.Errorf("watching pod %s: %w", pod, err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for pod %s: %w", pod, ctx.Err())
		case ev, ok := <-w.ResultChan():
			if !ok {
				return errors.New("the watch on pod " + pod + " ended early")
			}
			if p, ok := ev.Object.(*corev1.Pod); ok && done(p) {
				return nil
			}
		}
	}
}
