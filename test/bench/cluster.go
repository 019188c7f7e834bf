package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// runLabel marks every namespace a bench run creates; its value is the run.
const runLabel = "eshell-bench"

// Cluster is the bench's view of the local cluster.
type Cluster struct {
	C     kubernetes.Interface
	Run   string
	Image string
}

func (c *Cluster) namespace(ctx context.Context, name string, lbls, ann map[string]string) error {
	l := map[string]string{runLabel: c.Run}
	for k, v := range lbls {
		l[k] = v
	}
	_, err := c.C.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l, Annotations: ann},
	}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func sleeper(name, image string) corev1.PodSpec {
	return corev1.PodSpec{
		TerminationGracePeriodSeconds: ptr.To[int64](1),
		Containers: []corev1.Container{{
			Name: name, Image: image, Command: []string{"sleep", "infinity"},
		}},
	}
}

// Deployment creates a Deployment of one busybox "sleep infinity" replica
// with container "bench" and waits until its pod is ready.
func (c *Cluster) Deployment(ctx context.Context, ns, name string) error {
	sel := map[string]string{"app": name}
	_, err := c.C.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       sleeper("bench", c.Image),
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating deployment %s/%s: %w", ns, name, err)
	}
	return c.waitFor(ctx, 90*time.Second, fmt.Sprintf("a ready pod of deployment %s/%s", ns, name), func(ctx context.Context) (bool, error) {
		pods, err := c.C.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(sel).String()})
		if err != nil {
			return false, err
		}
		for i := range pods.Items {
			if ready(&pods.Items[i]) {
				return true, nil
			}
		}
		return false, nil
	})
}

// Pod creates a bare busybox "sleep infinity" pod with container "bench"
// and waits until it is ready.
func (c *Cluster) Pod(ctx context.Context, ns, name string) error {
	_, err := c.C.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench-debug"}},
		Spec:       sleeper("bench", c.Image),
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating pod %s/%s: %w", ns, name, err)
	}
	return c.waitFor(ctx, 90*time.Second, "pod "+ns+"/"+name+" ready", func(ctx context.Context) (bool, error) {
		p, err := c.C.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return ready(p), nil
	})
}

// DeletePod removes a pod without waiting (its namespace goes at the end).
func (c *Cluster) DeletePod(ctx context.Context, ns, name string) {
	_ = c.C.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
}

// FirstPod is the name of a ready pod with the label app=name.
func (c *Cluster) FirstPod(ctx context.Context, ns, app string) (string, error) {
	pods, err := c.C.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return "", err
	}
	for i := range pods.Items {
		if ready(&pods.Items[i]) {
			return pods.Items[i].Name, nil
		}
	}
	return "", fmt.Errorf("no ready pod with app=%s in %s", app, ns)
}

