// Package clone derives the pod of a clone session from a workload's pod
// template: the same image, configuration, identity and placement as the
// workload, but a pod that no Service routes to, no controller adopts, that
// runs none of the app's own start-up side effects and that the API server
// ends on its own if the client disappears.
//
// Everything here is pure so the whole derivation can be table-tested; the
// caller picks the random name suffix and the clock.
package clone

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/custom"
	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// Source is the workload a clone is derived from.
type Source struct {
	Kind      string // "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob" or "Pod"
	Name      string
	Namespace string
	Template  corev1.PodTemplateSpec // for a Pod: its ObjectMeta+Spec; for a CronJob: spec.jobTemplate.spec.template
	// PVCAccessModes maps claim name -> the claim's access modes; consulted only with Options.WithPVC.
	PVCAccessModes map[string][]corev1.PersistentVolumeAccessMode
}

// Options are the session's choices that shape the clone.
type Options struct {
	Container          string   // the app container to clone (must exist in Template.Spec.Containers)
	Command            []string // the argv the clone's container runs (final; the caller built any shell wrapper)
	Stdin, TTY         bool
	KeepInitContainers bool          // keep regular init containers (dropped by default: they may run migrations)
	NoSidecars         bool          // drop native sidecars (init containers with restartPolicy Always; kept by default)
	WithPVC            bool          // mount PVC volumes read-only where the access mode allows
	KeepPriority       bool          // keep the template's priorityClassName (dropped by default: see GeneratePod)
	MaxDuration        time.Duration // becomes activeDeadlineSeconds; must be > 0
	SessionID          string        // goes to keys.SessionLabel
	User               string        // the requesting user, to keys.UserAnnotation
	Reason             string        // the session's --reason, to keys.ReasonAnnotation; "" writes none
	DisplayCommand     string        // human-readable command, to keys.CommandAnnotation; "" writes none (a session's command travels in its exec request, not in the pod)
	Now                time.Time     // expiry = Now + MaxDuration, written RFC 3339 UTC to keys.ExpiresAnnotation
	NameSuffix         string        // random part chosen by the caller, so the function stays pure
	Overrides          Overrides     // the user's changes to the template (images, env, resources)
	Custom             *custom.Spec  // --custom and --run-as, merged over the session's container last (see applyCustom); nil for none
	// ToolsImage, when set, makes a shell-less clone: an init container of
	// this image (with a static busybox) copies a shell and its applets into
	// an emptyDir the session's container mounts at shell.ToolsMount, and
	// Command runs from there (the caller built it with shell.StaticLifelineScript).
	ToolsImage string
}

