package clone

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/pkg/custom"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// kinds are all workload kinds a clone can come from. Every rule below runs
// against each of them with the same template, because the derivation must
// not depend on where the template came from.
var kinds = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}

// baseTemplate is a realistic web app: an app container with everything a
// clone must keep or drop, a second app container, a migration init
// container and a native sidecar. It mounts only volumes a clone may have, so
// each rule about other volumes adds its own.
const baseTemplate = `
metadata:
  labels:
    app: web
    tier: frontend
  annotations:
    prometheus.io/scrape: "true"
    kubectl.kubernetes.io/default-container: app
spec:
  serviceAccountName: web
  automountServiceAccountToken: true
  imagePullSecrets:
  - name: registry
  securityContext:
    runAsNonRoot: true
    fsGroup: 2000
  nodeSelector:
    pool: apps
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: kubernetes.io/arch, operator: In, values: [amd64]}
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector:
          matchLabels: {app: web}
        topologyKey: kubernetes.io/hostname
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 50
        podAffinityTerm:
          labelSelector:
            matchLabels: {app: batch}
          topologyKey: kubernetes.io/hostname
  tolerations:
  - {key: dedicated, operator: Equal, value: apps, effect: NoSchedule}
  runtimeClassName: gvisor
  priorityClassName: business-critical
  dnsPolicy: ClusterFirst
  dnsConfig:
    options:
    - {name: ndots, value: "2"}
  hostAliases:
  - ip: 10.0.0.10
    hostnames: [legacy.internal]
  enableServiceLinks: false
  shareProcessNamespace: true
  restartPolicy: Always
  terminationGracePeriodSeconds: 60
  schedulerName: bin-packer
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: DoNotSchedule
    labelSelector:
      matchLabels: {app: web}
  readinessGates:
  - conditionType: example.com/ready
  schedulingGates:
  - name: example.com/quota
  initContainers:
  - name: migrate
    image: registry.example.com/web:1.2.3
    command: [./manage.py, migrate]
    envFrom:
    - secretRef: {name: web-db}
  - name: proxy
    image: registry.example.com/proxy:4
    restartPolicy: Always
    args: [--upstream=db:5432]
    ports:
    - {name: proxy, containerPort: 15432, hostPort: 15432, protocol: TCP}
    startupProbe:
      tcpSocket: {port: 15432}
    livenessProbe:
      tcpSocket: {port: 15432}
    readinessProbe:
      tcpSocket: {port: 15432}
    lifecycle:
      preStop:
        sleep: {seconds: 5}
    volumeMounts:
    - {name: proxy-certs, mountPath: /certs, readOnly: true}
  containers:
  - name: app
    image: registry.example.com/web:1.2.3
    imagePullPolicy: IfNotPresent
    command: [gunicorn]
    args: [web.wsgi, --bind=0.0.0.0:8000]
    workingDir: /srv/web
    ports:
    - {name: http, containerPort: 8000, hostPort: 80, hostIP: 0.0.0.0, protocol: TCP}
    envFrom:
    - configMapRef: {name: web-config}
    - secretRef: {name: web-secrets}
      prefix: APP_
    env:
    - {name: DJANGO_SETTINGS_MODULE, value: web.settings}
    - name: DATABASE_PASSWORD
      valueFrom:
        secretKeyRef: {name: web-db, key: password}
    - name: POD_NAME
      valueFrom:
        fieldRef: {fieldPath: metadata.name}
    resources:
      requests: {cpu: 250m, memory: 256Mi}
      limits: {memory: 512Mi}
    resizePolicy:
    - {resourceName: cpu, restartPolicy: NotRequired}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    terminationMessagePolicy: FallbackToLogsOnError
    terminationMessagePath: /tmp/termination-log
    livenessProbe:
      httpGet: {path: /healthz, port: http}
    readinessProbe:
      httpGet: {path: /ready, port: http}
    startupProbe:
      httpGet: {path: /healthz, port: http}
      failureThreshold: 30
    lifecycle:
      postStart:
        exec: {command: [./warm-cache]}
      preStop:
        exec: {command: [./drain]}
    volumeMounts:
    - {name: config, mountPath: /etc/web}
    - {name: credentials, mountPath: /var/run/secrets/web, readOnly: true}
    - {name: bundle, mountPath: /var/run/bundle}
    - {name: podinfo, mountPath: /etc/podinfo}
    - {name: tmp, mountPath: /tmp}
  - name: worker
    image: registry.example.com/web:1.2.3
    command: [celery, worker]
    volumeMounts:
    - {name: spool, mountPath: /var/spool/worker}
  volumes:
  - name: config
    configMap: {name: web-config}
  - name: credentials
    secret: {secretName: web-credentials}
  - name: bundle
    projected:
      sources:
      - serviceAccountToken: {path: token, audience: vault}
  - name: podinfo
    downwardAPI:
      items:
      - path: name
        fieldRef: {fieldPath: metadata.name}
  - name: tmp
    emptyDir: {}
  - name: proxy-certs
    secret: {secretName: proxy-certs}
  - name: spool
    hostPath: {path: /var/spool/worker}
`

// wantPod is the clone of baseTemplate with defaultOptions, whatever the kind.
const wantPod = `
apiVersion: v1
kind: Pod
metadata:
  name: web-eshell-x7k2p
  namespace: shop
  labels:
    app.kubernetes.io/managed-by: kubectl-eshell
    eshell.kubectl.io/session: s3ss10n
  annotations:
    eshell.kubectl.io/source: set-per-kind
    eshell.kubectl.io/user: alice@example.com
    eshell.kubectl.io/session-command: bash
    eshell.kubectl.io/expires-at: "2026-03-01T13:00:00Z"
    kubectl.kubernetes.io/default-container: app
spec:
  restartPolicy: Never
  activeDeadlineSeconds: 3600
  terminationGracePeriodSeconds: 1
  serviceAccountName: web
  automountServiceAccountToken: true
  imagePullSecrets:
  - name: registry
  securityContext:
    runAsNonRoot: true
    fsGroup: 2000
  nodeSelector:
    pool: apps
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: kubernetes.io/arch, operator: In, values: [amd64]}
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 50
        podAffinityTerm:
          labelSelector:
            matchLabels: {app: batch}
          topologyKey: kubernetes.io/hostname
  tolerations:
  - {key: dedicated, operator: Equal, value: apps, effect: NoSchedule}
  runtimeClassName: gvisor
  dnsPolicy: ClusterFirst
  dnsConfig:
    options:
    - {name: ndots, value: "2"}
  hostAliases:
  - ip: 10.0.0.10
    hostnames: [legacy.internal]
  enableServiceLinks: false
  shareProcessNamespace: true
  initContainers:
  - name: proxy
    image: registry.example.com/proxy:4
    restartPolicy: Always
    args: [--upstream=db:5432]
    ports:
    - {name: proxy, containerPort: 15432, protocol: TCP}
    volumeMounts:
    - {name: proxy-certs, mountPath: /certs, readOnly: true}
  containers:
  - name: app
    image: registry.example.com/web:1.2.3
    imagePullPolicy: IfNotPresent
    command: [/bin/sh, -c, exec bash]
    workingDir: /srv/web
    ports:
    - {name: http, containerPort: 8000, protocol: TCP}
    envFrom:
    - configMapRef: {name: web-config}
    - secretRef: {name: web-secrets}
      prefix: APP_
    env:
    - {name: DJANGO_SETTINGS_MODULE, value: web.settings}
    - name: DATABASE_PASSWORD
      valueFrom:
        secretKeyRef: {name: web-db, key: password}
    - name: POD_NAME
      valueFrom:
        fieldRef: {fieldPath: metadata.name}
    resources:
      requests: {cpu: 250m, memory: 256Mi}
      limits: {memory: 512Mi}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    terminationMessagePolicy: FallbackToLogsOnError
    volumeMounts:
    - {name: config, mountPath: /etc/web}
    - {name: credentials, mountPath: /var/run/secrets/web, readOnly: true}
    - {name: bundle, mountPath: /var/run/bundle}
    - {name: podinfo, mountPath: /etc/podinfo}
    - {name: tmp, mountPath: /tmp}
    stdin: true
    stdinOnce: true
    tty: true
  volumes:
  - name: config
    configMap: {name: web-config}
  - name: credentials
    secret: {secretName: web-credentials}
  - name: bundle
    projected:
      sources:
      - serviceAccountToken: {path: token, audience: vault}
  - name: podinfo
    downwardAPI:
      items:
      - path: name
        fieldRef: {fieldPath: metadata.name}
  - name: tmp
    emptyDir: {}
  - name: proxy-certs
    secret: {secretName: proxy-certs}
`

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// customSpec is --custom with file's content ("" for none) and --run-as
// user (nil for none); the test data is fixed, so an error is a broken
// test.
func customSpec(file string, user *custom.User) *custom.Spec {
	var s *custom.Spec
	var err error
	if file != "" {
		if s, err = custom.Parse("f.yaml", []byte(file)); err != nil {
			panic(err)
		}
	}
	if user != nil {
		if s, err = s.WithUser(*user); err != nil {
			panic(err)
		}
	}
	return s
}

