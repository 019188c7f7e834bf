// Package e2e proves eshell's features against the real local cluster:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and a real
// kubelet with containerd and runc, all on 127.0.0.1, running images built
// locally (hack/images.sh).
package e2e

import (
	"os"
	"testing"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

func TestMain(m *testing.M) { os.Exit(framework.Main(m)) }
