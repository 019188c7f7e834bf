package target

import (
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// NewClients returns a typed and a metadata-only client for cfg.
func NewClients(cfg *rest.Config) (Clients, error) {
	cfg.WarningHandler = rest.NoWarnings{}
	// A session sends one short burst (the permission checks side by side,
	// the profile dry runs) and never a loop; client-go's default limiter
	// (5/s, burst 10) held the clone's last checks back by 190-390 ms on
	// the local cluster. The API server's priority and fairness is what
	// protects it. A kubeconfig that sets its own limits keeps them.
	if cfg.QPS == 0 && cfg.Burst == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return Clients{}, err
	}
	m, err := metadata.NewForConfig(cfg)
	return Clients{Typed: c, Metadata: m}, err
}
