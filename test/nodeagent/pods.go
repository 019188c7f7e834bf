package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// ctr is the agent's state for one container of a pod.
type ctr struct {
	spec      *containerSpec
	proc      *proc
	restarts  int32
	waiting   string // reason while not running (ErrImagePull, CreateContainerConfigError, ...)
	message   string
	term      *corev1.ContainerStateTerminated // the current terminated state
	last      *corev1.ContainerStateTerminated // lastState after a restart
	nextTry   time.Time
	startedN  int
	succeeded bool
}

func (c *ctr) exited() bool { return c.term != nil }

// podRT runs one pod: init containers in order (native sidecars stay up),
// then the app containers, ephemeral containers as they are added, restarts
// per restartPolicy, and activeDeadlineSeconds. One goroutine per pod does
// all of it; process exits, pod updates and timers only nudge it.
type podRT struct {
	a      *Agent
	key    string
	ctx    context.Context
	cancel context.CancelFunc
	nudgeC chan struct{}
	ip     string
	dir    string

	mu     sync.Mutex
	pod    *corev1.Pod
	ctrs   map[string]*ctr
	order  []string // init, app, ephemeral names in spec order
	vols   map[string]string
	volErr error

	start      time.Time
	phase      corev1.PodPhase
	reason     string
	message    string
	terminal   bool
	lastStatus *corev1.PodStatus
	mountRefs  []string
}

func (r *podRT) nudge() {
	select {
	case r.nudgeC <- struct{}{}:
	default:
	}
}

func (r *podRT) update(p *corev1.Pod) {
	r.mu.Lock()
	r.pod = p
	r.mu.Unlock()
	r.nudge()
}

func specsOf(p *corev1.Pod) []*containerSpec {
	var out []*containerSpec
	for _, c := range p.Spec.InitContainers {
		k := kindInit
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			k = kindSidecar
		}
		out = append(out, fromContainer(c, k))
	}
	for _, c := range p.Spec.Containers {
		out = append(out, fromContainer(c, kindApp))
	}
	for _, e := range p.Spec.EphemeralContainers {
		s := fromContainer(corev1.Container(e.EphemeralContainerCommon), kindEphemeral)
		s.target = e.TargetContainerName
		out = append(out, s)
	}
	return out
}

func fromContainer(c corev1.Container, k containerKind) *containerSpec {
	return &containerSpec{
		name: c.Name, image: c.Image, kind: k, command: c.Command, args: c.Args, workingDir: c.WorkingDir,
		env: c.Env, envFrom: c.EnvFrom, mounts: c.VolumeMounts, stdin: c.Stdin, stdinOnce: c.StdinOnce,
		tty: c.TTY, resources: c.Resources,
	}
}

func (r *podRT) run() {
	defer r.a.forget(r)
	r.start = time.Now()
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	for {
		r.reconcile()
		r.writeStatus()
		select {
		case <-r.ctx.Done():
			r.shutdown()
			return
		case <-r.nudgeC:
		case <-retry.C:
		}
	}
}

