package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/sessions"
)

// SessionsOptions lists live sessions.
type SessionsOptions struct {
	*Options
	AllUsers      bool
	AllNamespaces bool
	Format        string
}

func newCmdSessions(parent *Options) *cobra.Command {
	o := &SessionsOptions{Options: parent}
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List live clone and debug sessions",
		Long: `List the live eshell sessions: clones (Jobs) still running and debug
containers still running, with their id, user, mode, workload, pod and
container, start and expiry. By default only your own sessions in the current
namespace. End one with: kubectl eshell end ID`,
		Example: `  # Your sessions here
  kubectl eshell sessions

  # Everyone's, everywhere, as JSON
  kubectl eshell sessions --all-users -A -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.completeClient(); err != nil {
				return err
			}
			return access.Advise(o.run(c.Context()), o.rest.Host)
		},
	}
	cmd.Flags().BoolVar(&o.AllUsers, "all-users", false, "list the sessions of every user, not only yours")
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look in every namespace")
	cmd.Flags().StringVarP(&o.Format, "output", "o", "", "output format: json or yaml (default: a table)")
	return cmd
}

func (o *SessionsOptions) run(ctx context.Context) error {
	if err := sessions.CheckFormat(o.Format); err != nil {
		return err
	}
	ns := ""
	if !o.AllNamespaces {
		var err error
		if ns, err = o.namespace(); err != nil {
			return err
		}
	}
	if err := o.missing(ctx, access.Check(ctx, o.client, access.SessionsNeeded(ns))); err != nil {
		return err
	}
	user := ""
	if !o.AllUsers {
		user = o.whoami.User(ctx)
	}
	list, err := sessions.List(ctx, session.Remote{Config: o.rest, Client: o.client}, ns, user)
	if err != nil {
		return err
	}
	return sessions.Print(o.Out, o.ErrOut, list, o.Format, time.Now())
}

func newCmdEnd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "end ID",
		Short: "End a live session: a clone is deleted, a debug container's processes are ended",
		Long: `End the live session ID (see kubectl eshell sessions) in the current namespace,
whoever started it. A clone's Job is deleted, and with it its pod and its
NetworkPolicy copies; a debug container's processes are ended, which ends the
container (it stays in the pod spec, as every ephemeral container does).`,
		Example:           `  kubectl eshell end x7k2p -n shop`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.line().Sessions(nil),
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.completeClient(); err != nil {
				return err
			}
			return access.Advise(o.end(c.Context(), args[0]), o.rest.Host)
		},
	}
}

func (o *Options) end(ctx context.Context, id string) error {
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	if err := o.missing(ctx, access.Check(ctx, o.client, access.SessionsNeeded(ns))); err != nil {
		return err
	}
	r := session.Remote{Config: o.rest, Client: o.client}
	s, err := sessions.Find(ctx, r, ns, id)
	if err != nil {
		return err
	}
	if err := o.missing(ctx, access.Check(ctx, o.client, access.EndNeeded(s.Mode, ns))); err != nil {
		return err
	}
	if err := sessions.End(ctx, r, s); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "ended session %s (%s of %s, %s)\n", s.ID, s.Mode, s.User, s)
	return nil
}
