//go:build tools

// Package tools pins the control-plane and kubelet binaries the local test cluster is
// built from. It is its own module so that k8s.io/kubernetes (which cannot be
// required without replacing every staging module) never enters the plugin's
// dependency graph.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
