// Package e2e proves eshell's features against the real local cluster:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and a real
// kubelet with containerd and runc, all on 127.0.0.1, running images built
// locally (hack/images.sh).
//
// Adding a test is one small function: TestXxx calls framework.New(t) (a
// namespace of its own, user "dev" bound to the shipped Roles), builds its
// objects, many from fixtures_test.go, runs the plugin with f.Eshell or
// f.Pty and checks the run with Result.Want or its own assertions. Where
// behaviours share objects that are slow to make (pods to start, several
// namespaces), each is a function func(t, f, shared), one framework.Case of
// a test that makes the objects once and runs its cases in parallel with
// framework.RunCases (see TestNode, TestPick).
package e2e

import (
	"os"
	"testing"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

func TestMain(m *testing.M) { os.Exit(framework.Main(m)) }
