package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/sessions"
)

func newCmdSessions(o *Options) *cobra.Command {
	var sc scope
	var format string
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
		RunE: o.withClient(func(ctx context.Context) error {
			if err := sessions.CheckFormat(format); err != nil {
				return err
			}
			ns, user, err := o.scope(ctx, sc)
			if err != nil {
				return err
			}
			if err := o.check(ctx, access.SessionsNeeded(ns)); err != nil {
				return err
			}
			list, err := sessions.List(ctx, session.Remote{Config: o.rest, Client: o.client}, ns, user)
			if err != nil {
				return err
			}
			return sessions.Print(o.Out, o.ErrOut, list, format, time.Now())
		}),
	}
	sc.addFlags(cmd, "list the sessions of every user, not only yours")
	cmd.Flags().StringVarP(&format, "output", "o", "", "output format: json or yaml (default: a table)")
	return cmd
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
			return o.withClient(func(ctx context.Context) error { return o.end(ctx, args[0]) })(c, args)
		},
	}
}

func (o *Options) end(ctx context.Context, id string) error {
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	if err := o.check(ctx, access.SessionsNeeded(ns)); err != nil {
		return err
	}
	r := session.Remote{Config: o.rest, Client: o.client}
	s, err := sessions.Find(ctx, r, ns, id)
	if err != nil {
		return err
	}
	if err := o.check(ctx, access.EndNeeded(s.Mode, ns)); err != nil {
		return err
	}
	if err := sessions.End(ctx, r, s); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "ended session %s (%s of %s, %s)\n", escape.Line(s.ID), s.Mode, escape.Line(s.User), escape.Line(s.String()))
	return nil
}
