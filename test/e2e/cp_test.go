package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// cpPods: "bb" (busybox, running as user 1000, so written files must be
// chowned to it) and "nosh" (distroless: no tar, no shell, user 65532).
const cpPods = `
apiVersion: v1
kind: Pod
metadata: {name: bb}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  containers:
  - {name: web, image: busybox:1.37, command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: nosh}
spec:
  containers:
  - {name: app, image: "gcr.io/distroless/static-debian12:nonroot", command: [/bin/sleep, infinity]}
`

func cpSetup(t *testing.T) *framework.F {
	f := framework.New(t)
	f.Apply(cpPods)
	f.Kubectl("", "wait", "--for=condition=Ready", "pod/bb", "pod/nosh", "--timeout=60s")
	return f
}

// cpTree writes a tree with modes, an old mtime, a link inside it and one
// that climbs out of the container's root.
func cpTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "tree")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(root, "a.txt"), []byte("alpha\n"), 0o640))
	must(os.WriteFile(filepath.Join(root, "sub", "run.sh"), []byte("#!/bin/sh\necho run\n"), 0o755))
	must(os.Symlink("../a.txt", filepath.Join(root, "sub", "link")))
	must(os.Symlink("../../../../../../etc/shadow", filepath.Join(root, "sub", "out")))
	old := time.Unix(1600000000, 0)
	must(os.Chtimes(filepath.Join(root, "a.txt"), old, old))
	must(os.Chmod(filepath.Join(root, "sub"), 0o750))
	must(os.Chtimes(filepath.Join(root, "sub"), old, old))
	return root
}

