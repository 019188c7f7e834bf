package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
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

	"github.com/sberz/kubectl-eshell/pkg/picker"
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
	return namespaceWith(ctx, c.C, c.Run, name, lbls, ann)
}

func namespaceWith(ctx context.Context, cs kubernetes.Interface, run, name string, lbls, ann map[string]string) error {
	l := map[string]string{runLabel: run}
	for k, v := range lbls {
		l[k] = v
	}
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
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
	// the one the service question is timed on, with BigCount of them and
	// BigPods pods.
	WorkloadNS        []string
	BigCount, BigPods int
	// Pods and ReplicaSets created, and what the controllers added or
	// removed on their own until the counts were stable.
	Pods, ReplicaSets int
	Extra             string
	Created, Settled  time.Duration
}

// fixtureScheduler is a scheduler that does not exist: the picker's pods
// stay unbound, so the one real kubelet never runs them.
const fixtureScheduler = "eshell-bench-none"

// fixtureWorkers bounds the concurrent creates of the picker fixture.
const fixtureWorkers = 32

// fixtureReplicas is the pods per picker workload.
const fixtureReplicas = 4

// CreatePickerObjects creates nss namespaces labelled with envLabel (each
// with an environment's status and URL annotations) and workloads paused
// Deployments spread evenly over the first spread namespaces, each with
// the ReplicaSet the deployment controller would have made and
// fixtureReplicas pods owned by it, marked Running and Ready through the
// status subresource. Everything is created directly by a bounded pool of
// workers on a client with a high QPS; the controllers only see objects
// that already agree with them (paused Deployment, ReplicaSet with the
// Deployment's template and revision annotations, the pods it wants).
func (c *Cluster) CreatePickerObjects(ctx context.Context, fast kubernetes.Interface, nss, workloads, spread int, envLabel string) (*PickerObjects, error) {
	start := time.Now()
	po := &PickerObjects{EnvLabel: envLabel}
	for i := 0; i < nss; i++ {
		po.Namespaces = append(po.Namespaces, fmt.Sprintf("eshell-bench-%s-e%04d", c.Run, i))
	}
	spread = max(1, min(spread, nss))
	po.WorkloadNS = po.Namespaces[:spread]
	const workers = fixtureWorkers
	err := parallel(ctx, nss, workers, func(ctx context.Context, i int) error {
		return namespaceWith(ctx, fast, c.Run, po.Namespaces[i], map[string]string{envLabel: fmt.Sprintf("env-%04d", i)}, map[string]string{
			"status.envs.sberz.de/deployed": "true",
			"url.envs.sberz.de/web":         fmt.Sprintf("http://web.env-%04d.example.test", i),
		})
	})
	if err != nil {
		return po, fmt.Errorf("creating the picker namespaces: %w", err)
	}
	// Pods are refused until a namespace's default ServiceAccount exists.
	for _, ns := range po.WorkloadNS {
		err := c.waitFor(ctx, 60*time.Second, "the default ServiceAccount of "+ns, func(ctx context.Context) (bool, error) {
			_, err := fast.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
			return err == nil, nil
		})
		if err != nil {
			return po, err
		}
	}
	for i := 0; i < workloads; i++ {
		if i%spread == 0 {
			po.BigCount++
		}
	}
	po.BigPods = po.BigCount * fixtureReplicas
	err = parallel(ctx, workloads, workers, func(ctx context.Context, i int) error {
		return c.workload(ctx, fast, po.WorkloadNS[i%spread], fmt.Sprintf("svc-%05d", i))
	})
	if err != nil {
		po.Created = time.Since(start)
		return po, fmt.Errorf("creating the picker workloads: %w", err)
	}
	po.Created = time.Since(start)
	pods, rss, extra, err := c.settle(ctx, po.WorkloadNS, workloads)
	po.Pods, po.ReplicaSets, po.Extra = pods, rss, extra
	po.Settled = time.Since(start) - po.Created
	return po, err
}

// fixtureLabel marks the picker's pods created by the bench, to tell them
// from any a controller made.
const fixtureLabel = "bench.eshell.sberz.de/fixture"