func defaultOptions() Options {
	return Options{
		Container:      "app",
		Command:        []string{"/bin/sh", "-c", "exec bash"},
		Stdin:          true,
		TTY:            true,
		MaxDuration:    time.Hour,
		SessionID:      "s3ss10n",
		User:           "alice@example.com",
		DisplayCommand: "bash",
		Now:            now,
		NameSuffix:     "x7k2p",
	}
}

func mustYAML[T any](t *testing.T, doc string) T {
	t.Helper()
	var v T
	if err := yaml.UnmarshalStrict([]byte(doc), &v); err != nil {
		t.Fatalf("test YAML does not parse: %v", err)
	}
	return v
}

// sourceFor wraps baseTemplate as kind, with what such a template really
// carries: a Pod's spec comes back filled in by the API server and its
// controllers, and a Job's template has its own labels and restart policy.
func sourceFor(t *testing.T, kind string) Source {
	t.Helper()
	tmpl := mustYAML[corev1.PodTemplateSpec](t, baseTemplate)
	switch kind {
	case "Pod":
		tmpl.Name = "web-7d4b9c-abcde"
		tmpl.Namespace = "shop"
		tmpl.UID = "0b5e2c1d-0000-4000-8000-000000000001"
		tmpl.Labels["pod-template-hash"] = "7d4b9c"
		tmpl.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d4b9c", UID: "rs-uid", Controller: new(true)}}
		tmpl.Spec.NodeName = "node-1"
		tmpl.Spec.DeprecatedServiceAccount = "web"
		tmpl.Spec.Priority = new(int32(1000000))
		tmpl.Spec.PreemptionPolicy = new(corev1.PreemptLowerPriority)
		tmpl.Spec.Overhead = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("20Mi")}
		tmpl.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox"}}}
	case "Job", "CronJob":
		tmpl.Labels["batch.kubernetes.io/job-name"] = "web-29012345"
		tmpl.Labels["batch.kubernetes.io/controller-uid"] = "job-uid"
		tmpl.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	case "ReplicaSet":
		tmpl.Labels["pod-template-hash"] = "7d4b9c"
	}
	return Source{Kind: kind, Name: "web", Namespace: "shop", Template: tmpl}
}

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 }),
}

func eq(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// warned wants exactly one warning that contains all parts, so a rule cannot
// pass on another rule's message.
func warned(t *testing.T, warnings []string, parts ...string) {
	t.Helper()
	n := 0
	for _, w := range warnings {
		if containsAll(w, parts) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("want one warning containing %q, got %d in:\n%s", parts, n, strings.Join(warnings, "\n"))
	}
}

func notWarned(t *testing.T, warnings []string, part string) {
	t.Helper()
	for _, w := range warnings {
		if strings.Contains(w, part) {
			t.Errorf("unexpected warning mentioning %q: %s", part, w)
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func templateContainer(t *testing.T, src Source, name string) corev1.Container {
	t.Helper()
	for _, c := range slices.Concat(src.Template.Spec.InitContainers, src.Template.Spec.Containers) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("template has no container %q", name)
	return corev1.Container{}
}

func only(t *testing.T, pod *corev1.Pod) corev1.Container {
	t.Helper()
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("want exactly one container, got %d", len(pod.Spec.Containers))
	}
	return pod.Spec.Containers[0]
}

func initNamed(pod *corev1.Pod, name string) (corev1.Container, bool) {
	i := slices.IndexFunc(pod.Spec.InitContainers, func(c corev1.Container) bool { return c.Name == name })
	if i < 0 {
		return corev1.Container{}, false
	}
	return pod.Spec.InitContainers[i], true
}

func names[T any](items []T, name func(T) string) []string {
	var out []string
	for _, it := range items {
		out = append(out, name(it))
	}
	return out
}

func volumeNames(pod *corev1.Pod) []string {
	return names(pod.Spec.Volumes, func(v corev1.Volume) string { return v.Name })
}

func mountNames(c corev1.Container) []string {
	return names(c.VolumeMounts, func(m corev1.VolumeMount) string { return m.Name })
}

func volumeNamed(pod *corev1.Pod, name string) (corev1.Volume, bool) {
	i := slices.IndexFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == name })
	if i < 0 {
		return corev1.Volume{}, false
	}
	return pod.Spec.Volumes[i], true
}

// addVolume adds v to the template and mounts it in the app container and
// the sidecar, so a rule shows that it treats every kept container alike.
func addVolume(src *Source, v corev1.Volume) {
	spec := &src.Template.Spec
	spec.Volumes = append(spec.Volumes, v)
	for _, c := range []*corev1.Container{&spec.Containers[0], &spec.InitContainers[1]} {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: v.Name, MountPath: "/mnt/" + v.Name})
	}
}

func claimVolume(name, claim string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
	}}
}

// wantClaimReadOnly checks a kept claim is read-only on the volume and on
// every mount, in the app container and the sidecar alike.
func wantClaimReadOnly(t *testing.T, pod *corev1.Pod, volume string) {
	t.Helper()
	v, ok := volumeNamed(pod, volume)
	if !ok {
		t.Fatalf("volume %q missing; volumes: %v", volume, volumeNames(pod))
	}
	if !v.PersistentVolumeClaim.ReadOnly {
		t.Errorf("volume %q is not read-only", volume)
	}
	n := 0
	for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
		for _, m := range c.VolumeMounts {
			if m.Name == volume {
				n++
				if !m.ReadOnly {
					t.Errorf("mount %s:%s is not read-only", c.Name, m.MountPath)
				}
			}
		}
	}
	if n != 2 {
		t.Errorf("want the claim mounted in app and proxy, got %d mounts", n)
	}
}

