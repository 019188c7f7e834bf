package main

// The fan-out comparison: one command in every pod of a 50-pod Deployment,
// by kubectl-eshell --all-pods against the loops users write around
// kubectl exec.

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/sberz/kubectl-eshell/test/bench/results"
)

// fanOutPods is the Deployment's size; fanOutXargs the parallelism of the
// xargs loop, eshell's default --max-parallel, so both run as many at once.
const (
	fanOutPods  = 50
	fanOutXargs = 10
)

// fanOut times `echo ready` in every pod of deploy/fan: eshell --all-pods,
// a sequential `for` loop over kubectl exec, and xargs -P over it. Each run
// must print 50 lines of ready, or it counts as failed.
func (b *Bench) fanOut(ctx context.Context) {
	if !b.phase("fanout") {
		return
	}
	if err := b.fanOutDeployment(ctx); err != nil {
		b.note("fan-out: %v; the fan-out rows were skipped", err)
		return
	}
	n := 5
	if b.cfg.quick {
		n = 2
	}
	kubectl := strings.Join(b.kubectl("-n", b.ns), " ")
	list := kubectl + " get pods -l app=fan -o name"
	checked := func(s Sample) Sample {
		if got := strings.Count(s.Stdout(), "ready\n"); s.OK() && got != fanOutPods {
			s.Err = fmt.Errorf("%d of %d pods answered", got, fanOutPods)
		}
		return s
	}
	timeout := 5 * time.Minute
	es, ks := b.pairs(ctx, results.PhaseFanOut, n,
		func(int) Sample {
			return checked(b.r.Run(ctx, "eshell --all-pods", timeout, nil, "",
				b.eshell("-n", b.ns, "deploy/fan", "--mode", "exec", "--all-pods", "-q", "--", "echo", "ready")...))
		},
		func(int) Sample {
			loop := fmt.Sprintf("for p in $(%s); do %s exec $p -- echo ready; done", list, kubectl)
			return checked(b.r.Run(ctx, "kubectl exec, for loop", timeout, nil, "", "sh", "-c", loop))
		})
	b.sessionNotes(fmt.Sprintf("fan-out over %d pods vs a for loop over `kubectl exec`", fanOutPods), es, ks)
	var xs []Sample
	for i := 0; i < n && ctx.Err() == nil; i++ {
		loop := fmt.Sprintf("%s | xargs -P %d -I{} %s exec {} -- echo ready", list, fanOutXargs, kubectl)
		s := checked(b.r.Run(ctx, "kubectl exec, xargs -P", timeout, nil, "", "sh", "-c", loop))
		b.record(results.PhaseFanOutXargs, i, s)
		xs = append(xs, s)
	}
	b.sessionNotes(fmt.Sprintf("fan-out: xargs -P %d over `kubectl exec`", fanOutXargs), nil, xs)
}

// fanOutDeployment creates deploy/fan with fanOutPods sleeping pods and
// waits until all are ready.
func (b *Bench) fanOutDeployment(ctx context.Context) error {
	sel := map[string]string{"app": "fan"}
	_, err := b.cl.C.AppsV1().Deployments(b.ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "fan"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](fanOutPods),
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel}, Spec: sleeper("bench", b.cl.Image)},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating deployment %s/fan: %w", b.ns, err)
	}
	return b.cl.waitFor(ctx, 5*time.Minute, fmt.Sprintf("%d ready pods of deployment %s/fan", fanOutPods, b.ns), func(ctx context.Context) (bool, error) {
		pods, err := b.cl.C.CoreV1().Pods(b.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=fan"})
		if err != nil {
			return false, err
		}
		n := 0
		for i := range pods.Items {
			if ready(&pods.Items[i]) {
				n++
			}
		}
		return n == fanOutPods, nil
	})
}
