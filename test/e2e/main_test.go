// Package e2e proves eshell's features against the real local cluster:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the
// process-backed node agent, all on 127.0.0.1.
package e2e

import (
	"os"
	"testing"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

func TestMain(m *testing.M) { os.Exit(framework.Main(m)) }