// GeneratePod returns the clone pod (not created), human-readable warnings, or an error.
//
// The clone is built field by field from an allow-list rather than by
// deleting known-bad fields from a copy: a field added to PodSpec in a later
// Kubernetes release is then left out of clones until someone decides it is
// safe, instead of silently reaching a pod that must stay isolated.
func GeneratePod(src Source, o Options) (*corev1.Pod, []string, error) {
	if err := validate(src, o); err != nil {
		return nil, nil, err
	}
	// Everything below takes slices, maps and pointers from this copy, so the
	// caller's Source (often straight from an informer cache) stays untouched.
	tmpl := src.Template.DeepCopy()
	spec := &tmpl.Spec
	source := sourceRef(src)

	i := slices.IndexFunc(spec.Containers, func(c corev1.Container) bool { return c.Name == o.Container })
	if i < 0 {
		return nil, nil, containerNotFound(source, o.Container, spec.Containers)
	}

	var warnings []string
	var inits []corev1.Container
	var skipped []string
	for _, c := range spec.InitContainers {
		switch {
		case isSidecar(c):
			if !o.NoSidecars {
				inits = append(inits, initContainer(c, spec.HostNetwork))
			}
		case o.KeepInitContainers:
			inits = append(inits, initContainer(c, spec.HostNetwork))
		default:
			skipped = append(skipped, c.Name)
		}
	}
	if len(skipped) > 0 {
		warnings = append(warnings, fmt.Sprintf(
			"skipped init containers %s: they may run migrations or other side effects; pass --keep-init-containers if the shell needs what they prepare",
			strings.Join(skipped, ", ")))
	}

	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		// None of the template's labels or annotations survive: labels would put
		// the clone behind the workload's Services and let its ReplicaSet or
		// StatefulSet adopt it, and annotations drive injectors and operators
		// that act on the workload's pods.
		ObjectMeta: metav1.ObjectMeta{
			Name:      PodName(src.Name, o.NameSuffix),
			Namespace: src.Namespace,
			Labels: map[string]string{
				keys.ManagedByLabel: keys.ManagedByValue,
				keys.SessionLabel:   o.SessionID,
			},
			Annotations: map[string]string{
				keys.SourceAnnotation:           source,
				keys.UserAnnotation:             o.User,
				keys.ExpiresAnnotation:          expiresAt(o.Now, o.MaxDuration),
				keys.DefaultContainerAnnotation: o.Container,
			},
		},
		Spec: corev1.PodSpec{
			InitContainers: inits,
			Containers:     []corev1.Container{mainContainer(spec.Containers[i], spec.HostNetwork, o)},
			// A shell that exits is a finished session; restarting it would
			// run the command again without anyone attached.
			RestartPolicy: corev1.RestartPolicyNever,
			// The API server ends the pod on its own once the session's time is
			// up, which covers a client that crashed or lost its connection.
			ActiveDeadlineSeconds: new(ceilSeconds(o.MaxDuration)),
			// Nothing in a clone needs a graceful shutdown, and a long grace
			// period would keep an ended session's pod around for minutes.
			TerminationGracePeriodSeconds: new(int64(1)),

			ServiceAccountName:           serviceAccount(spec),
			AutomountServiceAccountToken: spec.AutomountServiceAccountToken,
			ImagePullSecrets:             spec.ImagePullSecrets,
			SecurityContext:              spec.SecurityContext,
			// Host namespaces stay as the template asked: they are part of the
			// workload's security posture, and a shell that needs them to
			// reproduce a problem would otherwise see a different world.
			HostNetwork:           spec.HostNetwork,
			HostPID:               spec.HostPID,
			HostIPC:               spec.HostIPC,
			HostUsers:             spec.HostUsers,
			ShareProcessNamespace: spec.ShareProcessNamespace,
			OS:                    spec.OS,

			NodeSelector:     spec.NodeSelector,
			Affinity:         withoutSelfTerms(spec.Affinity, tmpl.Labels, src.Namespace),
			Tolerations:      spec.Tolerations,
			RuntimeClassName: spec.RuntimeClassName,
			// Dropped unless asked for: with the workload's priority class a
			// debugging clone on a full cluster may preempt the very pods
			// it is there to help. Some quotas admit only pods of a given
			// class, hence --keep-priority.
			PriorityClassName: keptIf(o.KeepPriority, spec.PriorityClassName),
			Resources:         spec.Resources,

			DNSPolicy:          spec.DNSPolicy,
			DNSConfig:          spec.DNSConfig,
			HostAliases:        spec.HostAliases,
			EnableServiceLinks: spec.EnableServiceLinks,
		},
	}

	if o.DisplayCommand != "" {
		pod.Annotations[keys.CommandAnnotation] = o.DisplayCommand
	}
	// On the pod and (through GenerateJob) the Job, where sessions reads
	// it: a user with the clone Role may write both, and whoever may read
	// the namespace's Jobs sees why the clone exists.
	if o.Reason != "" {
		pod.Annotations[keys.ReasonAnnotation] = o.Reason
	}
	// Before the rules below, which read the containers as they will run.
	if err := applyOverrides(&pod.Spec, spec, source, o); err != nil {
		return nil, nil, err
	}
	if err := applyCustom(&pod.Spec.Containers[0], spec, o.Custom); err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, dropResourceClaims(&pod.Spec)...)
	warnings = append(warnings, keepVolumes(&pod.Spec, spec.Volumes, src.PVCAccessModes, o.WithPVC)...)
	warnings = append(warnings, podMetadataReaders(&pod.Spec)...)
	// Last: the copy takes the app container's security context and
	// resources as they will run, and its volume is no template's.
	if o.ToolsImage != "" {
		if err := withTools(&pod.Spec, o.ToolsImage); err != nil {
			return nil, nil, err
		}
	}
	return pod, warnings, nil
}