func wantVolumeGone(t *testing.T, pod *corev1.Pod, volume string) {
	t.Helper()
	if _, ok := volumeNamed(pod, volume); ok {
		t.Errorf("volume %q kept", volume)
	}
	for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
		for _, m := range c.VolumeMounts {
			if m.Name == volume {
				t.Errorf("mount %s:%s of dropped volume %q kept", c.Name, m.MountPath, volume)
			}
		}
		for _, d := range c.VolumeDevices {
			if d.Name == volume {
				t.Errorf("device %s:%s of dropped volume %q kept", c.Name, d.DevicePath, volume)
			}
		}
	}
}

type rule struct {
	name  string
	src   func(*Source)
	opts  func(*Options)
	check func(t *testing.T, src Source, pod *corev1.Pod, warnings []string)
}

var rules = []rule{
	{
		name: "whole pod",
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			want := mustYAML[corev1.Pod](t, wantPod)
			want.Annotations[keys.SourceAnnotation] = strings.ToLower(src.Kind) + "/web"
			eq(t, "pod", &want, pod)
			eq(t, "warnings", []string{
				"skipped init containers migrate: they may run migrations or other side effects; pass --keep-init-containers if the shell needs what they prepare",
			}, warnings)
		},
	},

	// The cloned container.
	{
		name: "keeps image and pull policy",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			eq(t, "image", "registry.example.com/web:1.2.3", c.Image)
			eq(t, "imagePullPolicy", corev1.PullIfNotPresent, c.ImagePullPolicy)
		},
	},
	{
		name: "keeps working dir",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "workingDir", "/srv/web", only(t, pod).WorkingDir)
		},
	},
	{
		name: "keeps env and envFrom as unresolved references",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c, tc := only(t, pod), templateContainer(t, src, "app")
			eq(t, "env", tc.Env, c.Env)
			eq(t, "envFrom", tc.EnvFrom, c.EnvFrom)
		},
	},
	{
		name: "keeps resources",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "resources", templateContainer(t, src, "app").Resources, only(t, pod).Resources)
		},
	},
	{
		name: "keeps container security context",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "securityContext", templateContainer(t, src, "app").SecurityContext, only(t, pod).SecurityContext)
		},
	},
	{
		name: "keeps termination message policy",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			eq(t, "terminationMessagePolicy", corev1.TerminationMessageFallbackToLogsOnError, c.TerminationMessagePolicy)
			eq(t, "terminationMessagePath", "", c.TerminationMessagePath)
		},
	},
	{
		name: "runs the session command instead of the app",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			eq(t, "command", []string{"/bin/sh", "-c", "exec bash"}, c.Command)
			eq(t, "args", []string(nil), c.Args)
		},
	},
	{
		name: "keeps ports without the host binding",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "ports", []corev1.ContainerPort{{Name: "http", ContainerPort: 8000, Protocol: corev1.ProtocolTCP}}, only(t, pod).Ports)
		},
	},
	{
		name: "drops probes and lifecycle hooks",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			if c.LivenessProbe != nil || c.ReadinessProbe != nil || c.StartupProbe != nil {
				t.Errorf("probes kept: liveness %v, readiness %v, startup %v", c.LivenessProbe, c.ReadinessProbe, c.StartupProbe)
			}
			if c.Lifecycle != nil {
				t.Errorf("lifecycle kept: %v", c.Lifecycle)
			}
		},
	},
	{
		name: "drops the app container's own restart and resize policies",
		src: func(s *Source) {
			c := &s.Template.Spec.Containers[0]
			c.RestartPolicy = new(corev1.ContainerRestartPolicyAlways)
			c.RestartPolicyRules = []corev1.ContainerRestartRule{{Action: corev1.ContainerRestartRuleActionRestart}}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			if c.RestartPolicy != nil || c.RestartPolicyRules != nil || c.ResizePolicy != nil {
				t.Errorf("kept restartPolicy %v, restartPolicyRules %v, resizePolicy %v", c.RestartPolicy, c.RestartPolicyRules, c.ResizePolicy)
			}
		},
	},
	{
		name: "interactive session attaches stdin once with a tty",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			eq(t, "stdin, stdinOnce, tty", [3]bool{true, true, true}, [3]bool{c.Stdin, c.StdinOnce, c.TTY})
		},
	},
	{
		name: "piped session attaches stdin once without a tty",
		opts: func(o *Options) { o.TTY = false },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			eq(t, "stdin, stdinOnce, tty", [3]bool{true, true, false}, [3]bool{c.Stdin, c.StdinOnce, c.TTY})
		},
	},
	{
		name: "non-interactive session has no stdin",
		opts: func(o *Options) { o.Stdin, o.TTY = false, false },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			eq(t, "stdin, stdinOnce, tty", [3]bool{false, false, false}, [3]bool{c.Stdin, c.StdinOnce, c.TTY})
		},
	},
	{
		name: "clones the chosen container under its own name",
		opts: func(o *Options) { o.Container = "worker" },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			eq(t, "name", "worker", c.Name)
			eq(t, "default container", "worker", pod.Annotations[keys.DefaultContainerAnnotation])
		},
	},

	// Pod-level settings the clone keeps.
	{
		name: "keeps the service account",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "serviceAccountName", "web", pod.Spec.ServiceAccountName)
			eq(t, "automountServiceAccountToken", new(true), pod.Spec.AutomountServiceAccountToken)
			eq(t, "serviceAccount", "", pod.Spec.DeprecatedServiceAccount)
		},
	},
	{
		name: "takes the service account from the deprecated field if that is all there is",
		src: func(s *Source) {
			s.Template.Spec.ServiceAccountName = ""
			s.Template.Spec.DeprecatedServiceAccount = "legacy"
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "serviceAccountName", "legacy", pod.Spec.ServiceAccountName)
		},
	},
	{
		name: "keeps image pull secrets",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "imagePullSecrets", []corev1.LocalObjectReference{{Name: "registry"}}, pod.Spec.ImagePullSecrets)
		},
	},
	{
		name: "keeps the pod security context",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "securityContext", src.Template.Spec.SecurityContext, pod.Spec.SecurityContext)
		},
	},
	{
		name: "keeps host namespaces, user namespaces and OS as the template asks",
		src: func(s *Source) {
			s.Template.Spec.HostNetwork = true
			s.Template.Spec.HostPID = true
			s.Template.Spec.HostIPC = true
			s.Template.Spec.HostUsers = new(false)
			s.Template.Spec.OS = &corev1.PodOS{Name: corev1.Linux}
			s.Template.Spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			s := pod.Spec
			eq(t, "hostNetwork, hostPID, hostIPC", [3]bool{true, true, true}, [3]bool{s.HostNetwork, s.HostPID, s.HostIPC})
			eq(t, "hostUsers", new(false), s.HostUsers)
			eq(t, "os", &corev1.PodOS{Name: corev1.Linux}, s.OS)
			eq(t, "dnsPolicy", corev1.DNSClusterFirstWithHostNet, s.DNSPolicy)
		},
	},
	{
		name: "drops all ports on the host network, where each one binds the host",
		src:  func(s *Source) { s.Template.Spec.HostNetwork = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "app ports", []corev1.ContainerPort(nil), only(t, pod).Ports)
			proxy, _ := initNamed(pod, "proxy")
			eq(t, "proxy ports", []corev1.ContainerPort(nil), proxy.Ports)
		},
	},
	{
		name: "keeps node selector, tolerations and node affinity",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "nodeSelector", map[string]string{"pool": "apps"}, pod.Spec.NodeSelector)
			eq(t, "tolerations", src.Template.Spec.Tolerations, pod.Spec.Tolerations)
			eq(t, "nodeAffinity", src.Template.Spec.Affinity.NodeAffinity, pod.Spec.Affinity.NodeAffinity)
		},
	},
	{
		name: "drops pod (anti-)affinity terms that place the workload's own replicas",
		src: func(s *Source) {
			own := corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: "kubernetes.io/hostname"}
			ownByExpr := corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"frontend"}},
			}}, TopologyKey: "topology.kubernetes.io/zone", Namespaces: []string{"shop"}}
			cache := corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}, TopologyKey: "kubernetes.io/hostname"}
			// Same labels, but in another namespace: not the workload's pods.
			elsewhere := corev1.PodAffinityTerm{LabelSelector: own.LabelSelector, TopologyKey: "kubernetes.io/hostname", Namespaces: []string{"staging"}}
			// Namespaces picked by their labels cannot be judged offline.
			selected := corev1.PodAffinityTerm{LabelSelector: own.LabelSelector, TopologyKey: "kubernetes.io/hostname",
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "shop"}}}
			s.Template.Spec.Affinity.PodAffinity = &corev1.PodAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution:  []corev1.PodAffinityTerm{own, cache},
				PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 10, PodAffinityTerm: ownByExpr}},
			}
			s.Template.Spec.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution:  []corev1.PodAffinityTerm{own, elsewhere, selected},
				PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 10, PodAffinityTerm: ownByExpr}},
			}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			a := src.Template.Spec.Affinity
			eq(t, "podAffinity", &corev1.PodAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[1:],
			}, pod.Spec.Affinity.PodAffinity)
			eq(t, "podAntiAffinity", &corev1.PodAntiAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[1:],
			}, pod.Spec.Affinity.PodAntiAffinity)
		},
	},
	{
		name: "drops affinity altogether when only self terms were in it",
		src: func(s *Source) {
			s.Template.Spec.Affinity.NodeAffinity = nil
			s.Template.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = nil
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "affinity", (*corev1.Affinity)(nil), pod.Spec.Affinity)
		},
	},
	{
		name: "keeps runtime class, drops priority class and the values admission derives from them",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			s := pod.Spec
			eq(t, "runtimeClassName", new("gvisor"), s.RuntimeClassName)
			eq(t, "priorityClassName", "", s.PriorityClassName)
			if s.Priority != nil || s.PreemptionPolicy != nil || s.Overhead != nil {
				t.Errorf("kept priority %v, preemptionPolicy %v, overhead %v", s.Priority, s.PreemptionPolicy, s.Overhead)
			}
		},
	},
	{
		name: "keeps the priority class with --keep-priority, still not the values admission derives",
		opts: func(o *Options) { o.KeepPriority = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			s := pod.Spec
			eq(t, "priorityClassName", "business-critical", s.PriorityClassName)
			if s.Priority != nil || s.PreemptionPolicy != nil || s.Overhead != nil {
				t.Errorf("kept priority %v, preemptionPolicy %v, overhead %v", s.Priority, s.PreemptionPolicy, s.Overhead)
			}
		},
	},
	{
		name: "keeps pod-level resources",
		src: func(s *Source) {
			s.Template.Spec.Resources = &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "resources", src.Template.Spec.Resources, pod.Spec.Resources)
		},
	},
	{
		name: "keeps DNS settings and host aliases",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "dnsPolicy", corev1.DNSClusterFirst, pod.Spec.DNSPolicy)
			eq(t, "dnsConfig", src.Template.Spec.DNSConfig, pod.Spec.DNSConfig)
			eq(t, "hostAliases", src.Template.Spec.HostAliases, pod.Spec.HostAliases)
		},
	},
	{
		name: "keeps service links and process namespace sharing",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "enableServiceLinks", new(false), pod.Spec.EnableServiceLinks)
			eq(t, "shareProcessNamespace", new(true), pod.Spec.ShareProcessNamespace)
		},
	},

	// What would tie the clone to the workload's traffic, controllers or identity.
	{
		name: "replaces template labels and annotations with eshell's",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "labels", map[string]string{
				keys.ManagedByLabel: keys.ManagedByValue,
				keys.SessionLabel:   "s3ss10n",
			}, pod.Labels)
			eq(t, "annotations", map[string]string{
				keys.SourceAnnotation:           strings.ToLower(src.Kind) + "/web",
				keys.UserAnnotation:             "alice@example.com",
				keys.CommandAnnotation:          "bash",
				keys.ExpiresAnnotation:          "2026-03-01T13:00:00Z",
				keys.DefaultContainerAnnotation: "app",
			}, pod.Annotations)
			if !IsClone(pod) {
				t.Error("IsClone does not recognise the clone")
			}
		},
	},
	{
		name: "drops owner references and the source's identity",
		src: func(s *Source) {
			s.Template.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-1", UID: "uid", Controller: new(true)}}
			s.Template.Finalizers = []string{"example.com/keep"}
			s.Template.GenerateName = "web-"
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			if pod.OwnerReferences != nil || pod.Finalizers != nil || pod.GenerateName != "" || pod.UID != "" {
				t.Errorf("kept ownerReferences %v, finalizers %v, generateName %q, uid %q", pod.OwnerReferences, pod.Finalizers, pod.GenerateName, pod.UID)
			}
		},
	},
	{
		name: "drops the node name",
		src:  func(s *Source) { s.Template.Spec.NodeName = "node-1" },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "nodeName", "", pod.Spec.NodeName)
		},
	},
	{
		name: "drops StatefulSet identity",
		src: func(s *Source) {
			s.Template.Spec.Hostname = "web-0"
			s.Template.Spec.Subdomain = "web"
			s.Template.Spec.SetHostnameAsFQDN = new(true)
			s.Template.Spec.HostnameOverride = new("web-0.example")
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			s := pod.Spec
			if s.Hostname != "" || s.Subdomain != "" || s.SetHostnameAsFQDN != nil || s.HostnameOverride != nil {
				t.Errorf("kept hostname %q, subdomain %q, setHostnameAsFQDN %v, hostnameOverride %v", s.Hostname, s.Subdomain, s.SetHostnameAsFQDN, s.HostnameOverride)
			}
		},
	},
	{
		name: "drops replica placement, readiness and scheduling gates",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			s := pod.Spec
			if s.SchedulerName != "" || s.TopologySpreadConstraints != nil || s.ReadinessGates != nil || s.SchedulingGates != nil {
				t.Errorf("kept schedulerName %q, topologySpreadConstraints %v, readinessGates %v, schedulingGates %v",
					s.SchedulerName, s.TopologySpreadConstraints, s.ReadinessGates, s.SchedulingGates)
			}
		},
	},
	{
		name: "drops ephemeral containers",
		src: func(s *Source) {
			s.Template.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox"}}}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "ephemeralContainers", []corev1.EphemeralContainer(nil), pod.Spec.EphemeralContainers)
		},
	},
	{
		name: "drops the other app containers",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "containers", []string{"app"}, names(pod.Spec.Containers, func(c corev1.Container) string { return c.Name }))
		},
	},

	// Init containers and sidecars.
	{
		name: "skips regular init containers by default",
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			if _, ok := initNamed(pod, "migrate"); ok {
				t.Error("init container migrate kept")
			}
			warned(t, warnings, "migrate", "--keep-init-containers")
		},
	},
	{
		name: "keeps regular init containers as they are when asked",
		opts: func(o *Options) { o.KeepInitContainers = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			eq(t, "init containers", []string{"migrate", "proxy"}, names(pod.Spec.InitContainers, func(c corev1.Container) string { return c.Name }))
			got, _ := initNamed(pod, "migrate")
			eq(t, "migrate", templateContainer(t, src, "migrate"), got)
			notWarned(t, warnings, "init containers")
		},
	},
	{
		name: "keeps sidecars running as in production, without probes or hooks",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			got, ok := initNamed(pod, "proxy")
			if !ok {
				t.Fatal("sidecar proxy dropped")
			}
			want := templateContainer(t, src, "proxy")
			want.StartupProbe, want.LivenessProbe, want.ReadinessProbe, want.Lifecycle = nil, nil, nil, nil
			want.Ports[0].HostPort = 0
			eq(t, "sidecar", want, got)
		},
	},
	{
		name: "drops sidecars when asked, with their volumes",
		opts: func(o *Options) { o.NoSidecars = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			eq(t, "init containers", []corev1.Container(nil), pod.Spec.InitContainers)
			if _, ok := volumeNamed(pod, "proxy-certs"); ok {
				t.Error("volume proxy-certs kept though only the dropped sidecar mounted it")
			}
			notWarned(t, warnings, "proxy")
		},
	},
	{
		name: "keeps both init containers and sidecars in their order",
		src: func(s *Source) {
			s.Template.Spec.InitContainers = append(s.Template.Spec.InitContainers, corev1.Container{Name: "seed", Image: "registry.example.com/web:1.2.3"})
		},
		opts: func(o *Options) { o.KeepInitContainers = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "init containers", []string{"migrate", "proxy", "seed"}, names(pod.Spec.InitContainers, func(c corev1.Container) string { return c.Name }))
		},
	},

	// Volumes.
	{
		name: "keeps configMap, secret, projected, downwardAPI, emptyDir and image volumes",
		src: func(s *Source) {
			addVolume(s, corev1.Volume{Name: "model", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "registry.example.com/model:3"}}})
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			eq(t, "volumes", []string{"config", "credentials", "bundle", "podinfo", "tmp", "proxy-certs", "model"}, volumeNames(pod))
			eq(t, "app mounts", []string{"config", "credentials", "bundle", "podinfo", "tmp", "model"}, mountNames(only(t, pod)))
			notWarned(t, warnings, "volume")
		},
	},
	{
		name: "leaves out volumes only dropped containers mounted, silently",
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "spool")
			notWarned(t, warnings, "spool")
		},
	},
	{
		name: "drops a hostPath volume and its mounts",
		src: func(s *Source) {
			addVolume(s, corev1.Volume{Name: "logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log/web"}}})
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "logs")
			warned(t, warnings, `hostPath volume "logs"`, "proxy:/mnt/logs", "app:/mnt/logs")
		},
	},
	{
		name: "drops an nfs volume and its mounts",
		src: func(s *Source) {
			addVolume(s, corev1.Volume{Name: "shared", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs", Path: "/export"}}})
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "shared")
			warned(t, warnings, `nfs volume "shared"`, "app:/mnt/shared")
		},
	},
	{
		name: "drops a csi volume and its mounts",
		src: func(s *Source) {
			addVolume(s, corev1.Volume{Name: "vault", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "secrets-store.csi.k8s.io"}}})
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "vault")
			warned(t, warnings, `csi volume "vault"`, "app:/mnt/vault")
		},
	},
	{
		name: "drops a generic ephemeral volume and its mounts",
		src: func(s *Source) {
			addVolume(s, corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}})
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "scratch")
			warned(t, warnings, `ephemeral volume "scratch"`, "app:/mnt/scratch")
		},
	},
	{
		name: "drops mounts of volumes the template does not define",
		src: func(s *Source) {
			// A StatefulSet's claim templates mount like this.
			c := &s.Template.Spec.Containers[0]
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "data", MountPath: "/var/lib/web"})
		},
		opts: func(o *Options) { o.WithPVC = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "data")
			warned(t, warnings, `volume "data"`, "app:/var/lib/web", "does not define it")
		},
	},

	// Persistent volume claims.
	{
		name: "drops claims without --with-pvc and says how to mount them",
		src: func(s *Source) {
			addVolume(s, claimVolume("data", "web-data"))
			s.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{"web-data": {corev1.ReadWriteMany}}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "data")
			warned(t, warnings, `"data"`, `"web-data"`, "app:/mnt/data", "--with-pvc", "read-only")
		},
	},
	{
		name: "drops a claim's block devices with it",
		src: func(s *Source) {
			s.Template.Spec.Volumes = append(s.Template.Spec.Volumes, claimVolume("raw", "web-raw"))
			c := &s.Template.Spec.Containers[0]
			c.VolumeDevices = []corev1.VolumeDevice{{Name: "raw", DevicePath: "/dev/xvdb"}}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "raw")
			eq(t, "volumeDevices", []corev1.VolumeDevice(nil), only(t, pod).VolumeDevices)
			warned(t, warnings, `"raw"`, "app:/dev/xvdb", "--with-pvc")
		},
	},
	{
		name: "mounts a ReadOnlyMany claim read-only with --with-pvc",
		src: func(s *Source) {
			addVolume(s, claimVolume("data", "web-data"))
			s.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{"web-data": {corev1.ReadOnlyMany}}
		},
		opts: func(o *Options) { o.WithPVC = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantClaimReadOnly(t, pod, "data")
			warned(t, warnings, `"data"`, `"web-data"`, "read-only", "app:/mnt/data", "proxy:/mnt/data")
			notWarned(t, warnings, "unknown")
		},
	},
	{
		name: "mounts a ReadWriteMany claim read-only with --with-pvc",
		src: func(s *Source) {
			addVolume(s, claimVolume("data", "web-data"))
			s.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{"web-data": {corev1.ReadWriteMany}}
		},
		opts: func(o *Options) { o.WithPVC = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantClaimReadOnly(t, pod, "data")
			warned(t, warnings, `"web-data"`, "read-only", "live data")
		},
	},
	{
		name: "mounts a claim that is ReadWriteOnce and ReadOnlyMany read-only",
		src: func(s *Source) {
			addVolume(s, claimVolume("data", "web-data"))
			s.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{"web-data": {corev1.ReadWriteOnce, corev1.ReadOnlyMany}}
		},
		opts: func(o *Options) { o.WithPVC = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantClaimReadOnly(t, pod, "data")
			warned(t, warnings, `"web-data"`, "read-only")
		},
	},
	{
		name: "keeps a mount that was read-only already read-only",
		src: func(s *Source) {
			addVolume(s, claimVolume("data", "web-data"))
			s.Template.Spec.Volumes[len(s.Template.Spec.Volumes)-1].PersistentVolumeClaim.ReadOnly = true
			s.Template.Spec.Containers[0].VolumeMounts[len(s.Template.Spec.Containers[0].VolumeMounts)-1].ReadOnly = true
			s.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{"web-data": {corev1.ReadOnlyMany}}
		},
		opts: func(o *Options) { o.WithPVC = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			wantClaimReadOnly(t, pod, "data")
		},
	},
	{
		name: "does not mount a ReadWriteOnce claim even with --with-pvc",
		src: func(s *Source) {
			addVolume(s, claimVolume("data", "web-data"))
			s.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{"web-data": {corev1.ReadWriteOnce}}
		},
		opts: func(o *Options) { o.WithPVC = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "data")
			warned(t, warnings, `"web-data"`, "app:/mnt/data", "even with --with-pvc", "ReadWriteOnce")
		},
	},
	{
		name: "does not mount a ReadWriteOncePod claim even with --with-pvc",
		src: func(s *Source) {
			addVolume(s, claimVolume("data", "web-data"))
			s.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{"web-data": {corev1.ReadWriteOncePod}}
		},
		opts: func(o *Options) { o.WithPVC = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			wantVolumeGone(t, pod, "data")
			warned(t, warnings, `"web-data"`, "even with --with-pvc", "ReadWriteOncePod")
		},
	},
	{
		name: "mounts a claim of unknown access modes read-only and says so",
		src: func(s *Source) {
			addVolume(s, claimVolume("data", "web-data"))
			addVolume(s, claimVolume("cache", "web-cache"))
			s.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{"web-cache": nil}
		},
		opts: func(o *Options) { o.WithPVC = true },
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			for _, v := range []struct{ volume, claim string }{{"data", "web-data"}, {"cache", "web-cache"}} {
				wantClaimReadOnly(t, pod, v.volume)
				warned(t, warnings, `"`+v.claim+`"`, "unknown")
				warned(t, warnings, `"`+v.claim+`"`, "read-only", "live data")
			}
		},
	},

	// Session bookkeeping.
	{
		name: "names the pod after the workload in its namespace",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "name", "web-eshell-x7k2p", pod.Name)
			eq(t, "namespace", "shop", pod.Namespace)
		},
	},
	{
		name: "never restarts and stops at once",
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "restartPolicy", corev1.RestartPolicyNever, pod.Spec.RestartPolicy)
			eq(t, "terminationGracePeriodSeconds", new(int64(1)), pod.Spec.TerminationGracePeriodSeconds)
		},
	},
	{
		name: "ends at the max duration, rounded up to whole seconds",
		opts: func(o *Options) { o.MaxDuration = 90*time.Second + 500*time.Millisecond },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "activeDeadlineSeconds", new(int64(91)), pod.Spec.ActiveDeadlineSeconds)
			eq(t, "expires", "2026-03-01T12:01:31Z", pod.Annotations[keys.ExpiresAnnotation])
		},
	},
	{
		name: "writes the expiry in UTC",
		opts: func(o *Options) {
			o.Now = time.Date(2026, 3, 1, 13, 30, 0, 0, time.FixedZone("CET", 3600))
			o.MaxDuration = 15 * time.Minute
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "expires", "2026-03-01T12:45:00Z", pod.Annotations[keys.ExpiresAnnotation])
			if !Expired(pod, time.Date(2026, 3, 1, 12, 45, 0, 0, time.UTC)) || Expired(pod, time.Date(2026, 3, 1, 12, 44, 59, 0, time.UTC)) {
				t.Error("Expired disagrees with the expiry written")
			}
		},
	},

	// Things that differ from production and would puzzle the user.
	{
		name: "does not allocate dynamic resource claims",
		src: func(s *Source) {
			s.Template.Spec.ResourceClaims = []corev1.PodResourceClaim{{Name: "gpu", ResourceClaimTemplateName: new("one-gpu")}}
			s.Template.Spec.Containers[0].Resources.Claims = []corev1.ResourceClaim{{Name: "gpu"}}
			s.Template.Spec.InitContainers[1].Resources.Claims = []corev1.ResourceClaim{{Name: "gpu"}}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			eq(t, "resourceClaims", []corev1.PodResourceClaim(nil), pod.Spec.ResourceClaims)
			for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
				eq(t, c.Name+" claims", []corev1.ResourceClaim(nil), c.Resources.Claims)
			}
			eq(t, "app requests", templateContainer(t, src, "app").Resources.Requests, only(t, pod).Resources.Requests)
			warned(t, warnings, "gpu")
		},
	},
	{
		name: "warns where the app reads labels or annotations through the downward API",
		src: func(s *Source) {
			c := &s.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}})
			v := &s.Template.Spec.Volumes[3]
			v.DownwardAPI.Items = append(v.DownwardAPI.Items, corev1.DownwardAPIVolumeFile{Path: "annotations", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations"}})
			p := s.Template.Spec.Volumes[2].Projected
			p.Sources = append(p.Sources, corev1.VolumeProjection{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
			}}})
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, warnings []string) {
			warned(t, warnings, "env APP", "container app", "metadata.labels['app']")
			warned(t, warnings, "annotations", `volume "podinfo"`)
			warned(t, warnings, "labels", `volume "bundle"`)
			notWarned(t, warnings, "POD_NAME")
		},
	},

	// --custom and --run-as, merged over the session's container last.
	{
		name: "--custom adds a capability over the template's securityContext; the lifeline stays",
		opts: func(o *Options) { o.Custom = customSpec("securityContext: {capabilities: {add: [NET_ADMIN]}}", nil) },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			eq(t, "capabilities", &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}, Drop: []corev1.Capability{"ALL"}}, c.SecurityContext.Capabilities)
			eq(t, "allowPrivilegeEscalation", new(false), c.SecurityContext.AllowPrivilegeEscalation)
			eq(t, "command", defaultOptions().Command, c.Command)
			eq(t, "stdin", true, c.Stdin && c.StdinOnce)
		},
	},
	{
		name: "--custom mounts a template volume no kept container mounts; the volume is kept",
		opts: func(o *Options) {
			o.NoSidecars = true
			o.Custom = customSpec("volumeMounts: [{name: proxy-certs, mountPath: /certs, readOnly: true}]", nil)
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			want := corev1.VolumeMount{Name: "proxy-certs", MountPath: "/certs", ReadOnly: true}
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return cmp.Equal(m, want) }) || len(c.VolumeMounts) != len(templateContainer(t, src, "app").VolumeMounts)+1 {
				t.Errorf("mounts = %v, want the template's and %v", c.VolumeMounts, want)
			}
			if !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "proxy-certs" }) {
				t.Errorf("volume proxy-certs dropped though --custom mounts it")
			}
		},
	},
	{
		name: "--run-as root runs as 0 over the pod's runAsNonRoot",
		opts: func(o *Options) { o.Custom = customSpec("", &custom.User{Given: true}) },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			sc := only(t, pod).SecurityContext
			eq(t, "runAsUser", new(int64(0)), sc.RunAsUser)
			eq(t, "runAsNonRoot", new(false), sc.RunAsNonRoot)
			eq(t, "pod runAsNonRoot", new(true), pod.Spec.SecurityContext.RunAsNonRoot)
		},
	},
	{
		name: "--run-as target is the template's user",
		src:  func(s *Source) { s.Template.Spec.SecurityContext.RunAsUser = new(int64(2000)) },
		opts: func(o *Options) { o.Custom = customSpec("", &custom.User{Given: true, Target: true}) },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "runAsUser", new(int64(2000)), only(t, pod).SecurityContext.RunAsUser)
		},
	},
	{
		name: "--run-as target leaves the image's user where the template names none",
		opts: func(o *Options) { o.Custom = customSpec("", &custom.User{Given: true, Target: true}) },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "runAsUser", (*int64)(nil), only(t, pod).SecurityContext.RunAsUser)
		},
	},

	// Overrides (--set-image, --set-env, --requests, --limits).
	{
		name: "--set-image replaces the session's image and lets its pull policy default",
		opts: func(o *Options) { o.Overrides.Images = []plan.ImageOverride{{Image: "bash:5.2"}} },
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			c := only(t, pod)
			eq(t, "image", "bash:5.2", c.Image)
			eq(t, "imagePullPolicy", corev1.PullPolicy(""), c.ImagePullPolicy)
			proxy, _ := initNamed(pod, "proxy")
			eq(t, "sidecar image", templateContainer(t, src, "proxy").Image, proxy.Image)
		},
	},
	{
		name: "--set-image by name reaches the sidecar and a kept init container; the later wins",
		opts: func(o *Options) {
			o.KeepInitContainers = true
			o.Overrides.Images = []plan.ImageOverride{
				{Container: "proxy", Image: "proxy:5"}, {Container: "app", Image: "app:1"}, {Image: "app:2"}, {Container: "migrate", Image: "migrate:1"},
			}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "app image", "app:2", only(t, pod).Image)
			proxy, _ := initNamed(pod, "proxy")
			migrate, _ := initNamed(pod, "migrate")
			eq(t, "sidecar and init images", []string{"proxy:5", "migrate:1"}, []string{proxy.Image, migrate.Image})
		},
	},
	{
		name: "env overrides replace the template's entry in place or are added, from the Secret only",
		opts: func(o *Options) {
			o.Overrides.EnvNames, o.Overrides.EnvSecret = []string{"DATABASE_PASSWORD", "DEBUG"}, "eshell-env-s3ss10n"
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			ref := func(n string) corev1.EnvVar {
				return corev1.EnvVar{Name: n, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "eshell-env-s3ss10n"}, Key: n}}}
			}
			tc := templateContainer(t, src, "app")
			eq(t, "env", []corev1.EnvVar{tc.Env[0], ref("DATABASE_PASSWORD"), tc.Env[2], ref("DEBUG")}, only(t, pod).Env)
			eq(t, "envFrom", tc.EnvFrom, only(t, pod).EnvFrom)
			proxy, _ := initNamed(pod, "proxy")
			eq(t, "sidecar env", templateContainer(t, src, "proxy").Env, proxy.Env)
		},
	},
	{
		name: "an env override replaces every entry of a name the template repeats",
		src: func(s *Source) {
			c := &s.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "DJANGO_SETTINGS_MODULE", Value: "web.other"})
		},
		opts: func(o *Options) {
			o.Overrides.EnvNames, o.Overrides.EnvSecret = []string{"DJANGO_SETTINGS_MODULE"}, "eshell-env-s3ss10n"
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			for _, e := range only(t, pod).Env {
				if e.Name == "DJANGO_SETTINGS_MODULE" && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
					t.Errorf("an entry of the overridden name is left: %+v", e)
				}
			}
		},
	},
	{
		name: "--requests and --limits change the named resources over the template's",
		opts: func(o *Options) {
			o.Overrides.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}
			o.Overrides.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi"), corev1.ResourceCPU: resource.MustParse("1")}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			q := resource.MustParse
			eq(t, "resources", corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("256Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("1Gi")},
			}, only(t, pod).Resources)
		},
	},
	{
		name: "--limits on a container without resources",
		src:  func(s *Source) { s.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{} },
		opts: func(o *Options) {
			o.Overrides.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}
		},
		check: func(t *testing.T, src Source, pod *corev1.Pod, _ []string) {
			eq(t, "resources", corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}, only(t, pod).Resources)
		},
	},
}