// workload creates one paused Deployment, its ReplicaSet and its pods.
func (c *Cluster) workload(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	hash := templateHash(name)
	sel := map[string]string{"app": name}
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: sel},
		Spec:       sleeper("app", c.Image),
	}
	tmpl.Spec.SchedulerName = fixtureScheduler
	revision := map[string]string{"deployment.kubernetes.io/revision": "1"}
	d, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: revision},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](fixtureReplicas),
			// Paused: the deployment controller never makes a ReplicaSet.
			Paused:   true,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: tmpl,
		},
	}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// A retry after a failure further on: carry on from the Deployment.
		d, err = cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("creating deployment %s/%s: %w", ns, name, err)
	}
	rsLabels := map[string]string{"app": name, "pod-template-hash": hash}
	rsTmpl := *tmpl.DeepCopy()
	rsTmpl.Labels = rsLabels
	// maxSurge defaults to 25 %, rounded up: the annotations the deployment
	// controller would write, so it finds nothing to change.
	surge := (fixtureReplicas + 3) / 4
	rs, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:   name + "-" + hash,
			Labels: rsLabels,
			Annotations: map[string]string{
				"deployment.kubernetes.io/revision":         "1",
				"deployment.kubernetes.io/desired-replicas": strconv.Itoa(fixtureReplicas),
				"deployment.kubernetes.io/max-replicas":     strconv.Itoa(fixtureReplicas + surge),
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](fixtureReplicas),
			Selector: &metav1.LabelSelector{MatchLabels: rsLabels},
			Template: rsTmpl,
		},
	}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil // a retry after a failed pod: the settled counts tell what is missing
	}
	if err != nil {
		return fmt.Errorf("creating replicaset %s/%s-%s: %w", ns, name, hash, err)
	}
	owner := *metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))
	// The pods at once: the replicaset controller creates the ones it
	// does not see yet, so the sooner they exist the fewer it makes.
	errs := make(chan error, fixtureReplicas)
	for k := 0; k < fixtureReplicas; k++ {
		go func() { errs <- c.fixturePod(ctx, cs, ns, rs.Name+"-"+randomName(5), rsLabels, owner, rsTmpl.Spec) }()
	}
	var first error
	for k := 0; k < fixtureReplicas; k++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	rs.Status = appsv1.ReplicaSetStatus{
		Replicas: fixtureReplicas, FullyLabeledReplicas: fixtureReplicas, ReadyReplicas: fixtureReplicas,
		AvailableReplicas: fixtureReplicas, ObservedGeneration: rs.Generation,
	}
	rs.Status.TerminatingReplicas = ptr.To[int32](0)
	if _, err := cs.AppsV1().ReplicaSets(ns).UpdateStatus(ctx, rs, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
		// A conflict: the replicaset controller wrote the status first.
		return fmt.Errorf("setting the status of replicaset %s/%s: %w", ns, rs.Name, err)
	}
	// The status the deployment controller computes for a paused, fully
	// available Deployment, so that its sync finds nothing to write: the
	// controller-manager is shared with other tests and writes slowly.
	now := metav1.Now()
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: d.Generation, Replicas: fixtureReplicas, UpdatedReplicas: fixtureReplicas,
		ReadyReplicas: fixtureReplicas, AvailableReplicas: fixtureReplicas, TerminatingReplicas: ptr.To[int32](0),
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
				Message: "Deployment has minimum availability.", LastUpdateTime: now, LastTransitionTime: now},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionUnknown, Reason: "DeploymentPaused",
				Message: "Deployment is paused", LastUpdateTime: now, LastTransitionTime: now},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
		// A conflict: the deployment controller wrote it first; its own is as good.
		return fmt.Errorf("setting the status of deployment %s/%s: %w", ns, d.Name, err)
	}
	return nil
}

// fixturePod creates one unbound pod and marks it Running and Ready, as
// the kubelet would report it.
func (c *Cluster) fixturePod(ctx context.Context, cs kubernetes.Interface, ns, name string, lbls map[string]string, owner metav1.OwnerReference, spec corev1.PodSpec) error {
	l := map[string]string{fixtureLabel: "1"}
	for k, v := range lbls {
		l[k] = v
	}
	p, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l, OwnerReferences: []metav1.OwnerReference{owner}},
		Spec:       spec,
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating pod %s/%s: %w", ns, name, err)
	}
	now := metav1.Now()
	cond := func(t corev1.PodConditionType) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now}
	}
	p.Status = corev1.PodStatus{
		Phase:     corev1.PodRunning,
		StartTime: &now,
		Conditions: []corev1.PodCondition{
			cond(corev1.PodInitialized), cond(corev1.PodReady), cond(corev1.ContainersReady),
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: spec.Containers[0].Name, Image: spec.Containers[0].Image, Ready: true, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		}},
	}
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // the replicaset controller removed it as one too many; settle counts
		}
		return fmt.Errorf("setting the status of pod %s/%s: %w", ns, name, err)
	}
	return nil
}

