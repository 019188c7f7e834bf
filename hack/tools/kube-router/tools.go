//go:build tools

// Package kuberouter pins the NetworkPolicy enforcer of the local cluster:
// kube-router, of which only the firewall (NetworkPolicy) controller runs.
// It is a module of its own because kube-router's dependency graph and the
// kubelet's (hack/tools) need not agree, and neither may leak into the
// plugin's go.mod.
package kuberouter

import (
	_ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
)