func TestGeneratePodRules(t *testing.T) {
	for _, kind := range kinds {
		for _, r := range rules {
			t.Run(kind+"/"+r.name, func(t *testing.T) {
				src := sourceFor(t, kind)
				if r.src != nil {
					r.src(&src)
				}
				o := defaultOptions()
				if r.opts != nil {
					r.opts(&o)
				}
				want := copySource(src)
				pod, warnings, err := GeneratePod(src, o)
				if err != nil {
					t.Fatalf("GeneratePod: %v", err)
				}
				r.check(t, want, pod, warnings)
			})
		}
	}
}

func TestGeneratePodErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   func(*Source)
		opts  func(*Options)
		parts []string
	}{
		{
			name:  "no command",
			opts:  func(o *Options) { o.Command = nil },
			parts: []string{"no command", "deployment/web", "--", keys.WorkloadCommandAnnotation},
		},
		{
			name:  "empty command",
			opts:  func(o *Options) { o.Command = []string{} },
			parts: []string{"no command"},
		},
		{
			name:  "zero max duration",
			opts:  func(o *Options) { o.MaxDuration = 0 },
			parts: []string{"must be positive", "--max-duration"},
		},
		{
			name:  "negative max duration",
			opts:  func(o *Options) { o.MaxDuration = -time.Minute },
			parts: []string{"-1m0s", "--max-duration"},
		},
		{
			name:  "unknown container",
			opts:  func(o *Options) { o.Container = "web" },
			parts: []string{`container "web" not found in deployment/web`, "pass -c", "app, worker"},
		},
		{
			name:  "init container is not an app container",
			opts:  func(o *Options) { o.Container = "proxy" },
			parts: []string{`"proxy" not found`, "app, worker"},
		},
		{
			name:  "no container chosen",
			opts:  func(o *Options) { o.Container = "" },
			parts: []string{"no container chosen", "pass -c with one of: app, worker"},
		},
		{
			name:  "no session id",
			opts:  func(o *Options) { o.SessionID = "" },
			parts: []string{"session id", "report"},
		},
		{
			name:  "no name suffix",
			opts:  func(o *Options) { o.NameSuffix = "" },
			parts: []string{"name suffix", "report"},
		},
		{
			name:  "no source name",
			src:   func(s *Source) { s.Name = "" },
			parts: []string{"no kind or name", "report"},
		},
		{
			name:  "no source kind",
			src:   func(s *Source) { s.Kind = "" },
			parts: []string{"no kind or name", "report"},
		},
		{
			name:  "--set-image of an unknown container",
			opts:  func(o *Options) { o.Overrides.Images = []plan.ImageOverride{{Container: "nope", Image: "x:1"}} },
			parts: []string{`no container "nope" in deployment/web`, "give one of proxy, app"},
		},
		{
			name:  "--set-image of a main container the clone leaves out",
			opts:  func(o *Options) { o.Overrides.Images = []plan.ImageOverride{{Container: "worker", Image: "x:1"}} },
			parts: []string{`only the session's container "app"`, "pass -c worker"},
		},
		{
			name:  "--set-image of a skipped init container",
			opts:  func(o *Options) { o.Overrides.Images = []plan.ImageOverride{{Container: "migrate", Image: "x:1"}} },
			parts: []string{`init container "migrate" does not run`, "--keep-init-containers"},
		},
		{
			name: "--set-image of a sidecar dropped by --no-sidecars",
			opts: func(o *Options) {
				o.NoSidecars = true
				o.Overrides.Images = []plan.ImageOverride{{Container: "proxy", Image: "x:1"}}
			},
			parts: []string{`sidecar "proxy" is dropped by --no-sidecars`},
		},
		{
			name: "--requests above the template's limit",
			opts: func(o *Options) {
				o.Overrides.Requests = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
			},
			parts: []string{"the request memory=1Gi (--requests) is above the limit memory=512Mi (the template's limit)", "change --requests or --limits"},
		},
		{
			name: "--limits below the template's request",
			opts: func(o *Options) {
				o.Overrides.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}
			},
			parts: []string{"the request cpu=250m (the template's request) is above the limit cpu=100m (--limits)"},
		},
		{
			name: "--requests above --limits",
			opts: func(o *Options) {
				o.Overrides.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
				o.Overrides.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
			},
			parts: []string{"the request cpu=2 (--requests) is above the limit cpu=1 (--limits)"},
		},
		{
			name:  "env overrides without their Secret",
			opts:  func(o *Options) { o.Overrides.EnvNames = []string{"A"} },
			parts: []string{"without their Secret", "report"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := sourceFor(t, "Deployment")
			if tt.src != nil {
				tt.src(&src)
			}
			o := defaultOptions()
			if tt.opts != nil {
				tt.opts(&o)
			}
			pod, warnings, err := GeneratePod(src, o)
			if err == nil {
				t.Fatalf("want an error, got pod %s", pod.Name)
			}
			if pod != nil || warnings != nil {
				t.Errorf("want no pod and no warnings with an error, got %v and %q", pod, warnings)
			}
			if msg := err.Error(); !containsAll(msg, tt.parts) {
				t.Errorf("error %q does not contain all of %q", msg, tt.parts)
			}
			if msg := err.Error(); msg != strings.ToLower(msg[:1])+msg[1:] {
				t.Errorf("error %q does not start lowercase", msg)
			}
		})
	}
}

