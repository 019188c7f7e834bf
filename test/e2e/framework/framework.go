// Package framework runs end-to-end tests against the local cluster: it
// starts the cluster (or reuses a running one), builds the binaries under
// test, gives each test a fresh namespace, and runs the plugin with or
// without a pseudo-terminal.
package framework

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// NodeName is the local cluster's one node: a real kubelet, named by its
// address (hack/lib.sh).
const NodeName = "127.0.0.1"

// Env is the suite-wide state.
type Env struct {
	Root          string // repository root
	Kubeconfig    string // admin
	DevKubeconfig string // user "dev": the shipped Roles in each test namespace, eshell-environments cluster-wide
	// NewcomerKubeconfig is user "newcomer", who holds no rights but what a
	// test grants (it may not list namespaces).
	NewcomerKubeconfig string
	Plugin             string // kubectl-eshell binary
	Kubectl            string // kubectl from the same k8s.io/kubectl version
	Client             kubernetes.Interface
	started            bool
	hostBefore         string // host state recorded before this run started the cluster
}

var env *Env

// Main is TestMain for e2e packages: cluster up (or reused), binaries
// built, tests run, and whatever this run started stopped again.
func Main(m *testing.M) int {
	e, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		return 1
	}
	env = e
	code := m.Run()
	if e.started && os.Getenv("ESHELL_KEEP_CLUSTER") == "" {
		cmd := exec.Command(filepath.Join(e.Root, "hack", "cluster-down.sh"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		_ = cmd.Run()
		// The machine must be as it was before the cluster started: CI
		// and later sessions run on it.
		check := exec.Command(filepath.Join(e.Root, "hack", "host-state.sh"), "check", e.hostBefore)
		check.Stdout, check.Stderr = os.Stderr, os.Stderr
		if err := check.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: make cluster-down left host state behind (see above)")
			code = 1
		}
		_ = os.RemoveAll(e.hostBefore)
	}
	return code
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "hack", "cluster-up.sh")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no repository root above %s", dir)
}

func setup() (*Env, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	e := &Env{Root: root}
	clusterDir := os.Getenv("ESHELL_CLUSTER_DIR")
	if clusterDir == "" {
		clusterDir = filepath.Join(root, ".cluster")
	}
	e.Kubeconfig = filepath.Join(clusterDir, "kubeconfig")
	e.DevKubeconfig = filepath.Join(clusterDir, "kubeconfig-dev")
	e.NewcomerKubeconfig = filepath.Join(clusterDir, "kubeconfig-newcomer")
	if !clusterUp(e.Kubeconfig) && clusterRunning(clusterDir) {
		// A cluster whose processes live is restarting one of them (a
		// fault test of another run): starting one would tear it down.
		if err := wait.PollUntilContextTimeout(context.Background(), time.Second, 2*time.Minute, true, func(context.Context) (bool, error) {
			return clusterUp(e.Kubeconfig), nil
		}); err != nil {
			return nil, fmt.Errorf("the cluster in %s runs but its node did not become Ready within 2m; look at %s/logs", clusterDir, clusterDir)
		}
	}
	if !clusterUp(e.Kubeconfig) {
		// What the host looks like before the node changes it, for the
		// check after cluster-down.
		if e.hostBefore, err = os.MkdirTemp("", "eshell-e2e-host"); err != nil {
			return nil, err
		}
		save := exec.Command(filepath.Join(root, "hack", "host-state.sh"), "save", e.hostBefore)
		save.Stderr = os.Stderr
		if err := save.Run(); err != nil {
			return nil, fmt.Errorf("recording the host state: %w", err)
		}
		cmd := exec.Command(filepath.Join(root, "hack", "cluster-up.sh"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("starting the local cluster: %w", err)
		}
		e.started = true
	}
	bin, err := os.MkdirTemp("", "eshell-e2e-bin")
	if err != nil {
		return nil, err
	}
	e.Plugin = filepath.Join(bin, "kubectl-eshell")
	e.Kubectl = filepath.Join(bin, "kubectl")
	for out, pkg := range map[string]string{e.Plugin: "./cmd/kubectl-eshell", e.Kubectl: "./test/tools/kubectl"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir, cmd.Stderr = root, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building %s: %w", pkg, err)
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 100, 200
	if e.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if err := e.bindEnvironments(); err != nil {
		return nil, err
	}
	return e, nil
}

// clusterRunning is true when a process that dir's cluster started still
// runs (etcd, say, while a test restarts the API server).
func clusterRunning(dir string) bool {
	pids, _ := filepath.Glob(filepath.Join(dir, "pids", "*"))
	for _, f := range pids {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 0 && syscall.Kill(pid, 0) == nil {
			return true
		}
	}
	return false
}

func clusterUp(kubeconfig string) bool {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return false
	}
	cfg.Timeout = 3 * time.Second
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false
	}
	n, err := c.CoreV1().Nodes().Get(context.Background(), NodeName, metav1.GetOptions{})
	if err != nil {
		return false
	}
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// F is one test's view: its namespace and helpers bound to it.
type F struct {
	*Env
	T         *testing.T
	Namespace string
	Ctx       context.Context
}

// bindEnvironments grants user "dev" the shipped ClusterRole that lists
// environments, as a cluster admin would for developers who use them.
func (e *Env) bindEnvironments() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := os.ReadFile(filepath.Join(e.Root, "deploy", "rbac", "eshell-environments.yaml"))
	if err != nil {
		return err
	}
	var cr rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(b, &cr); err != nil {
		return fmt.Errorf("deploy/rbac/eshell-environments.yaml: %w", err)
	}
	if _, err := e.Client.RbacV1().ClusterRoles().Create(ctx, &cr, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ClusterRole %s: %w", cr.Name, err)
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "dev-" + cr.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "dev"}},
	}
	if _, err := e.Client.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("binding ClusterRole %s to dev: %w", cr.Name, err)
	}
	return nil
}

