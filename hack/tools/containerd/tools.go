//go:build tools

// Package containerd pins the container runtime the local node runs on. It is
// a module of its own because containerd's dependency graph and the
// kubelet's (hack/tools) need not agree, and neither may leak into the
// plugin's go.mod.
package containerd

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
)
