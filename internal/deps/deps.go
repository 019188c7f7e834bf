//go:build tools

// Package deps keeps the product's fixed dependencies in go.mod while the
// packages that use them are being written. Removed once they are imported.
package deps

import (
	_ "github.com/AlecAivazis/survey/v2"
	_ "github.com/creack/pty"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/moby/term"
	_ "github.com/spf13/cobra"
	_ "go.yaml.in/yaml/v3"
	_ "k8s.io/cli-runtime/pkg/genericclioptions"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/client-go/kubernetes/fake"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	_ "k8s.io/component-base/cli"
	_ "k8s.io/cri-streaming/pkg/streaming/remotecommand"
	_ "k8s.io/kubectl/pkg/cmd"
	_ "sigs.k8s.io/yaml"
)