// TestGeneratePodLeavesSourceAlone also changes the result, because a clone
// that shares memory with its source would corrupt an informer's cache the
// moment the caller edits it.
func TestGeneratePodLeavesSourceAlone(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			src := sourceFor(t, kind)
			addVolume(&src, claimVolume("data", "web-data"))
			addVolume(&src, corev1.Volume{Name: "logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}})
			src.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{"web-data": {corev1.ReadOnlyMany}}
			before := copySource(src)
			o := defaultOptions()
			o.WithPVC = true
			o.Overrides = Overrides{
				Images:   []plan.ImageOverride{{Image: "bash:5.2"}, {Container: "proxy", Image: "proxy:5"}},
				EnvNames: []string{"DJANGO_SETTINGS_MODULE", "NEW"}, EnvSecret: "eshell-env-s3ss10n",
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
			}
			command := slices.Clone(o.Command)

			pod, _, err := GeneratePod(src, o)
			if err != nil {
				t.Fatalf("GeneratePod: %v", err)
			}
			eq(t, "source after GeneratePod", before, src)

			for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
				for i := range c.Env {
					c.Env[i].Value = "changed"
				}
				for i := range c.VolumeMounts {
					c.VolumeMounts[i].MountPath = "/changed"
				}
				for i := range c.Args {
					c.Args[i] = "changed"
				}
				if c.Resources.Requests != nil {
					c.Resources.Requests[corev1.ResourceCPU] = resource.MustParse("9")
				}
				c.SecurityContext = nil
			}
			pod.Spec.Containers[0].Command[0] = "changed"
			pod.Spec.NodeSelector["pool"] = "changed"
			pod.Spec.Tolerations[0].Key = "changed"
			pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Key = "changed"
			pod.Spec.ImagePullSecrets[0].Name = "changed"
			pod.Spec.SecurityContext.FSGroup = new(int64(0))
			for i := range pod.Spec.Volumes {
				pod.Spec.Volumes[i].Name = "changed"
				if c := pod.Spec.Volumes[i].PersistentVolumeClaim; c != nil {
					c.ClaimName = "changed"
				}
			}
			eq(t, "source after changing the clone", before, src)
			eq(t, "options command", command, o.Command)
		})
	}
}

