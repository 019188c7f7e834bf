package completion

import (
	"io"

	"github.com/spf13/cobra"
)

// binary is the name the printed scripts complete: the plugin's own
// binary. `kubectl eshell` itself is completed by kubectl, through
// kubectl_complete-eshell.
const binary = "kubectl-eshell"

// NewCmd is `kubectl eshell completion SHELL`, writing the script to out.
func NewCmd(out io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion",
		Short: "Print a shell completion script (bash, zsh, fish or powershell)",
		Long: `Print a shell completion script.

kubectl 1.26 and later completes "kubectl eshell <TAB>" by running an
executable named kubectl_complete-eshell from your PATH; the krew package
installs it. Without krew, create it once:

  printf '#!/bin/sh\nexec kubectl eshell __complete "$@"\n' > ~/.local/bin/kubectl_complete-eshell
  chmod +x ~/.local/bin/kubectl_complete-eshell

The scripts printed here complete the kubectl-eshell binary when run
directly. Completion asks the cluster for environments, namespaces,
workloads and containers, each for at most ` + Timeout.String() + `.`,
		Example: `  # bash, for this shell
  source <(kubectl eshell completion bash)

  # zsh, for every new shell
  kubectl eshell completion zsh > "${fpath[1]}/_kubectl-eshell"

  # fish
  kubectl eshell completion fish > ~/.config/fish/completions/kubectl-eshell.fish`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	script := &cobra.Command{Use: binary}
	for _, sh := range []struct {
		name string
		gen  func() error
	}{
		{"bash", func() error { return script.GenBashCompletionV2(out, true) }},
		{"zsh", func() error { return script.GenZshCompletion(out) }},
		{"fish", func() error { return script.GenFishCompletion(out, true) }},
		{"powershell", func() error { return script.GenPowerShellCompletionWithDesc(out) }},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:               sh.name,
			Short:             "Print the completion script for " + sh.name,
			Args:              cobra.NoArgs,
			ValidArgsFunction: cobra.NoFileCompletions,
			RunE:              func(*cobra.Command, []string) error { return sh.gen() },
		})
	}
	return cmd
}
