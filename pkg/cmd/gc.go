package cmd

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/clone"
)

// newCmdGC removes clones a session could not remove itself. A clone's
// lifeline ends it when its client dies and the TTL controller deletes it,
// so gc is a sweep for what the cluster has not removed yet and for the
// pods of older eshell versions.
func newCmdGC(o *Options) *cobra.Command {
	var sc scope
	var dryRun bool
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
		RunE: o.withClient(func(ctx context.Context) error {
			ns, user, err := o.scope(ctx, sc)
			if err != nil {
				return err
			}
			return clone.Clean(ctx, o.client, clone.Sweep{Namespace: ns, User: user, DryRun: dryRun, Now: time.Now()}, o.Out, o.ErrOut)
		}),
	}
	sc.addFlags(cmd, "consider the clones of every user, not only yours")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only list what would be deleted")
	return cmd
}

// scope is where a subcommand looks: the user's own sessions in the
// namespace, unless --all-users and --all-namespaces widen it.
type scope struct{ allUsers, allNamespaces bool }

func (s *scope) addFlags(cmd *cobra.Command, allUsers string) {
	cmd.Flags().BoolVar(&s.allUsers, "all-users", false, allUsers)
	cmd.Flags().BoolVarP(&s.allNamespaces, "all-namespaces", "A", false, "look in every namespace")
}

// scope returns the namespace and the user s stands for ("" is every one).
func (o *Options) scope(ctx context.Context, s scope) (ns, user string, err error) {
	if !s.allNamespaces {
		if ns, err = o.namespace(); err != nil {
			return "", "", err
		}
	}
	if !s.allUsers {
		user = o.whoami.User(ctx)
	}
	return ns, user, nil
}

// withClient is the RunE of a subcommand that needs a client and nothing
// else of a session: SIGTERM and SIGHUP (and SIGINT when no terminal is in
// raw mode) cancel run, and its error gets the same advice as a session's.
func (o *Options) withClient(run func(ctx context.Context) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, _ []string) error {
		if err := o.completeClient(); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		return access.Advise(run(ctx), o.rest.Host)
	}
}
