package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// configError is what a kubelet reports as CreateContainerConfigError: the
// container cannot start because a referenced ConfigMap, Secret or key is
// missing. It is not retried by the agent until the pod changes.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// resolver reads the ConfigMaps and Secrets a pod references, as the kubelet
// does, once per container start.
type resolver struct {
	client kubernetes.Interface
	pod    *corev1.Pod
	node   *nodeInfo
}

func (r *resolver) configMap(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	return r.client.CoreV1().ConfigMaps(r.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
}

func (r *resolver) secret(ctx context.Context, name string) (*corev1.Secret, error) {
	return r.client.CoreV1().Secrets(r.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
}

func isOptional(p *bool) bool { return p != nil && *p }

// env returns the container's environment as KEY=VALUE, envFrom first and
// env entries overriding it, with $(VAR) references expanded in order.
func (r *resolver) env(ctx context.Context, c *containerSpec) ([]string, error) {
	vals := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	for _, from := range c.envFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm, err := r.configMap(ctx, from.ConfigMapRef.Name)
			if err != nil {
				if isOptional(from.ConfigMapRef.Optional) {
					continue
				}
				return nil, &configError{fmt.Sprintf("configmap %q not found", from.ConfigMapRef.Name)}
			}
			for _, k := range sortedKeys(cm.Data) {
				set(from.Prefix+k, cm.Data[k])
			}
		case from.SecretRef != nil:
			s, err := r.secret(ctx, from.SecretRef.Name)
			if err != nil {
				if isOptional(from.SecretRef.Optional) {
					continue
				}
				return nil, &configError{fmt.Sprintf("secret %q not found", from.SecretRef.Name)}
			}
			keys := make([]string, 0, len(s.Data))
			for k := range s.Data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				set(from.Prefix+k, string(s.Data[k]))
			}
		}
	}
	lookup := func(k string) (string, bool) { v, ok := vals[k]; return v, ok }
	for _, e := range c.env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, lookup))
			continue
		}
		v, ok, err := r.valueFrom(ctx, c, e.ValueFrom)
		if err != nil {
			return nil, err
		}
		if ok {
			set(e.Name, v)
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vals[k])
	}
	return out, nil
}

func (r *resolver) valueFrom(ctx context.Context, c *containerSpec, src *corev1.EnvVarSource) (string, bool, error) {
	switch {
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		cm, err := r.configMap(ctx, ref.Name)
		if err != nil {
			if isOptional(ref.Optional) {
				return "", false, nil
			}
			return "", false, &configError{fmt.Sprintf("configmap %q not found", ref.Name)}
		}
		v, ok := cm.Data[ref.Key]
		if !ok && !isOptional(ref.Optional) {
			return "", false, &configError{fmt.Sprintf("couldn't find key %s in ConfigMap %s/%s", ref.Key, r.pod.Namespace, ref.Name)}
		}
		return v, ok, nil
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		s, err := r.secret(ctx, ref.Name)
		if err != nil {
			if isOptional(ref.Optional) {
				return "", false, nil
			}
			return "", false, &configError{fmt.Sprintf("secret %q not found", ref.Name)}
		}
		v, ok := s.Data[ref.Key]
		if !ok && !isOptional(ref.Optional) {
			return "", false, &configError{fmt.Sprintf("couldn't find key %s in Secret %s/%s", ref.Key, r.pod.Namespace, ref.Name)}
		}
		return string(v), ok, nil
	case src.FieldRef != nil:
		v, err := r.field(src.FieldRef.FieldPath)
		return v, err == nil, err
	case src.ResourceFieldRef != nil:
		v, err := r.resourceField(c, src.ResourceFieldRef)
		return v, err == nil, err
	}
	return "", false, nil
}

var mapField = regexp.MustCompile(`^metadata\.(labels|annotations)\['([^']+)'\]$`)

func (r *resolver) field(path string) (string, error) {
	p := r.pod
	switch path {
	case "metadata.name":
		return p.Name, nil
	case "metadata.namespace":
		return p.Namespace, nil
	case "metadata.uid":
		return string(p.UID), nil
	case "spec.nodeName":
		return p.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.hostIPs":
		return nodeIP, nil
	case "status.podIP", "status.podIPs":
		return p.Status.PodIP, nil
	case "metadata.labels", "metadata.annotations":
		m := p.Labels
		if path == "metadata.annotations" {
			m = p.Annotations
		}
		var b strings.Builder
		for _, k := range sortedKeys(m) {
			fmt.Fprintf(&b, "%s=%q\n", k, m[k])
		}
		return b.String(), nil
	}
	if m := mapField.FindStringSubmatch(path); m != nil {
		if m[1] == "labels" {
			return p.Labels[m[2]], nil
		}
		return p.Annotations[m[2]], nil
	}
	return "", &configError{fmt.Sprintf("unsupported fieldRef %q", path)}
}

func (r *resolver) resourceField(c *containerSpec, ref *corev1.ResourceFieldSelector) (string, error) {
	kind, name, _ := strings.Cut(ref.Resource, ".")
	rn := corev1.ResourceName(name)
	var q resource.Quantity
	var ok bool
	if kind == "limits" {
		q, ok = c.resources.Limits[rn]
	} else {
		q, ok = c.resources.Requests[rn]
	}
	if !ok {
		// As the kubelet does: an unset limit reads as the node's allocatable.
		q, ok = r.node.allocatable[rn]
		if !ok {
			q = resource.MustParse("0")
		}
	}
	div := ref.Divisor
	if div.IsZero() {
		div = resource.MustParse("1")
	}
	if rn == corev1.ResourceCPU {
		return fmt.Sprint(int64(math.Ceil(float64(q.MilliValue()) / float64(div.MilliValue())))), nil
	}
	return fmt.Sprint(int64(math.Ceil(float64(q.Value()) / float64(div.Value())))), nil
}