// Prompt matches a shell's prompt at the end of a terminal's output:
// busybox ash prints "/ # ", asks for the cursor position, and redraws the
// prompt when no answer comes; control sequences may follow the "# ".
const Prompt = `[#$] (?:\x1b\[[0-9;?]*[A-Za-z])*$`

// ShippedRoles are the Roles in deploy/rbac/ that New binds user "dev" to
// in each test's namespace.
var ShippedRoles = []string{"eshell-exec", "eshell-debug", "eshell-clone"}

// New gives the test a fresh namespace, deleted (bounded wait) at the end,
// in which user "dev" holds the shipped Roles and nothing else.
func New(t *testing.T) *F {
	t.Helper()
	f := NewUnbound(t)
	for _, r := range ShippedRoles {
		f.BindDev(r)
	}
	return f
}

// BindDev applies deploy/rbac/ROLE.yaml in the test's namespace and binds
// user "dev" to it.
func (f *F) BindDev(role string) {
	f.T.Helper()
	f.BindDevTo(f.ShippedRole(role))
}

// ShippedRole reads deploy/rbac/ROLE.yaml, for a test to bind it as it is
// or changed (a rule taken out, to show what a user without it sees).
func (f *F) ShippedRole(role string) *rbacv1.Role {
	f.T.Helper()
	b, err := os.ReadFile(filepath.Join(f.Root, "deploy", "rbac", role+".yaml"))
	if err != nil {
		f.T.Fatal(err)
	}
	var r rbacv1.Role
	if err := yaml.UnmarshalStrict(b, &r); err != nil {
		f.T.Fatalf("deploy/rbac/%s.yaml: %v", role, err)
	}
	return &r
}

// BindDevTo creates r in the test's namespace and binds user "dev" to it.
func (f *F) BindDevTo(r *rbacv1.Role) {
	f.T.Helper()
	r.Namespace = f.Namespace
	if _, err := f.Client.RbacV1().Roles(f.Namespace).Create(f.Ctx, r, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		f.T.Fatalf("creating Role %s: %v", r.Name, err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "dev-" + r.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: r.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "dev"}},
	}
	if _, err := f.Client.RbacV1().RoleBindings(f.Namespace).Create(f.Ctx, rb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		f.T.Fatalf("binding Role %s to dev: %v", r.Name, err)
	}
}