func copySource(s Source) Source {
	out := s
	out.Template = *s.Template.DeepCopy()
	if s.PVCAccessModes != nil {
		out.PVCAccessModes = map[string][]corev1.PersistentVolumeAccessMode{}
		for k, v := range s.PVCAccessModes {
			out.PVCAccessModes[k] = slices.Clone(v)
		}
	}
	return out
}

func TestPodName(t *testing.T) {
	long := strings.Repeat("a", 70)
	tests := []struct {
		name, workload, suffix, want string
	}{
		{"short", "web", "x7k2p", "web-eshell-x7k2p"},
		{"fits exactly", strings.Repeat("a", 50), "x7k2p", strings.Repeat("a", 50) + "-eshell-x7k2p"},
		{"long workload is shortened, suffix kept", long, "x7k2p", strings.Repeat("a", 50) + "-eshell-x7k2p"},
		{"no dash left where the cut falls", strings.Repeat("a", 49) + "-b", "x7k2p", strings.Repeat("a", 49) + "-eshell-x7k2p"},
		{"dots of a subdomain name", "web.v2", "x7k2p", "web-v2-eshell-x7k2p"},
		{"upper case", "Web", "X7K2P", "web-eshell-x7k2p"},
		{"workload of only invalid characters", "...", "x7k2p", "eshell-x7k2p"},
		{"suffix too long for any workload", "web", strings.Repeat("s", 60), "eshell-" + strings.Repeat("s", 56)},
		{"no suffix", "web", "", "web-eshell"},
		{"no suffix, long workload", long, "", strings.Repeat("a", 56) + "-eshell"},
		{"nothing", "", "", "eshell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PodName(tt.workload, tt.suffix)
			if got != tt.want {
				t.Errorf("PodName(%q, %q) = %q, want %q", tt.workload, tt.suffix, got, tt.want)
			}
			if errs := validation.IsDNS1123Label(got); errs != nil {
				t.Errorf("PodName(%q, %q) = %q is no DNS-1123 label: %v", tt.workload, tt.suffix, got, errs)
			}
		})
	}
}