// expand replaces $(NAME) with the value of NAME where it is defined, and
// $$ with $, as the kubelet does for env values, command and args.
func expand(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// volumes writes every volume of the pod into dir/<volume> and returns the
// host path that backs each volume name.
func (r *resolver) volumes(ctx context.Context, dir string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range r.pod.Spec.Volumes {
		vdir := filepath.Join(dir, v.Name)
		out[v.Name] = vdir
		var err error
		switch {
		case v.EmptyDir != nil:
			err = os.MkdirAll(vdir, 0o777)
		case v.HostPath != nil:
			out[v.Name] = v.HostPath.Path
		case v.ConfigMap != nil:
			err = r.writeConfigMap(ctx, vdir, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional, v.ConfigMap.DefaultMode)
		case v.Secret != nil:
			err = r.writeSecret(ctx, vdir, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional, v.Secret.DefaultMode)
		case v.DownwardAPI != nil:
			err = r.writeDownward(vdir, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode)
		case v.Projected != nil:
			err = r.writeProjected(ctx, vdir, v.Projected)
		default:
			err = &configError{fmt.Sprintf("volume %q: this test node agent supports configMap, secret, downwardAPI, projected, emptyDir and hostPath volumes only", v.Name)}
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func mode(m *int32) os.FileMode {
	if m == nil {
		return 0o644
	}
	return os.FileMode(*m)
}

func writeFiles(dir string, data map[string][]byte, items []corev1.KeyToPath, defMode *int32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(rel string, b []byte, m os.FileMode) error {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, m); err != nil {
			return err
		}
		return os.Chmod(p, m)
	}
	if len(items) == 0 {
		for k, b := range data {
			if err := write(k, b, mode(defMode)); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			return &configError{fmt.Sprintf("configmap or secret key %q not found", it.Key)}
		}
		m := mode(defMode)
		if it.Mode != nil {
			m = os.FileMode(*it.Mode)
		}
		if err := write(it.Path, b, m); err != nil {
			return err
		}
	}
	return nil
}

func (r *resolver) writeConfigMap(ctx context.Context, dir, name string, items []corev1.KeyToPath, optional *bool, defMode *int32) error {
	cm, err := r.configMap(ctx, name)
	if err != nil {
		if isOptional(optional) {
			return os.MkdirAll(dir, 0o755)
		}
		return &configError{fmt.Sprintf("configmap %q not found", name)}
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return writeFiles(dir, data, items, defMode)
}

func (r *resolver) writeSecret(ctx context.Context, dir, name string, items []corev1.KeyToPath, optional *bool, defMode *int32) error {
	s, err := r.secret(ctx, name)
	if err != nil {
		if isOptional(optional) {
			return os.MkdirAll(dir, 0o755)
		}
		return &configError{fmt.Sprintf("secret %q not found", name)}
	}
	return writeFiles(dir, s.Data, items, defMode)
}

func (r *resolver) writeDownward(dir string, items []corev1.DownwardAPIVolumeFile, defMode *int32) error {
	data := map[string][]byte{}
	var kp []corev1.KeyToPath
	for _, it := range items {
		if it.FieldRef == nil {
			continue
		}
		v, err := r.field(it.FieldRef.FieldPath)
		if err != nil {
			return err
		}
		data[it.Path] = []byte(v)
		kp = append(kp, corev1.KeyToPath{Key: it.Path, Path: it.Path, Mode: it.Mode})
	}
	return writeFiles(dir, data, kp, defMode)
}

func (r *resolver) writeProjected(ctx context.Context, dir string, p *corev1.ProjectedVolumeSource) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, src := range p.Sources {
		var err error
		switch {
		case src.ConfigMap != nil:
			err = r.writeConfigMap(ctx, dir, src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional, p.DefaultMode)
		case src.Secret != nil:
			err = r.writeSecret(ctx, dir, src.Secret.Name, src.Secret.Items, src.Secret.Optional, p.DefaultMode)
		case src.DownwardAPI != nil:
			err = r.writeDownward(dir, src.DownwardAPI.Items, p.DefaultMode)
		case src.ServiceAccountToken != nil:
			err = r.writeToken(ctx, dir, src.ServiceAccountToken, p.DefaultMode)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeToken asks the API server for a bound service account token, so a
// kubectl inside a container authenticates as the pod's service account.
func (r *resolver) writeToken(ctx context.Context, dir string, src *corev1.ServiceAccountTokenProjection, defMode *int32) error {
	sa := r.pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: src.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: r.pod.Name, UID: r.pod.UID},
	}}
	if src.Audience != "" {
		req.Spec.Audiences = []string{src.Audience}
	}
	tok, err := r.client.CoreV1().ServiceAccounts(r.pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return &configError{fmt.Sprintf("requesting a token for service account %q: %v", sa, err)}
	}
	return writeFiles(dir, map[string][]byte{src.Path: []byte(tok.Status.Token)}, nil, defMode)
}