// NewUnbound is New without any Role for "dev", for tests of what a user
// without rights sees.
func NewUnbound(t *testing.T) *F {
	t.Helper()
	if env == nil {
		t.Fatal("framework.Main was not called from TestMain")
	}
	// A bound on the whole test, its parallel subtests included: those
	// wait for a free slot (-parallel) behind the suite's long fault and
	// packet tests, so the bound covers the queue as well as the work.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	ns := "e2e-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(ns) > 50 {
		ns = ns[:50]
	}
	ns = strings.TrimRight(ns, "-") + "-" + RandSuffix()
	if _, err := env.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	f := &F{Env: env, T: t, Namespace: ns, Ctx: ctx}
	// Pods are rejected until the namespace has its default ServiceAccount.
	f.Eventually("default ServiceAccount", 30*time.Second, func() bool {
		_, err := env.Client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_ = env.Client.CoreV1().Namespaces().Delete(c, ns, metav1.DeleteOptions{})
		_ = wait.PollUntilContextCancel(c, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			_, err := env.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
	})
	return f
}

// RandSuffix is 5 random lowercase hex characters.
func RandSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:5]
}

// Eventually fails the test unless cond holds within d.
func (f *F) Eventually(what string, d time.Duration, cond func() bool) {
	f.T.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			f.T.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Result is a finished command.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Cmd prepares a command against the cluster. The plugin runs as the
// unprivileged user "dev", bound only to the shipped Roles (see New), the
// way a developer is set up; anything else (kubectl arranging fixtures)
// runs as the admin.
func (f *F) Cmd(bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(f.Ctx, bin, args...)
	kubeconfig := f.Kubeconfig
	if bin == f.Plugin {
		kubeconfig = f.DevKubeconfig
	}
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "XDG_CONFIG_HOME="+f.T.TempDir())
	return cmd
}

// AsAdmin prepares the plugin as the admin, for the few tests about what
// only a cluster-wide user can see.
func (f *F) AsAdmin(args ...string) *exec.Cmd {
	cmd := f.Cmd(f.Plugin, args...)
	cmd.Env = append(cmd.Env, "KUBECONFIG="+f.Kubeconfig)
	return cmd
}

// Run runs cmd to completion with stdin (bounded by the test's context).
func (f *F) Run(cmd *exec.Cmd, stdin string) Result {
	f.T.Helper()
	var out, errb bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		f.T.Fatalf("running %v: %v", cmd.Args, err)
	}
	f.T.Logf("$ %s\n-- stdout:\n%s-- stderr:\n%s-- exit %d", strings.Join(cmd.Args, " "), r.Stdout, r.Stderr, r.Code)
	return r
}

// Eshell runs the plugin in the test namespace without a terminal.
func (f *F) Eshell(stdin string, args ...string) Result {
	f.T.Helper()
	return f.Run(f.Cmd(f.Plugin, append([]string{"-n", f.Namespace}, args...)...), stdin)
}

// Kubectl runs kubectl in the test namespace and fails the test on error.
func (f *F) Kubectl(stdin string, args ...string) string {
	f.T.Helper()
	r := f.Run(f.Cmd(f.Env.Kubectl, append([]string{"-n", f.Namespace}, args...)...), stdin)
	if r.Code != 0 {
		f.T.Fatalf("kubectl %v failed: %s", args, r.Stderr)
	}
	return r.Stdout
}

// Apply applies manifests in the test namespace.
func (f *F) Apply(yaml string) {
	f.T.Helper()
	f.Kubectl(yaml, "apply", "-f", "-")
}

// Rollout waits until a workload is rolled out.
func (f *F) Rollout(ref string) {
	f.T.Helper()
	f.Kubectl("", "rollout", "status", ref, "--timeout=60s")
}
