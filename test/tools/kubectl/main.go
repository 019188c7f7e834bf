// Command kubectl is kubectl built from the same k8s.io/kubectl version as
// the plugin, so tests and benchmarks compare like with like and never
// depend on whatever kubectl a machine happens to have.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
	os.Exit(0)
}