func (r *podRT) reconcile() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.terminal {
		return
	}
	pod := r.pod
	for _, s := range specsOf(pod) {
		if _, ok := r.ctrs[s.name]; !ok {
			c := &ctr{spec: s}
			// A container that already ended for good (under an earlier run
			// of the agent) stays ended: the API forbids reviving it.
			if t := priorTermination(pod, s); t != nil && (s.kind == kindEphemeral || pod.Spec.RestartPolicy == corev1.RestartPolicyNever) {
				c.term, c.proc, c.succeeded = t, &proc{done: closedChan}, t.ExitCode == 0
			}
			r.ctrs[s.name] = c
			r.order = append(r.order, s.name)
		}
	}
	// Collect exits first, so every decision below sees current state.
	for _, c := range r.ctrs {
		if c.proc != nil && !c.proc.running() && c.term == nil {
			p := c.proc
			c.term = &corev1.ContainerStateTerminated{
				ExitCode: int32(p.exitCode), Reason: p.reason, ContainerID: containerID(r, c),
				StartedAt: metav1.NewTime(p.startedAt), FinishedAt: metav1.NewTime(p.finishedAt),
			}
			if p.exitCode == 0 {
				c.succeeded = true
			}
		}
	}
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil && time.Since(r.start) > time.Duration(*d)*time.Second {
		r.finish(corev1.PodFailed, "DeadlineExceeded", fmt.Sprintf("Pod was active on the node longer than the specified deadline (%ds)", *d))
		return
	}
	if r.vols == nil {
		vols, err := (&resolver{client: r.a.client, pod: pod, node: r.a.node}).volumes(r.ctx, filepath.Join(r.dir, "volumes"))
		if err != nil {
			r.volErr = err
			r.phase = corev1.PodPending
			return
		}
		r.vols, r.volErr = vols, nil
	}
	policy := pod.Spec.RestartPolicy
	// Init containers, in order; a native sidecar only has to have started.
	for _, c := range pod.Spec.InitContainers {
		st := r.ctrs[c.Name]
		if st.spec.kind == kindSidecar {
			if st.proc == nil || st.exited() {
				r.startOrRestart(st, corev1.RestartPolicyAlways)
			}
			if st.proc == nil {
				r.phase = corev1.PodPending
				return
			}
			continue
		}
		if st.succeeded {
			continue
		}
		if st.proc == nil || st.exited() {
			if st.exited() && policy == corev1.RestartPolicyNever {
				r.finish(corev1.PodFailed, "", fmt.Sprintf("init container %q failed with exit code %d", c.Name, st.term.ExitCode))
				return
			}
			r.startOrRestart(st, corev1.RestartPolicyOnFailure)
		}
		r.phase = corev1.PodPending
		return
	}
	allDone, allOK, anyRunning := true, true, false
	for _, c := range pod.Spec.Containers {
		st := r.ctrs[c.Name]
		if st.proc == nil || st.exited() {
			r.startOrRestart(st, policy)
		}
		if st.proc != nil && st.proc.running() {
			anyRunning = true
		}
		if !st.exited() || st.proc == nil {
			allDone = false
		} else if st.term.ExitCode != 0 {
			allOK = false
		}
	}
	for _, e := range pod.Spec.EphemeralContainers {
		st := r.ctrs[e.Name]
		if st.proc == nil && !st.exited() {
			r.startOrRestart(st, corev1.RestartPolicyNever)
		}
	}
	switch {
	case allDone && allOK:
		r.finish(corev1.PodSucceeded, "", "")
	case allDone:
		r.finish(corev1.PodFailed, "", "")
	case anyRunning:
		r.phase = corev1.PodRunning
	default:
		if r.phase == "" {
			r.phase = corev1.PodPending
		}
	}
}