// TestPodNameAlwaysValid cuts the workload name at every length, so that the
// truncation never ends a name on a '-' wherever the dashes fall.
func TestPodNameAlwaysValid(t *testing.T) {
	const workload = "my-very-long.workload-name-with-many-dashes---and-more-dashes-at-the-end--"
	for n := range len(workload) + 1 {
		for _, suffix := range []string{"x7k2p", "-x-", "abcdefghij"} {
			got := PodName(workload[:n], suffix)
			if errs := validation.IsDNS1123Label(got); errs != nil {
				t.Errorf("PodName(%q, %q) = %q is no DNS-1123 label: %v", workload[:n], suffix, got, errs)
			}
		}
	}
}

// A refusal that speaks of priority names --keep-priority; others do not.
func TestPriorityHint(t *testing.T) {
	quota := errors.New(`pods "web-eshell-x" is forbidden: insufficient quota to match these scopes: [{PriorityClass In [business-critical]}]`)
	if got := priorityHint(quota).Error(); !strings.Contains(got, "--keep-priority") || !errors.Is(priorityHint(quota), quota) {
		t.Errorf("quota refusal: %q", got)
	}
	other := errors.New("exceeded quota: pods=1")
	if got := priorityHint(other); got != other {
		t.Errorf("unrelated refusal changed: %q", got)
	}
}
