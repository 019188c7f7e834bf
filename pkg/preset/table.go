package preset

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// WriteTable writes the presets as a table: name, source, mode, commands.
func WriteTable(w io.Writer, ps []*Preset) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tMODE\tCOMMANDS")
	for _, p := range ps {
		mode := p.Mode
		if mode == "" {
			mode = "-"
		}
		// Presets come from workload annotations too: the cluster's text.
		e := escape.Line
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e(p.Name), e(p.Source), e(string(mode)), e(commandsOf(p)))
	}
	return tw.Flush()
}

// commandsOf renders the commands in the order they are tried.
func commandsOf(p *Preset) string {
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