// startOrRestart starts a container that never ran, or restarts one that
// exited when the policy says so, with a short backoff.
func (r *podRT) startOrRestart(st *ctr, policy corev1.RestartPolicy) {
	if st.exited() {
		restart := policy == corev1.RestartPolicyAlways || (policy == corev1.RestartPolicyOnFailure && st.term.ExitCode != 0)
		if !restart {
			return
		}
		if st.nextTry.IsZero() {
			st.nextTry = time.Now().Add(time.Duration(min(st.restarts+1, 10)) * time.Second)
			time.AfterFunc(time.Until(st.nextTry), r.nudge)
		}
		if time.Now().Before(st.nextTry) {
			return
		}
		st.last, st.term, st.proc, st.nextTry = st.term, nil, nil, time.Time{}
		st.restarts++
	}
	if !st.nextTry.IsZero() && time.Now().Before(st.nextTry) {
		return
	}
	if !imagePulls(st.spec.image) {
		// Alternate like a kubelet in back-off; the reason is what users see.
		if st.waiting == "ErrImagePull" {
			st.waiting = "ImagePullBackOff"
			st.message = fmt.Sprintf("Back-off pulling image %q", st.spec.image)
		} else {
			st.waiting = "ErrImagePull"
			st.message = fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: not found", st.spec.image, st.spec.image)
		}
		st.nextTry = time.Now().Add(2 * time.Second)
		return
	}
	l, err := r.prepare(st.spec)
	if err != nil {
		var ce *configError
		if errors.As(err, &ce) {
			st.waiting, st.message = "CreateContainerConfigError", ce.msg
			st.nextTry = time.Now().Add(2 * time.Second)
			return
		}
		st.term = &corev1.ContainerStateTerminated{ExitCode: 128, Reason: "StartError", Message: err.Error(),
			StartedAt: metav1.Now(), FinishedAt: metav1.Now()}
		st.proc = &proc{done: closedChan}
		return
	}
	p, err := startProc(l)
	if err != nil {
		st.term = &corev1.ContainerStateTerminated{ExitCode: 128, Reason: "StartError", Message: err.Error(),
			StartedAt: metav1.Now(), FinishedAt: metav1.Now()}
		st.proc = &proc{done: closedChan}
		return
	}
	st.proc, st.waiting, st.message, st.nextTry = p, "", "", time.Time{}
	st.startedN++
	go func() { <-p.done; r.nudge() }()
}

func priorTermination(pod *corev1.Pod, s *containerSpec) *corev1.ContainerStateTerminated {
	all := append(append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...), pod.Status.EphemeralContainerStatuses...)
	for _, cs := range all {
		if cs.Name == s.name && cs.State.Terminated != nil {
			return cs.State.Terminated.DeepCopy()
		}
	}
	return nil
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// prepare resolves a container's program, environment and mounts.
func (r *podRT) prepare(s *containerSpec) (*launch, error) {
	pod := r.pod
	fl := flavourOf(s.image)
	env, err := (&resolver{client: r.a.client, pod: pod, node: r.a.node}).env(r.ctx, s)
	if err != nil {
		return nil, err
	}
	pathEnv := r.a.flavourPaths[fl.name]
	base := []string{"PATH=" + pathEnv, "HOSTNAME=" + pod.Name, "HOME=/root"}
	if s.tty {
		base = append(base, "TERM=xterm")
	}
	full := mergeEnv(base, env)
	for _, kv := range full {
		if strings.HasPrefix(kv, "PATH=") {
			pathEnv = strings.TrimPrefix(kv, "PATH=")
		}
	}
	lookup := func(k string) (string, bool) {
		for _, kv := range env {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				return v, true
			}
		}
		return "", false
	}
	var argv []string
	for _, a := range append(append([]string{}, s.command...), s.args...) {
		argv = append(argv, expand(a, lookup))
	}
	if len(s.command) == 0 && len(s.args) == 0 {
		argv = fl.defaultArgv
	}
	if len(argv) == 0 {
		return nil, errors.New("no command specified")
	}
	abs, err := lookPath(argv[0], pathEnv)
	if err != nil {
		return nil, fmt.Errorf("failed to start container process: %w", err)
	}
	argv = append([]string{abs}, argv[1:]...)
	workDir := s.workingDir
	if workDir == "" {
		workDir = "/"
	}
	l := &launch{spec: s, argv: argv, env: full, pathEnv: pathEnv, hostname: pod.Name, workDir: workDir,
		logPath: filepath.Join(r.dir, s.name+".log"), tools: r.a.tools}
	if r.a.tools != nil {
		if err := r.ensureDir(workDir); err != nil {
			return nil, err
		}
		for _, m := range s.mounts {
			src, ok := r.vols[m.Name]
			if !ok {
				return nil, &configError{fmt.Sprintf("volume %q not found for mount %q", m.Name, m.MountPath)}
			}
			if m.SubPath != "" {
				src = filepath.Join(src, m.SubPath)
			}
			if err := r.ensureMountPoint(src, m.MountPath); err != nil {
				return nil, err
			}
			l.mounts = append(l.mounts, bindMount{source: src, target: m.MountPath, readOnly: m.ReadOnly})
		}
	}
	return l, nil
}

