package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

const nodeIP = "127.0.0.1"

type nodeInfo struct {
	name        string
	port        int32
	allocatable corev1.ResourceList
}

// Agent is a process-backed stand-in for the kubelet of one node.
type Agent struct {
	client       kubernetes.Interface
	node         *nodeInfo
	root         string
	tools        *hostTools
	flavourPaths map[string]string
	mounts       *mountPoints

	mu     sync.Mutex
	pods   map[string]*podRT // by namespace/name
	nextIP int
}

func newAgent(client kubernetes.Interface, name string, port int32, root string) (*Agent, error) {
	paths, err := prepareFlavours(root)
	if err != nil {
		return nil, err
	}
	a := &Agent{
		client: client, root: root, flavourPaths: paths, pods: map[string]*podRT{}, mounts: newMountPoints(),
		node: &nodeInfo{name: name, port: port, allocatable: corev1.ResourceList{
			corev1.ResourceCPU:              resource.MustParse("32"),
			corev1.ResourceMemory:           resource.MustParse("64Gi"),
			corev1.ResourcePods:             resource.MustParse("1000"),
			corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
		}},
	}
	if os.Geteuid() == 0 {
		if a.tools, err = findHostTools(); err != nil {
			return nil, err
		}
	} else {
		klog.InfoS("not running as root: containers share the host's mount namespace and volume mounts are not applied")
	}
	return a, nil
}

func (a *Agent) nodeObject() *corev1.Node {
	now := metav1.Now()
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: a.node.name, Labels: map[string]string{
			"kubernetes.io/hostname": a.node.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			"type": "eshell-process-node",
		}},
		Status: corev1.NodeStatus{
			Capacity: a.node.allocatable, Allocatable: a.node.allocatable,
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: nodeIP}, {Type: corev1.NodeHostName, Address: a.node.name}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: a.node.port}},
			NodeInfo:        corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", OperatingSystem: "linux", Architecture: "amd64", ContainerRuntimeVersion: "eshell-process://0.1"},
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "process-backed node agent is ready", LastHeartbeatTime: now, LastTransitionTime: now},
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastHeartbeatTime: now, LastTransitionTime: now},
				{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", LastHeartbeatTime: now, LastTransitionTime: now},
				{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", LastHeartbeatTime: now, LastTransitionTime: now},
			},
		},
	}
}

// register creates or refreshes the Node, then keeps its Lease and Ready
// condition fresh so the node lifecycle controller never taints it.
func (a *Agent) register(ctx context.Context) error {
	nodes := a.client.CoreV1().Nodes()
	want := a.nodeObject()
	n, err := nodes.Create(ctx, want, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		if n, err = nodes.Get(ctx, a.node.name, metav1.GetOptions{}); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("registering node %q: %w", a.node.name, err)
	}
	n.Status = want.Status
	if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("setting status of node %q: %w", a.node.name, err)
	}
	go a.heartbeat(ctx)
	return nil
}

func (a *Agent) heartbeat(ctx context.Context) {
	leases := a.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		now := metav1.NewMicroTime(time.Now())
		l, err := leases.Get(ctx, a.node.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = leases.Create(ctx, &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: a.node.name},
				Spec:       coordinationv1.LeaseSpec{HolderIdentity: &a.node.name, LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now},
			}, metav1.CreateOptions{})
		case err == nil:
			l.Spec.RenewTime = &now
			_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
		}
		if err != nil && ctx.Err() == nil {
			klog.ErrorS(err, "renewing node lease")
		}
		if i%3 == 2 {
			if n, err := a.client.CoreV1().Nodes().Get(ctx, a.node.name, metav1.GetOptions{}); err == nil {
				for j := range n.Status.Conditions {
					n.Status.Conditions[j].LastHeartbeatTime = metav1.Now()
				}
				_, _ = a.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// watchPods runs every pod bound to this node.
func (a *Agent) watchPods(ctx context.Context) {
	f := informers.NewSharedInformerFactoryWithOptions(a.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", a.node.name).String()
	}))
	inf := f.Core().V1().Pods().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { a.observe(o.(*corev1.Pod)) },
		UpdateFunc: func(_, o any) { a.observe(o.(*corev1.Pod)) },
		DeleteFunc: func(o any) {
			if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			if p, ok := o.(*corev1.Pod); ok {
				a.gone(p)
			}
		},
	})
	f.Start(ctx.Done())
}

