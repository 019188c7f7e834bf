package cmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/preset"
	"github.com/sberz/kubectl-eshell/pkg/shell"
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
			return printPresets(o.Out, reg.List())
		},
	}
}

// printPresets writes the presets as a table: name, source, mode, commands.
func printPresets(w io.Writer, ps []*preset.Preset) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tMODE\tCOMMANDS")
	for _, p := range ps {
		mode := p.Mode
		if mode == "" {
			mode = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Source, mode, presetCommands(p))
	}
	return tw.Flush()
}

// presetCommands renders the commands in the order they are tried.
func presetCommands(p *preset.Preset) string {
	if len(p.Commands) == 0 {
		return "(the container's shell)"
	}
	parts := make([]string, len(p.Commands))
	for i, c := range p.Commands {
		parts[i] = shell.Quote(c.Argv)
		if c.When != "" {
			parts[i] += " (if " + c.When + ")"
		}
	}
	return strings.Join(parts, ", else ")
}
