package e2e

// TestNode's cases about streams between a client (kubectl, built from the
// same k8s.io/kubectl version as the plugin) and a container on the real
// node: exec, attach, run and debug, with and without a terminal.

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// kubectl exec -it: a terminal with the client's size, Ctrl-C reaching
// the foreground program, and the shell's exit code as kubectl's.
func nodeExecTTY(t *testing.T, f *framework.F, _ nodeObjects) {
	agWaitReady(f, "full")
	term := f.PtyCmd(f.Cmd(f.Env.Kubectl, "-n", f.Namespace, "exec", "-it", "full", "--", "env", "PS1=AGENT> ", "sh", "-i"))
	term.Expect(`AGENT> `, 20*time.Second)
	term.Type("echo $((6*7))\r")
	term.Expect(`(?m)^42\r?$`, 10*time.Second)
	// The remote terminal starts at 80x24; 30 rows and 120 columns
	// mean the client's size reached it.
	term.Type("stty size\r")
	term.Expect(`(?m)^30 120\r?$`, 10*time.Second)
	term.Type("echo sleeping-$((1+1)); sleep 100\r")
	term.Expect(`(?m)^sleeping-2\r?$`, 10*time.Second)
	time.Sleep(500 * time.Millisecond) // let the shell start sleep in the foreground
	term.Type("\x03")
	// A prompt after sleeping-2 long before 100 s: sleep was interrupted.
	term.Expect(`sleeping-2\r?\n(?:.*\n)*.*AGENT> `, 10*time.Second)
	term.Type("echo back-$((2+2))\r")
	term.Expect(`(?m)back-4\r?$`, 10*time.Second)
	term.Type("exit 5\r")
	if code := term.Wait(15 * time.Second); code != 5 {
		t.Fatalf("kubectl exec -it exited %d after `exit 5`, want 5", code)
	}
}

// kubectl attach -it to a pod with stdin and tty: commands typed reach
// its shell, whose exit ends the container and the session.
func nodeAttachTTY(t *testing.T, f *framework.F, _ nodeObjects) {
	agWaitReady(f, "tty")
	term := f.PtyCmd(f.Cmd(f.Env.Kubectl, "-n", f.Namespace, "attach", "-it", "tty"))
	term.Expect(`If you don't see a command prompt`, 20*time.Second)
	term.Type("echo att-$((2+5))\r")
	term.Expect(`(?m)^att-7\r?$`, 10*time.Second)
	term.Type("exit 4\r")
	term.Wait(20 * time.Second)
	p := agPod(f, "tty", "phase Failed", 20*time.Second, func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodFailed })
	if term := agTerminated(p, "main"); term == nil || term.ExitCode != 4 {
		t.Fatalf("the attached shell ran `exit 4`, but the container status is %+v", p.Status.ContainerStatuses)
	}
}

// kubectl run -i without a terminal: piped input reaches the attached
// process.
func nodeRunAttachPiped(t *testing.T, f *framework.F, _ nodeObjects) {
	r := agRun(f, 40*time.Second, "hello\n", "run", "agrun", "-i", "--rm", "--restart=Never",
		"--image=busybox:1.37", "--", "sh", "-c", "read x; echo got-$x")
	if r.Code != 0 {
		t.Fatalf("kubectl run -i exited %d, want 0; stderr: %s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "got-hello\n") {
		t.Fatalf("piped stdin did not reach the attached process: stdout %q, want got-hello", r.Stdout)
	}
}

// kubectl exec without a terminal: stdin EOF reaches the command, the
// command's exit code is kubectl's, stdout and stderr stay apart.
func nodeExecPipes(t *testing.T, f *framework.F, _ nodeObjects) {
	agWaitReady(f, "bb")
	r := agRun(f, 20*time.Second, "x\n", "exec", "-i", "bb", "--", "cat")
	if r.Code != 0 || r.Stdout != "x\n" {
		t.Errorf("echo x | kubectl exec -i bb -- cat: exit %d, stdout %q; want exit 0, stdout \"x\\n\"", r.Code, r.Stdout)
	}
	r = agRun(f, 20*time.Second, "", "exec", "bb", "--", "sh", "-c", "exit 3")
	if r.Code != 3 {
		t.Errorf("kubectl exec bb -- sh -c 'exit 3' exited %d, want 3", r.Code)
	}
	r = agRun(f, 20*time.Second, "", "exec", "bb", "--", "sh", "-c", "echo out; echo err >&2")
	if r.Stdout != "out\n" || !strings.Contains(r.Stderr, "err\n") {
		t.Errorf("stdout and stderr were not kept apart: stdout %q, stderr %q", r.Stdout, r.Stderr)
	}
}

// kubectl debug adds an ephemeral container that runs with the image's
// tools (busybox: no bash), sees the target container's processes
// (--target shares its PID namespace), and ends with its process while
// the target keeps running.
func nodeDebugEphemeral(t *testing.T, f *framework.F, n nodeObjects) {
	agWaitReady(f, "app")
	script := "command -v bash || echo nobash; echo dbg-$((3*3)) $HOSTNAME; ps -o args | grep -c '^sleep " + n.targetSleep + "'"
	r := agRun(f, 45*time.Second, "", "debug", "app", "--image=busybox:1.37", "--target=app", "--container=dbg", "--", "sh", "-c", script)
	if r.Code != 0 {
		t.Fatalf("kubectl debug exited %d, want 0; stderr: %s", r.Code, r.Stderr)
	}
	p := agPod(f, "app", "ephemeral container dbg terminated", 30*time.Second, func(p *corev1.Pod) bool {
		return agTerminated(p, "dbg") != nil
	})
	if term := agTerminated(p, "dbg"); term.ExitCode != 0 || term.StartedAt.IsZero() {
		t.Errorf("ephemeral container dbg: terminated %+v, want exit 0 after having started", term)
	}
	logs := agRun(f, 20*time.Second, "", "logs", "app", "-c", "dbg")
	if want := "nobash\ndbg-9 app\n1\n"; logs.Stdout != want {
		t.Errorf("the debug container printed %q; want %q (no bash in busybox, the pod's hostname, and the target's `sleep %s` in ps once)", logs.Stdout, want, n.targetSleep)
	}
	if !agReady(p) {
		t.Errorf("the target container should keep running after the debug container ended; pod status %+v", p.Status)
	}
}