func mergeEnv(base, over []string) []string {
	idx := map[string]int{}
	out := append([]string{}, base...)
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		idx[k] = i
	}
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

func (r *podRT) ensureDir(dir string) error {
	created, err := r.a.mounts.acquire(dir, false)
	if err != nil {
		return err
	}
	r.mountRefs = append(r.mountRefs, created...)
	return nil
}

// ensureMountPoint creates the mount point on the host (a directory, or a
// file for a file subPath) and records it so it is removed with the pod.
func (r *podRT) ensureMountPoint(src, target string) error {
	st, err := os.Stat(src)
	if err != nil {
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		st, _ = os.Stat(src)
	}
	created, err := r.a.mounts.acquire(target, !st.IsDir())
	if err != nil {
		return err
	}
	r.mountRefs = append(r.mountRefs, created...)
	return nil
}

// finish ends the pod: every process stopped, a terminal phase.
func (r *podRT) finish(phase corev1.PodPhase, reason, msg string) {
	for _, c := range r.ctrs {
		if c.proc != nil && c.proc.running() {
			go c.proc.stop(time.Second)
		}
	}
	r.phase, r.reason, r.message, r.terminal = phase, reason, msg, true
	go func() {
		// Statuses must show the final exit codes, so collect them once
		// every process is gone.
		for _, c := range r.ctrs {
			if c.proc != nil {
				<-c.proc.done
			}
		}
		r.mu.Lock()
		for _, c := range r.ctrs {
			if c.proc != nil && c.term == nil {
				c.term = &corev1.ContainerStateTerminated{ExitCode: int32(c.proc.exitCode), Reason: c.proc.reason,
					StartedAt: metav1.NewTime(c.proc.startedAt), FinishedAt: metav1.NewTime(c.proc.finishedAt), ContainerID: containerID(r, c)}
				if reason == "DeadlineExceeded" {
					c.term.Reason = "DeadlineExceeded"
				}
			}
		}
		r.mu.Unlock()
		r.nudge()
	}()
}

func containerID(r *podRT, c *ctr) string {
	return fmt.Sprintf("eshell://%s-%s-%d", r.pod.UID, c.spec.name, c.startedN)
}

func (r *podRT) shutdown() {
	r.mu.Lock()
	grace := 5 * time.Second
	if g := r.pod.Spec.TerminationGracePeriodSeconds; g != nil && time.Duration(*g)*time.Second < grace {
		grace = time.Duration(*g) * time.Second
	}
	var wg sync.WaitGroup
	for _, c := range r.ctrs {
		if c.proc != nil {
			wg.Add(1)
			go func(p *proc) { defer wg.Done(); p.stop(grace) }(c.proc)
		}
	}
	r.mu.Unlock()
	wg.Wait()
	r.a.mounts.release(r.mountRefs)
	_ = os.RemoveAll(r.dir)
}