func (a *Agent) observe(p *corev1.Pod) {
	key := p.Namespace + "/" + p.Name
	a.mu.Lock()
	r, ok := a.pods[key]
	if ok && r.pod.UID != p.UID {
		// A new pod with the old one's name: the old one is gone.
		r.cancel()
		ok = false
	}
	if !ok {
		if p.DeletionTimestamp != nil {
			a.mu.Unlock()
			go a.deleteObject(p)
			return
		}
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			a.mu.Unlock()
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		r = &podRT{a: a, key: key, ctx: ctx, cancel: cancel, nudgeC: make(chan struct{}, 1), pod: p,
			ctrs: map[string]*ctr{}, dir: filepath.Join(a.root, "pods", string(p.UID)), ip: a.allocIP()}
		if err := os.MkdirAll(r.dir, 0o755); err != nil {
			klog.ErrorS(err, "creating pod directory")
		}
		a.pods[key] = r
		a.mu.Unlock()
		klog.InfoS("starting pod", "pod", key)
		go r.run()
		return
	}
	a.mu.Unlock()
	if p.DeletionTimestamp != nil {
		go func() {
			r.cancel()
			a.waitForget(r)
			a.deleteObject(p)
		}()
		return
	}
	r.update(p)
}

func (a *Agent) gone(p *corev1.Pod) {
	a.mu.Lock()
	r, ok := a.pods[p.Namespace+"/"+p.Name]
	a.mu.Unlock()
	if ok && r.pod.UID == p.UID {
		r.cancel()
	}
}

// deleteObject finishes a graceful deletion once the processes are gone,
// which is the kubelet's part of deleting a pod.
func (a *Agent) deleteObject(p *corev1.Pod) {
	err := a.client.CoreV1().Pods(p.Namespace).Delete(context.Background(), p.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0), Preconditions: metav1.NewUIDPreconditions(string(p.UID)),
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		klog.ErrorS(err, "deleting pod", "pod", p.Namespace+"/"+p.Name)
	}
}

func (a *Agent) forget(r *podRT) {
	a.mu.Lock()
	if a.pods[r.key] == r {
		delete(a.pods, r.key)
	}
	a.mu.Unlock()
	klog.InfoS("pod stopped", "pod", r.key)
}

func (a *Agent) waitForget(r *podRT) {
	for {
		a.mu.Lock()
		cur := a.pods[r.key]
		a.mu.Unlock()
		if cur != r {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// allocIP hands out pod IPs. They are only recorded: nothing connects to a
// pod IP here (no kube-proxy, exec goes through the node at 127.0.0.1), but
// EndpointSlices reject loopback addresses, so they come from the usual pod
// CIDR to let Services list their pods.
func (a *Agent) allocIP() string {
	n := a.nextIP
	a.nextIP++
	return fmt.Sprintf("10.244.%d.%d", (n/250)%250, 1+n%250)
}

// lookup finds the process of a container for exec and attach.
func (a *Agent) lookup(podKey, container string) (*proc, error) {
	a.mu.Lock()
	r, ok := a.pods[podKey]
	a.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("pod %q is not running on this node", podKey)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.ctrs[container]
	if !ok || c.proc == nil || !c.proc.running() {
		return nil, fmt.Errorf("container %q in pod %q is not running", container, podKey)
	}
	return c.proc, nil
}

func (a *Agent) stopAll() {
	a.mu.Lock()
	var rs []*podRT
	for _, r := range a.pods {
		rs = append(rs, r)
	}
	a.mu.Unlock()
	for _, r := range rs {
		r.cancel()
	}
	for _, r := range rs {
		a.waitForget(r)
	}
}

// mountPoints creates mount points on the host (there is no container
// rootfs) and removes the ones it created when the last pod using them is
// gone, so the host keeps no trace.
type mountPoints struct {
	mu      sync.Mutex
	refs    map[string]int
	created map[string]bool
}

func newMountPoints() *mountPoints {
	return &mountPoints{refs: map[string]int{}, created: map[string]bool{}}
}

func (m *mountPoints) acquire(path string, file bool) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	path = filepath.Clean(path)
	var made []string
	for p := path; p != "/" && p != "."; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		made = append(made, p)
	}
	// Create from the top down.
	for i := len(made) - 1; i >= 0; i-- {
		p := made[i]
		var err error
		if p == path && file {
			var f *os.File
			if f, err = os.OpenFile(p, os.O_CREATE|os.O_EXCL, 0o644); err == nil {
				f.Close()
			}
		} else {
			err = os.Mkdir(p, 0o755)
		}
		if err != nil && !os.IsExist(err) {
			return nil, fmt.Errorf("creating mount point %s: %w", p, err)
		}
		m.created[p] = true
	}
	var held []string
	for p := path; p != "/" && p != "."; p = filepath.Dir(p) {
		if m.created[p] {
			m.refs[p]++
			held = append(held, p)
		}
	}
	return held, nil
}

func (m *mountPoints) release(paths []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range paths {
		m.refs[p]--
	}
	// Deepest first, so parents are empty when their turn comes.
	var drop []string
	for p, n := range m.refs {
		if n <= 0 {
			drop = append(drop, p)
		}
	}
	sort.Slice(drop, func(i, j int) bool { return strings.Count(drop[i], "/") > strings.Count(drop[j], "/") })
	for _, p := range drop {
		_ = os.Remove(p)
		delete(m.refs, p)
		delete(m.created, p)
	}
}
