// Command kubectl-eshell is the kubectl plugin `kubectl eshell`.
package main

import (
	"context"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	// Every client-go auth plugin (exec, OIDC, ...) so any kubeconfig works.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"github.com/sberz/kubectl-eshell/pkg/cmd"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(cmd.Main(context.Background(), streams, os.Args[1:]))
}