func ready(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitFor polls cond every 200ms for at most limit.
func (c *Cluster) waitFor(ctx context.Context, limit time.Duration, what string, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: no success within %s (last error: %v)", what, limit, last)
			}
			return fmt.Errorf("waiting for %s: not there within %s", what, limit)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// parallel runs f(0..n-1) on workers goroutines, retrying a failed call
// twice, and returns the first error that stayed.
func parallel(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				var err error
				for attempt := 0; attempt < 3; attempt++ {
					if err = f(ctx, i); err == nil || ctx.Err() != nil {
						break
					}
					time.Sleep(time.Duration(attempt+1) * 250 * time.Millisecond)
				}
				if err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// PickerObjects is what the picker measurement creates.
type PickerObjects struct {
	EnvLabel   string
	Namespaces []string
	// WorkloadNS are the namespaces holding the Deployments; the first is
	// the one the service question is timed on, with BigCount of them.
	WorkloadNS []string
	BigCount   int
	Created    time.Duration
}

// CreatePickerObjects creates nss namespaces labelled with envLabel (each
// with an environment's status and URL annotations) and workloads paused
// Deployments with zero replicas (no pods, no ReplicaSets), spread evenly
// over the first spread namespaces.
func (c *Cluster) CreatePickerObjects(ctx context.Context, nss, workloads, spread int, envLabel string) (*PickerObjects, error) {
	start := time.Now()
	po := &PickerObjects{EnvLabel: envLabel}
	for i := 0; i < nss; i++ {
		po.Namespaces = append(po.Namespaces, fmt.Sprintf("eshell-bench-%s-e%04d", c.Run, i))
	}
	spread = max(1, min(spread, nss))
	po.WorkloadNS = po.Namespaces[:spread]
	err := parallel(ctx, nss, 16, func(ctx context.Context, i int) error {
		return c.namespace(ctx, po.Namespaces[i], map[string]string{envLabel: fmt.Sprintf("env-%04d", i)}, map[string]string{
			"status.envs.sberz.de/deployed": "true",
			"url.envs.sberz.de/web":         fmt.Sprintf("http://web.env-%04d.example.test", i),
		})
	})
	if err != nil {
		return po, fmt.Errorf("creating the picker namespaces: %w", err)
	}
	for i := 0; i < workloads; i++ {
		if i%spread == 0 {
			po.BigCount++
		}
	}
	err = parallel(ctx, workloads, 16, func(ctx context.Context, i int) error {
		ns := po.WorkloadNS[i%spread]
		name := fmt.Sprintf("svc-%05d", i)
		sel := map[string]string{"app": name}
		_, err := c.C.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](0),
				Paused:   true,
				Selector: &metav1.LabelSelector{MatchLabels: sel},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: sel},
					Spec:       sleeper("app", c.Image),
				},
			},
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	po.Created = time.Since(start)
	if err != nil {
		return po, fmt.Errorf("creating the picker workloads: %w", err)
	}
	return po, nil
}

// ListEnvironments is the environment question's API work: one list of the
// labelled namespaces.
func (c *Cluster) ListEnvironments(ctx context.Context, label string) (int, error) {
	l, err := c.C.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: label})
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// ListWorkloads is the service question's API work: one list per kind,
// all at once.
func (c *Cluster) ListWorkloads(ctx context.Context, ns string) (int, error) {
	lists := []func() (int, error){
		func() (int, error) {
			l, err := c.C.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
		func() (int, error) {
			l, err := c.C.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
		func() (int, error) {
			l, err := c.C.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
		func() (int, error) {
			l, err := c.C.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
		func() (int, error) {
			l, err := c.C.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
		func() (int, error) {
			l, err := c.C.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
	}
	var total atomic.Int64
	errs := make(chan error, len(lists))
	for _, f := range lists {
		go func() {
			n, err := f()
			total.Add(int64(n))
			errs <- err
		}()
	}
	var first error
	for range lists {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return int(total.Load()), first
}

// Cleanup deletes this run's namespaces and waits at most limit for them to
// be gone; it returns how many are still terminating.
func (c *Cluster) Cleanup(limit time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	sel := runLabel + "=" + c.Run
	l, err := c.C.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return -1, err
	}
	err = parallel(ctx, len(l.Items), 16, func(ctx context.Context, i int) error {
		err := c.C.CoreV1().Namespaces().Delete(ctx, l.Items[i].Name, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return len(l.Items), fmt.Errorf("deleting the bench namespaces: %w", err)
	}
	left := len(l.Items)
	for left > 0 {
		l, err := c.C.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err == nil {
			left = len(l.Items)
		}
		if left == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return left, nil
		case <-time.After(2 * time.Second):
		}
	}
	return 0, nil
}

// DeleteStale deletes namespaces of earlier bench runs (killed before their
// cleanup) that are older than age, without waiting.
func (c *Cluster) DeleteStale(ctx context.Context, age time.Duration) int {
	l, err := c.C.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: runLabel + "," + runLabel + "!=" + c.Run})
	if err != nil {
		return 0
	}
	n := 0
	for _, ns := range l.Items {
		if ns.DeletionTimestamp == nil && time.Since(ns.CreationTimestamp.Time) > age {
			if c.C.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}) == nil {
				n++
			}
		}
	}
	return n
}
