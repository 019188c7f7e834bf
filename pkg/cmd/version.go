package cmd

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/version"
)

func newCmdVersion(o *Options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of kubectl eshell and the client-go it was built with",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			switch output {
			case "":
				fmt.Fprintln(o.Out, version.String())
				return nil
			case "json":
				b, err := json.MarshalIndent(version.Get(), "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintln(o.Out, string(b))
				return nil
			}
			return fmt.Errorf("-o %s is not supported: use json or leave it out", output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "json for machine-readable output")
	return cmd
}
