package cmd

import (
	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/preset"
)

func newCmdPresets(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "presets",
		Short: "List the presets: consoles to start instead of a plain shell (--preset NAME)",
		Long: `List the presets: the built-in ones and your own, from
$XDG_CONFIG_HOME/kubectl-eshell/plugins/*.yaml (~/.config/kubectl-eshell/plugins/),
which replace built-in ones of the same name.

Unless you give a command, a preset is chosen with --preset NAME, else by
the workload's annotations (eshell.kubectl.io/command, a command line, or
eshell.kubectl.io/preset, a preset name), else by preset: in the config
file; else it is shell. Its commands are tried in order; the first
available one runs.`,
		Example: `  # What can I start?
  kubectl eshell presets

  # A Django shell in a clone of deploy/web
  kubectl eshell deploy/web --preset django`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			reg, err := preset.Load(preset.DefaultUserDir())
			if err != nil {
				return err
			}
			return preset.WriteTable(o.Out, reg.List())
		},
	}
}