// applyCustom merges --custom and --run-as over the session's container
// once the allow-list and the overrides have built it, as kubectl debug
// --custom merges its file last: what the user writes wins over what the
// template gives. It is a step of its own, after the allow-list, so the
// allow-list stays the one rule of what a clone takes from its template,
// and what the user adds is on the user's say alone (package custom
// refuses the fields the lifeline depends on). Before the volume rules,
// which keep the volumes the mounts use, the user's mounts included.
func applyCustom(c *corev1.Container, tmpl *corev1.PodSpec, spec *custom.Spec) error {
	// --run-as target is the template's user; where the template names
	// none the clone already runs as the image's user, as the workload
	// does, and nothing needs to change.
	return spec.ApplyContainer(c, templateUser(c, tmpl))
}

// templateUser is the user the template runs c as where it names one:
// the container's own securityContext's, else the pod's.
func templateUser(c *corev1.Container, tmpl *corev1.PodSpec) *int64 {
	if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return sc.RunAsUser
	}
	if psc := tmpl.SecurityContext; psc != nil && psc.RunAsUser != nil {
		return psc.RunAsUser
	}
	return nil
}

// PodName returns "<workload>-eshell-<suffix>", truncated so the result is a valid pod name (<= 63 chars, DNS-1123 label, no trailing '-').
//
// A label rather than a subdomain, because the pod name also becomes the
// container hostname, which is limited to 63 characters.
func PodName(workload, suffix string) string {
	const maxLen = 63
	workload, suffix = dnsLabelChars(workload), dnsLabelChars(suffix)
	tail := "eshell"
	if suffix != "" {
		tail += "-" + suffix
	}
	tail = strings.TrimRight(truncate(tail, maxLen), "-")
	// The suffix is what keeps concurrent sessions apart, so the workload
	// name is what gets shortened.
	room := maxLen - len(tail) - len("-")
	workload = strings.TrimRight(truncate(workload, max(room, 0)), "-")
	if workload == "" {
		return tail
	}
	return workload + "-" + tail
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// dnsLabelChars maps a workload name, which may be a DNS subdomain with dots,
// onto the characters a DNS-1123 label allows.
func dnsLabelChars(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		default:
			return '-'
		}
	}, s)
	return strings.Trim(s, "-")
}

func validate(src Source, o Options) error {
	if src.Kind == "" || src.Name == "" {
		return errors.New("clone source has no kind or name; this is a bug in kubectl-eshell, please report it")
	}
	if len(o.Command) == 0 {
		return fmt.Errorf("no command to run in the clone of %s; pass one after --, or set a preset or the %s annotation on the workload",
			sourceRef(src), keys.WorkloadCommandAnnotation)
	}
	if o.MaxDuration <= 0 {
		return fmt.Errorf("max duration must be positive, got %s; pass --max-duration, e.g. --max-duration=1h", o.MaxDuration)
	}
	if o.SessionID == "" {
		return errors.New("clone has no session id; this is a bug in kubectl-eshell, please report it")
	}
	if o.NameSuffix == "" {
		return errors.New("clone has no name suffix; this is a bug in kubectl-eshell, please report it")
	}
	return nil
}

func containerNotFound(source, name string, cs []corev1.Container) error {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	valid := strings.Join(names, ", ")
	if name == "" {
		return fmt.Errorf("no container chosen to clone from %s; pass -c with one of: %s", source, valid)
	}
	return fmt.Errorf("container %q not found in %s; pass -c with one of: %s", name, source, valid)
}

func sourceRef(src Source) string {
	return strings.ToLower(src.Kind) + "/" + src.Name
}

// ceilSeconds rounds up so the session gets at least the time asked for.
func ceilSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}