func TestCpTreeBusybox(t *testing.T) {
	t.Parallel()
	f := cpSetup(t)
	tree := cpTree(t)
	r := f.Eshell("", "cp", tree, "bb:/tmp")
	if r.Code != 0 || !strings.Contains(r.Stderr, "Copied 2 files, 2 directories, 1 links") || !strings.Contains(r.Stderr, "skipped the link") {
		t.Fatalf("cp tree in: %+v", r)
	}
	// As the container sees it: modes, times, owner (the pod's user), the link.
	got := f.Kubectl("", "exec", "bb", "-c", "web", "--", "sh", "-c",
		"cd /tmp/tree && stat -c '%n %a %u:%g' a.txt sub sub/run.sh && stat -c '%Y' a.txt sub && readlink sub/link && ls sub")
	want := "a.txt 640 1000:1000\nsub 750 1000:1000\nsub/run.sh 755 1000:1000\n1600000000\n1600000000\n../a.txt\nlink\nrun.sh\n"
	if got != want {
		t.Errorf("in the container:\n%s\nwant:\n%s", got, want)
	}
	// And back out, by workload-less pod/NAME.
	back := t.TempDir()
	if r := f.Eshell("", "cp", "pod/bb:/tmp/tree", back); r.Code != 0 {
		t.Fatalf("cp tree out: %+v", r)
	}
	for name, mode := range map[string]os.FileMode{"a.txt": 0o640, "sub": os.ModeDir | 0o750, "sub/run.sh": 0o755} {
		fi, err := os.Lstat(filepath.Join(back, "tree", name))
		if err != nil || fi.Mode() != mode {
			t.Errorf("%s: %v %v, want mode %v", name, fi, err, mode)
		}
	}
	if fi, err := os.Stat(filepath.Join(back, "tree", "a.txt")); err != nil || fi.ModTime().Unix() != 1600000000 {
		t.Errorf("a.txt mtime: %v %v", fi, err)
	}
	if l, err := os.Readlink(filepath.Join(back, "tree", "sub", "link")); err != nil || l != "../a.txt" {
		t.Errorf("link: %q %v", l, err)
	}

	// A local file is never replaced without --force, and stays as it was.
	local := filepath.Join(back, "tree", "a.txt")
	if err := os.WriteFile(local, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = f.Eshell("", "cp", "bb:/tmp/tree/a.txt", local)
	if b, _ := os.ReadFile(local); r.Code != 1 || !strings.Contains(r.Stderr, "pass --force") || string(b) != "mine\n" {
		t.Errorf("overwrite without --force: %+v, file now %q", r, b)
	}
	if r := f.Eshell("", "cp", "--force", "bb:/tmp/tree/a.txt", local); r.Code != 0 {
		t.Errorf("--force: %+v", r)
	}
	if b, _ := os.ReadFile(local); string(b) != "alpha\n" {
		t.Errorf("after --force: %q", b)
	}

	// A path that does not exist; a link in a path is not followed.
	r = f.Eshell("", "cp", "bb:/tmp/nope/x", t.TempDir())
	if r.Code != 1 || !strings.Contains(r.Stderr, "error: /tmp/nope/x does not exist in the container") {
		t.Errorf("missing path: %+v", r)
	}
	f.Kubectl("", "exec", "bb", "-c", "web", "--", "ln", "-s", "/etc", "/tmp/etc-link")
	r = f.Eshell("x\n", "cp", "-", "bb:/tmp/etc-link/written")
	if r.Code != 1 || !strings.Contains(r.Stderr, "symbolic link") {
		t.Errorf("write through a link: %+v", r)
	}
}

func TestCpDistroless(t *testing.T) {
	t.Parallel()
	f := cpSetup(t)
	// One file through stdin and stdout.
	if r := f.Eshell("piped bytes\n", "cp", "-", "nosh:/tmp/piped"); r.Code != 0 {
		t.Fatalf("cp - in: %+v", r)
	}
	if r := f.Eshell("", "cp", "nosh:/tmp/piped", "-"); r.Code != 0 || r.Stdout != "piped bytes\n" {
		t.Fatalf("cp out to -: %+v", r)
	}
	// 100 MB, with its checksum, in and out.
	big := filepath.Join(t.TempDir(), "big")
	data := make([]byte, 100<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	start := time.Now()
	if r := f.Eshell("", "cp", big, "nosh:/tmp/big"); r.Code != 0 {
		t.Fatalf("cp 100 MB in: %+v", r)
	}
	in := time.Since(start)
	out := filepath.Join(t.TempDir(), "big")
	start = time.Now()
	if r := f.Eshell("", "cp", "-c", "app", "nosh:/tmp/big", out); r.Code != 0 {
		t.Fatalf("cp 100 MB out: %+v", r)
	}
	t.Logf("100 MiB: in %s, out %s", in.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	b, err := os.ReadFile(out)
	if got := sha256.Sum256(b); err != nil || got != sum {
		t.Fatalf("100 MB back: sha256 %s, want %s (%v)", hex.EncodeToString(got[:]), hex.EncodeToString(sum[:]), err)
	}
	// On a terminal, a progress line for a transfer over 4 MiB.
	term := f.Pty("cp", "--force", big, "nosh:/tmp/big")
	term.Expect(`100\.0 MiB / 100\.0 MiB  [0-9.]+ MiB/s  ETA 0s`, 60*time.Second)
	if code := term.Wait(60 * time.Second); code != 0 {
		t.Fatalf("cp on a terminal: exit %d\n%s", code, term.Output())
	}
	// A tree into the distroless container and back.
	tree := cpTree(t)
	if r := f.Eshell("", "cp", tree, "nosh:/tmp"); r.Code != 0 {
		t.Fatalf("cp tree into distroless: %+v", r)
	}
	back := t.TempDir()
	if r := f.Eshell("", "cp", "nosh:/tmp/tree", back); r.Code != 0 {
		t.Fatalf("cp tree out of distroless: %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(back, "tree", "sub", "run.sh")); err != nil || string(b) != "#!/bin/sh\necho run\n" {
		t.Errorf("run.sh back: %q %v", b, err)
	}
	// The audit Events: start and end, naming no path.
	ev := f.Kubectl("", "get", "events.events.k8s.io", "-o", "jsonpath={range .items[*]}{.reason} {.note}{\"\\n\"}{end}")
	if !strings.Contains(ev, "EshellSessionStarted dev started a debug session (command: cp) in pod nosh container app") ||
		!strings.Contains(ev, "EshellSessionEnded dev ended a debug session in pod nosh container app") || strings.Contains(ev, "/tmp/") {
		t.Errorf("Events:\n%s", ev)
	}
}

func TestCpMissingPermission(t *testing.T) {
	t.Parallel()
	f := cpSetup(t)
	cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "cp", "-", "nosh:/tmp/x")
	cmd.Env = append(cmd.Env, "KUBECONFIG="+f.NewcomerKubeconfig)
	r := f.Run(cmd, "x")
	if r.Code != 1 || !strings.Contains(r.Stderr, `user "newcomer" is missing`) || !strings.Contains(r.Stderr, "pods/ephemeralcontainers") {
		t.Fatalf("newcomer: %+v", r)
	}
	pod, err := f.Client.CoreV1().Pods(f.Namespace).Get(f.Ctx, "nosh", metav1.GetOptions{})
	if err != nil || len(pod.Spec.EphemeralContainers) != 0 {
		t.Errorf("something was added: %v %v", pod.Spec.EphemeralContainers, err)
	}
}

// A copy into a kept clone, named by its session id, lands in the clone's
// pod, not in the workload's.
func TestCpIntoClone(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "busybox:1.37")
	id := keptID(f, f.Eshell("", "deploy/web", "--keep", "--", "true"))
	marker := "into-the-clone-" + framework.RandSuffix()
	if r := f.Eshell(marker, "cp", "-", id+":/tmp/marker"); r.Code != 0 || !strings.Contains(r.Stderr, "web-eshell-"+id) {
		t.Fatalf("cp into session %s: %+v", id, r)
	}
	if r := f.Eshell("", "attach", id, "--", "cat", "/tmp/marker"); r.Code != 0 || r.Stdout != marker {
		t.Fatalf("the file in the clone: %+v", r)
	}
	if r := f.Eshell("", "cp", "deploy/web:/tmp/marker", "-"); r.Code != 1 || !strings.Contains(r.Stderr, "does not exist") {
		t.Errorf("the workload's own pod has the file: %+v", r)
	}
}

// Under Pod Security "restricted" the admitted profile is restricted: the
// helper runs as the user the pod names, which may read that user's
// process, so the copy works without CAP_SYS_PTRACE.
func TestCpRestricted(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Kubectl("", "label", "namespace", f.Namespace, "pod-security.kubernetes.io/enforce=restricted")
	f.Apply(`
apiVersion: v1
kind: Pod
metadata: {name: locked}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: "gcr.io/distroless/static-debian12:nonroot"
    command: [/bin/sleep, infinity]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`)
	f.Kubectl("", "wait", "--for=condition=Ready", "pod/locked", "--timeout=60s")
	r := f.Eshell("restricted bytes\n", "cp", "-", "locked:/tmp/in")
	if r.Code != 0 || !strings.Contains(r.Stderr, "--profile restricted") {
		t.Fatalf("cp into a restricted pod: %+v", r)
	}
	if r := f.Eshell("", "cp", "locked:/tmp/in", "-"); r.Code != 0 || r.Stdout != "restricted bytes\n" {
		t.Fatalf("cp out of a restricted pod: %+v", r)
	}
}
