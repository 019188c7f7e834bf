package custom

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sberz/kubectl-eshell/pkg/mode"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, data string
		wantErr    string // substring; "" for success
		check      func(*testing.T, *corev1.Container)
	}{
		{name: "yaml capability", data: "securityContext:\n  capabilities:\n    add: [NET_ADMIN]\n", check: func(t *testing.T, c *corev1.Container) {
			if got := c.SecurityContext.Capabilities.Add; len(got) != 1 || got[0] != "NET_ADMIN" {
				t.Errorf("add = %v", got)
			}
		}},
		{name: "json env", data: `{"env":[{"name":"A","value":"1"}]}`, check: func(t *testing.T, c *corev1.Container) {
			if len(c.Env) != 1 || c.Env[0].Value != "1" {
				t.Errorf("env = %v", c.Env)
			}
		}},
		{name: "misspelt field is named", data: "securityContex:\n  runAsUser: 0\n", wantErr: `unknown field "securityContex"`},
		{name: "wrong type is named", data: "securityContext:\n  runAsUser: root\n", wantErr: "runAsUser"},
		{name: "yaml syntax names the line", data: "env:\n  - name: A\n value: 1\n", wantErr: "line 2"},
		{name: "empty", data: "", wantErr: "is empty"},
		{name: "a list", data: "- a\n", wantErr: "not a mapping"},
		{name: "a scalar", data: "42\n", wantErr: "not a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("f.yaml", []byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--custom f.yaml") {
					t.Fatalf("err = %v, want one naming the file and %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s.Container)
		})
	}
}