// templateHash is a stable stand-in for the pod-template-hash label.
func templateHash(name string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	const alnum = "bcdfghjklmnpqrstvwxz2456789"
	v := h.Sum32()
	out := make([]byte, 10)
	for i := range out {
		out[i] = alnum[v%uint32(len(alnum))]
		v = v/uint32(len(alnum)) + uint32(i)*2654435761
	}
	return string(out)
}

// settle waits (bounded) until the pod and ReplicaSet counts in nss stop
// changing and returns them, with what the controllers made or removed
// on their own.
func (c *Cluster) settle(ctx context.Context, nss []string, workloads int) (pods, rss int, extra string, err error) {
	count := func() (pods, ours, rss int, err error) {
		for _, ns := range nss {
			pl, err := c.C.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return 0, 0, 0, err
			}
			for _, p := range pl.Items {
				if p.DeletionTimestamp != nil {
					continue
				}
				pods++
				if p.Labels[fixtureLabel] == "1" {
					ours++
				}
			}
			rl, err := c.C.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return 0, 0, 0, err
			}
			rss += len(rl.Items)
		}
		return pods, ours, rss, nil
	}
	want := workloads * fixtureReplicas
	deadline := time.Now().Add(90 * time.Second)
	prev := [3]int{-1, -1, -1}
	stable := 0
	for {
		p, o, r, err := count()
		if err != nil {
			return 0, 0, "", fmt.Errorf("counting the picker objects: %w", err)
		}
		cur := [3]int{p, o, r}
		if cur == prev {
			stable++
		} else {
			stable = 0
		}
		prev = cur
		// Three equal counts 2 s apart, and every pod one of ours.
		if stable >= 2 && p == o {
			extra = fmt.Sprintf("%d pods missing, %d ReplicaSets more than workloads", want-o, r-workloads)
			if o == want && r == workloads {
				extra = "none"
			}
			// A pod the replicaset controller made and removed again
			// leaves no count behind, only its Events.
			if made := c.controllerEvents(ctx, nss); made != "" {
				extra += "; controller Events: " + made
			}
			return p, r, extra, nil
		}
		if time.Now().After(deadline) {
			return p, r, fmt.Sprintf("not stable after 90 s: %d pods (%d made by the bench, %d wanted), %d ReplicaSets for %d workloads", p, o, want, r, workloads), nil
		}
		select {
		case <-ctx.Done():
			return p, r, "", ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
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

// ListWorkloads is the service question's API work: the picker's own
// listing (one Table per kind, all at once).
func (c *Cluster) ListWorkloads(ctx context.Context, ns string) (int, error) {
	l := picker.ListWorkloads(ctx, c.C, ns, picker.ListTimeout)
	if len(l.Failed) > 0 {
		return len(l.Workloads), fmt.Errorf("listing %s", l.FailedKinds())
	}
	return len(l.Workloads), nil
}

// controllerEvents counts the Events of the replicaset and deployment
// controllers in nss that tell of pods or ReplicaSets they created,
// deleted or scaled ("" when there are none).
func (c *Cluster) controllerEvents(ctx context.Context, nss []string) string {
	counts := map[string]int{}
	for _, ns := range nss {
		l, err := c.C.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		for _, e := range l.Items {
			switch e.Reason {
			case "SuccessfulCreate", "SuccessfulDelete", "ScalingReplicaSet", "FailedCreate":
				counts[e.Source.Component+" "+e.Reason] += max(1, int(e.Count))
			}
		}
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// NodeInfo describes the node the bench's pods run on.
func (c *Cluster) NodeInfo(ctx context.Context) string {
	l, err := c.C.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(l.Items) == 0 {
		return "unknown"
	}
	n := l.Items[0].Status.NodeInfo
	return fmt.Sprintf("%d node(s), kubelet %s, %s, %s", len(l.Items), n.KubeletVersion, n.ContainerRuntimeVersion, n.OSImage)
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
