package cmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/clone"
)

// GCOptions removes clones a session could not remove itself. A clone's
// lifeline ends it when its client dies and the TTL controller deletes it,
// so gc is a sweep for what the cluster has not removed yet and for the
// pods of older eshell versions.
type GCOptions struct {
	*Options
	AllUsers      bool
	AllNamespaces bool
	DryRunGC      bool
	Now           func() time.Time
}

func newCmdGC(parent *Options) *cobra.Command {
	o := &GCOptions{Options: parent, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Delete clones that are finished, whose client is gone, or past their --max-duration",
		Long: `Delete clones left behind by sessions that could not clean up. A clone ends
on the server when its client dies (its lifeline reads end of input) and the
cluster deletes it some seconds later; gc removes what is finished, whose
client is gone or that is past its expiry, and says why for each. By default
only your own clones in the current namespace are considered.`,
		Example: `  # Your leftover clones in the current namespace
  kubectl eshell gc

  # Everyone's, in every namespace, without deleting anything
  kubectl eshell gc --all-users -A --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.completeClient(); err != nil {
				return err
			}
			return access.Advise(o.run(c.Context()), o.rest.Host)
		},
	}
	cmd.Flags().BoolVar(&o.AllUsers, "all-users", false, "consider the clones of every user, not only yours")
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look in every namespace")
	cmd.Flags().BoolVar(&o.DryRunGC, "dry-run", false, "only list what would be deleted")
	return cmd
}

func (o *GCOptions) run(ctx context.Context) error {
	s := clone.Sweep{DryRun: o.DryRunGC, Now: o.Now()}
	if !o.AllNamespaces {
		var err error
		if s.Namespace, err = o.namespace(); err != nil {
			return err
		}
	}
	if !o.AllUsers {
		s.User = o.whoami.User(ctx)
	}
	return clone.Clean(ctx, o.client, s, o.Out, o.ErrOut)
}