// expiresAt rounds up to whole seconds because RFC 3339 as written here has
// none, and rounding down would have gc end a session before its time.
func expiresAt(now time.Time, d time.Duration) string {
	t := now.Add(d)
	if whole := t.Truncate(time.Second); !whole.Equal(t) {
		t = whole.Add(time.Second)
	}
	return t.UTC().Format(time.RFC3339)
}

// serviceAccount falls back to the deprecated field because a template
// written by hand against an old API may set only that one.
func serviceAccount(spec *corev1.PodSpec) string {
	if spec.ServiceAccountName != "" {
		return spec.ServiceAccountName
	}
	return spec.DeprecatedServiceAccount
}

func isSidecar(c corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// mainContainer keeps what makes the shell see the app's environment and
// nothing that would make it behave like the app.
func mainContainer(c corev1.Container, hostNetwork bool, o Options) corev1.Container {
	return corev1.Container{
		Name:                     c.Name,
		Image:                    c.Image,
		ImagePullPolicy:          c.ImagePullPolicy,
		Command:                  slices.Clone(o.Command),
		WorkingDir:               c.WorkingDir,
		Ports:                    withoutHostPorts(c.Ports, hostNetwork),
		EnvFrom:                  c.EnvFrom,
		Env:                      c.Env,
		Resources:                c.Resources,
		VolumeMounts:             c.VolumeMounts,
		VolumeDevices:            c.VolumeDevices,
		TerminationMessagePolicy: c.TerminationMessagePolicy,
		SecurityContext:          c.SecurityContext,
		// With StdinOnce the kubelet closes stdin when the attach ends, so a
		// client that goes away ends the shell instead of leaving it waiting.
		Stdin:     o.Stdin,
		StdinOnce: o.Stdin,
		TTY:       o.TTY,
	}
}

// initContainer keeps sidecars and init containers running as in production,
// so the shell finds the proxies and agents the app relies on. Probes and
// hooks go all the same: a sidecar's startup probe gates the start of the
// whole pod, and hooks and the other probes act on the workload's behalf,
// neither of which a shell should wait on or trigger. Host ports go for the
// reason given at withoutHostPorts.
func initContainer(c corev1.Container, hostNetwork bool) corev1.Container {
	c.LivenessProbe, c.ReadinessProbe, c.StartupProbe = nil, nil, nil
	c.Lifecycle = nil
	c.Ports = withoutHostPorts(c.Ports, hostNetwork)
	return c
}

// withoutHostPorts keeps ports for port-forwarding and named references, but
// not the host binding: the scheduler would keep the clone off every node
// where a replica holds the port, which for a DaemonSet is every node. On the
// host network each declared port is defaulted to a host port, so there none
// can stay.
func withoutHostPorts(ports []corev1.ContainerPort, hostNetwork bool) []corev1.ContainerPort {
	if ports == nil || hostNetwork {
		return nil
	}
	out := make([]corev1.ContainerPort, len(ports))
	for i, p := range ports {
		out[i] = corev1.ContainerPort{Name: p.Name, ContainerPort: p.ContainerPort, Protocol: p.Protocol}
	}
	return out
}

// keptContainers are the containers the clone will run, in the order the
// kubelet starts them.
func keptContainers(spec *corev1.PodSpec) []*corev1.Container {
	out := make([]*corev1.Container, 0, len(spec.InitContainers)+len(spec.Containers))
	for i := range spec.InitContainers {
		out = append(out, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	return out
}

// keptIf is v when keep, else the zero value.
func keptIf[T any](keep bool, v T) T {
	if keep {
		return v
	}
	var zero T
	return zero
}

// priorityHint adds to a refusal that speaks of priority (a quota or
// policy that admits only pods of a priority class) that the clone left
// the workload's class out on purpose, and the flag that keeps it. A
// refusal of a clone that kept it reads the same words; the hint then
// says what the flag already did, which is still true.
func priorityHint(err error) error {
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "priority") {
		return err
	}
	return fmt.Errorf("%w; a clone runs without the workload's priority class unless --keep-priority, so that it never preempts the workload's pods: pass --keep-priority where the namespace requires the class", err)
}