func (r *podRT) buildStatus() *corev1.PodStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	pod := r.pod
	st := &corev1.PodStatus{
		Phase: r.phase, Reason: r.reason, Message: r.message, QOSClass: pod.Status.QOSClass,
		HostIP: nodeIP, HostIPs: []corev1.HostIP{{IP: nodeIP}},
		PodIP: r.ip, PodIPs: []corev1.PodIP{{IP: r.ip}},
	}
	t := metav1.NewTime(r.start.Truncate(time.Second))
	st.StartTime = &t
	if r.volErr != nil && r.phase == corev1.PodPending {
		st.Message = r.volErr.Error()
	}
	status := func(name string) corev1.ContainerStatus {
		c := r.ctrs[name]
		cs := corev1.ContainerStatus{Name: name, Image: c.spec.image, ImageID: "eshell.local/" + c.spec.image, RestartCount: c.restarts, LastTerminationState: corev1.ContainerState{Terminated: c.last}}
		started := false
		switch {
		case c.term != nil:
			cs.State.Terminated = c.term
			cs.ContainerID = c.term.ContainerID
		case c.proc != nil && c.proc.running():
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.proc.startedAt)}
			cs.ContainerID = containerID(r, c)
			cs.Ready, started = true, true
		default:
			reason, msg := c.waiting, c.message
			if reason == "" {
				reason = "ContainerCreating"
				if r.volErr != nil {
					msg = r.volErr.Error()
				}
			}
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: msg}
		}
		cs.Started = &started
		if c.spec.kind == kindInit {
			cs.Ready = c.succeeded
		}
		if c.spec.kind == kindEphemeral {
			cs.Ready = false
		}
		return cs
	}
	initDone, ready := true, true
	for _, c := range pod.Spec.InitContainers {
		if _, ok := r.ctrs[c.Name]; !ok {
			continue
		}
		cs := status(c.Name)
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
		if !cs.Ready {
			initDone = false
		}
	}
	for _, c := range pod.Spec.Containers {
		if _, ok := r.ctrs[c.Name]; !ok {
			continue
		}
		cs := status(c.Name)
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		if !cs.Ready {
			ready = false
		}
	}
	for _, e := range pod.Spec.EphemeralContainers {
		if _, ok := r.ctrs[e.Name]; ok {
			st.EphemeralContainerStatuses = append(st.EphemeralContainerStatuses, status(e.Name))
		}
	}
	if len(pod.Spec.Containers) != len(st.ContainerStatuses) {
		ready = false
	}
	cond := func(t corev1.PodConditionType, ok bool) corev1.PodCondition {
		s := corev1.ConditionFalse
		if ok {
			s = corev1.ConditionTrue
		}
		prev := corev1.PodCondition{}
		for _, c := range r.lastConditions() {
			if c.Type == t {
				prev = c
			}
		}
		c := corev1.PodCondition{Type: t, Status: s, LastTransitionTime: prev.LastTransitionTime}
		if prev.Status != s || prev.LastTransitionTime.IsZero() {
			c.LastTransitionTime = metav1.NewTime(time.Now().Truncate(time.Second))
		}
		if !ok && (t == corev1.ContainersReady || t == corev1.PodReady) {
			c.Reason = "ContainersNotReady"
		}
		return c
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			st.Conditions = append(st.Conditions, c)
		}
	}
	running := r.phase == corev1.PodRunning
	st.Conditions = append(st.Conditions,
		cond(corev1.PodReadyToStartContainers, r.vols != nil && !r.terminal),
		cond(corev1.PodInitialized, initDone || running || r.phase == corev1.PodSucceeded),
		cond(corev1.ContainersReady, ready && running),
		cond(corev1.PodReady, ready && running),
	)
	return st
}

func (r *podRT) lastConditions() []corev1.PodCondition {
	if r.lastStatus == nil {
		return nil
	}
	return r.lastStatus.Conditions
}

// writeStatus sends the pod's status when it changed, retrying conflicts
// against the latest object.
func (r *podRT) writeStatus() {
	st := r.buildStatus()
	if r.lastStatus != nil && apiequality.Semantic.DeepEqual(st, r.lastStatus) {
		return
	}
	r.mu.Lock()
	pod := r.pod.DeepCopy()
	r.mu.Unlock()
	for attempt := 0; attempt < 5; attempt++ {
		pod.Status = *st
		_, err := r.a.client.CoreV1().Pods(pod.Namespace).UpdateStatus(r.ctx, pod, metav1.UpdateOptions{})
		if err == nil {
			r.lastStatus = st
			return
		}
		if apierrors.IsNotFound(err) || r.ctx.Err() != nil {
			return
		}
		if !apierrors.IsConflict(err) {
			klog.ErrorS(err, "updating pod status", "pod", r.key)
			time.AfterFunc(time.Second, r.nudge)
			return
		}
		fresh, gerr := r.a.client.CoreV1().Pods(pod.Namespace).Get(r.ctx, pod.Name, metav1.GetOptions{})
		if gerr != nil {
			return
		}
		pod = fresh
	}
}