func TestParseUser(t *testing.T) {
	tests := []struct {
		in      string
		want    User
		wantErr bool
	}{
		{in: "0", want: User{Given: true}},
		{in: "root", want: User{Given: true}},
		{in: "ROOT", want: User{Given: true}},
		{in: "1000", want: User{Given: true, UID: 1000}},
		{in: "target", want: User{Given: true, Target: true}},
		{in: "-1", wantErr: true},
		{in: "2147483648", wantErr: true},
		{in: "nobody", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseUser(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("ParseUser(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestNewConflicts(t *testing.T) {
	uid := int64(5)
	tests := []struct {
		name    string
		c       *corev1.Container
		u       User
		wantErr string
	}{
		{name: "user alone", u: User{Given: true}},
		{name: "file alone", c: &corev1.Container{SecurityContext: &corev1.SecurityContext{RunAsUser: &uid}}},
		{name: "both set runAsUser", c: &corev1.Container{SecurityContext: &corev1.SecurityContext{RunAsUser: &uid}}, u: User{Given: true, UID: 7},
			wantErr: "securityContext.runAsUser is set both"},
		{name: "root against runAsNonRoot", c: &corev1.Container{SecurityContext: &corev1.SecurityContext{RunAsNonRoot: new(true)}}, u: User{Given: true},
			wantErr: "securityContext.runAsNonRoot"},
		{name: "non-root with runAsNonRoot", c: &corev1.Container{SecurityContext: &corev1.SecurityContext{RunAsNonRoot: new(true)}}, u: User{Given: true, UID: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *Spec
			if tt.c != nil {
				s = &Spec{File: "f.yaml", Fields: map[string]any{}, Container: tt.c}
			}
			_, err := s.WithUser(tt.u)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, data string
		mode       mode.Mode
		wantErr    string
	}{
		{name: "capability in debug", data: "securityContext: {capabilities: {add: [NET_ADMIN]}}", mode: mode.Debug},
		{name: "capability in clone", data: "securityContext: {capabilities: {add: [NET_ADMIN]}}", mode: mode.Clone},
		{name: "exec refuses", data: "env: [{name: A}]", mode: mode.Exec, wantErr: "--mode exec"},
		{name: "ports in debug", data: "ports: [{containerPort: 80}]", mode: mode.Debug, wantErr: "sets ports"},
		{name: "ports in clone", data: "ports: [{containerPort: 80}]", mode: mode.Clone},
		{name: "resources in debug", data: "resources: {limits: {cpu: 1}}", mode: mode.Debug, wantErr: "sets resources"},
		{name: "readiness in debug", data: "readinessProbe: {exec: {command: [\"true\"]}}", mode: mode.Debug, wantErr: "sets readinessProbe"},
		{name: "liveness in clone", data: "livenessProbe: {exec: {command: [\"true\"]}}", mode: mode.Clone, wantErr: "kubelet would kill"},
		{name: "command anywhere", data: "command: [sleep]", mode: mode.Clone, wantErr: "sets command"},
		{name: "args anywhere", data: "args: [x]", mode: mode.Debug, wantErr: "sets args"},
		{name: "tty anywhere", data: "tty: true", mode: mode.Clone, wantErr: "sets tty"},
		{name: "stdin anywhere", data: "stdin: false", mode: mode.Clone, wantErr: "sets stdin"},
		{name: "image anywhere", data: "image: x", mode: mode.Debug, wantErr: "sets image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("f.yaml", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			err = s.Check(tt.mode)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestApply(t *testing.T) {
	built := func() corev1.Container {
		return corev1.Container{
			Name: "eshell-x", Image: "busybox", Command: []string{"lifeline"}, Stdin: true,
			Env:             []corev1.EnvVar{{Name: "A", Value: "a"}, {Name: "B", Value: "b"}},
			VolumeMounts:    []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
			SecurityContext: &corev1.SecurityContext{RunAsNonRoot: new(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
		}
	}
	target := int64(1234)
	tests := []struct {
		name   string
		data   string
		user   User
		target *int64
		check  func(*testing.T, corev1.Container)
	}{
		{name: "nothing changes nothing", check: func(t *testing.T, c corev1.Container) {
			if c.Name != "eshell-x" || len(c.Env) != 2 {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "env merges by name", data: "env: [{name: B, value: custom}, {name: C, value: c}]", check: func(t *testing.T, c corev1.Container) {
			want := "A=a B=custom C=c"
			var got []string
			for _, e := range c.Env {
				got = append(got, e.Name+"="+e.Value)
			}
			if strings.Join(got, " ") != want {
				t.Errorf("env = %v, want %s", got, want)
			}
		}},
		{name: "mounts merge by path", data: "volumeMounts: [{name: cache, mountPath: /cache}]", check: func(t *testing.T, c corev1.Container) {
			if len(c.VolumeMounts) != 2 {
				t.Errorf("mounts = %v", c.VolumeMounts)
			}
		}},
		{name: "capability add keeps the profile's drop", data: "securityContext: {capabilities: {add: [NET_ADMIN]}}", check: func(t *testing.T, c corev1.Container) {
			caps := c.SecurityContext.Capabilities
			if len(caps.Add) != 1 || caps.Add[0] != "NET_ADMIN" || len(caps.Drop) != 1 || !*c.SecurityContext.RunAsNonRoot {
				t.Errorf("securityContext = %+v", c.SecurityContext)
			}
			if c.Command[0] != "lifeline" || !c.Stdin {
				t.Errorf("the lifeline changed: %+v", c)
			}
		}},
		{name: "null removes", data: "securityContext: {runAsNonRoot: null}", check: func(t *testing.T, c corev1.Container) {
			if c.SecurityContext.RunAsNonRoot != nil {
				t.Errorf("runAsNonRoot = %v", *c.SecurityContext.RunAsNonRoot)
			}
		}},
		{name: "user root", user: User{Given: true}, check: func(t *testing.T, c corev1.Container) {
			sc := c.SecurityContext
			if sc.RunAsUser == nil || *sc.RunAsUser != 0 || sc.RunAsNonRoot == nil || *sc.RunAsNonRoot {
				t.Errorf("securityContext = %+v", sc)
			}
		}},
		{name: "user uid keeps runAsNonRoot", user: User{Given: true, UID: 1000}, check: func(t *testing.T, c corev1.Container) {
			sc := c.SecurityContext
			if *sc.RunAsUser != 1000 || !*sc.RunAsNonRoot {
				t.Errorf("securityContext = %+v", sc)
			}
		}},
		{name: "user target", user: User{Given: true, Target: true}, target: &target, check: func(t *testing.T, c corev1.Container) {
			if *c.SecurityContext.RunAsUser != 1234 {
				t.Errorf("runAsUser = %d", *c.SecurityContext.RunAsUser)
			}
		}},
		{name: "user target unknown changes nothing", user: User{Given: true, Target: true}, check: func(t *testing.T, c corev1.Container) {
			if c.SecurityContext.RunAsUser != nil {
				t.Errorf("runAsUser = %d", *c.SecurityContext.RunAsUser)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *Spec
			if tt.data != "" {
				var err error
				if s, err = Parse("f.yaml", []byte(tt.data)); err != nil {
					t.Fatal(err)
				}
			}
			s, err := s.WithUser(tt.user)
			if err != nil {
				t.Fatal(err)
			}
			c := built()
			if err := s.ApplyContainer(&c, tt.target); err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
			// The ephemeral container merges the same way.
			b := built()
			ec := corev1.EphemeralContainerCommon(b)
			if err := s.ApplyEphemeral(&ec, tt.target); err != nil {
				t.Fatal(err)
			}
			tt.check(t, corev1.Container(ec))
		})
	}
}

func TestBlame(t *testing.T) {
	s, err := Parse("cap.yaml", []byte("securityContext: {capabilities: {add: [NET_ADMIN]}}\nenv: [{name: A, value: x}]"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err = s.WithUser(User{Given: true}); err != nil {
		t.Fatal(err)
	}
	gr := schema.GroupResource{Resource: "pods"}
	psa := apierrors.NewForbidden(gr, "p", errors.New(`violates PodSecurity "restricted:latest": unrestricted capabilities (container "x" must not include "NET_ADMIN" in securityContext.capabilities.add), runAsNonRoot != true (container "x" must not set securityContext.runAsNonRoot=false), runAsUser=0 (container "x" must not set runAsUser=0)`))
	tests := []struct {
		name string
		err  error
		want []string // substrings; nil: returned unchanged
	}{
		{name: "pod security names every field", err: fmt.Errorf("the API server refused the clone: %w", psa), want: []string{
			`securityContext.capabilities.add=["NET_ADMIN"] set by --custom cap.yaml`,
			"securityContext.runAsUser=0 set by --run-as",
			"securityContext.runAsNonRoot=false set by --run-as",
			"are refused", "change or drop them",
		}},
		{name: "rbac names nothing", err: apierrors.NewForbidden(gr, "p", errors.New("User cannot patch resource")), want: nil},
		{name: "not a refusal", err: errors.New("runAsUser broke"), want: nil},
		{name: "nil", err: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Blame(tt.err, nil)
			if tt.want == nil {
				if got != tt.err {
					t.Fatalf("got %v, want it unchanged", got)
				}
				return
			}
			if !errors.Is(got, psa) {
				t.Errorf("the refusal is not wrapped: %v", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.Error(), w) {
					t.Errorf("%v\nwants %q", got, w)
				}
			}
			if strings.Contains(got.Error(), "env=") {
				t.Errorf("names a field the refusal does not speak of: %v", got)
			}
		})
	}
}

// FuzzParse: no input makes the parser panic, and what it accepts merges
// into a container and checks without panicking either.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"securityContext:\n  capabilities:\n    add: [NET_ADMIN]\n",
		`{"env":[{"name":"A","value":"1"}],"securityContext":{"runAsUser":0}}`,
		"volumeMounts: [{name: a, mountPath: /a}]\n", "- x", "", "null", "{", "env: {$patch: replace}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f", data)
		if err != nil {
			if !strings.Contains(err.Error(), "--custom f") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		_ = s.Check(mode.Debug)
		dst := corev1.Container{Name: "n", Env: []corev1.EnvVar{{Name: "A"}}}
		if err := s.ApplyContainer(&dst, nil); err != nil && !strings.Contains(err.Error(), "--custom f") {
			t.Fatalf("error does not name the file: %v", err)
		}
		_ = s.Set(nil)
	})
}
