package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/attach"
	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/live"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

func newCmdSessions(o *Options) *cobra.Command {
	var sc scope
	var format string
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List live clone and debug sessions",
		Long: `List the live eshell sessions: clones (Jobs) still running and debug
containers still running, with their id, user, mode, workload, pod and
container, start, expiry and --reason. By default only your own sessions in the current
namespace. End one with: kubectl eshell end ID`,
		Example: `  # Your sessions here
  kubectl eshell sessions

  # Everyone's, everywhere, as JSON
  kubectl eshell sessions --all-users -A -o json`,
		Args: cobra.NoArgs,
		RunE: o.withClient(func(ctx context.Context) error {
			if err := live.CheckFormat(format); err != nil {
				return err
			}
			ns, user, err := o.scope(ctx, sc)
			if err != nil {
				return err
			}
			if err := o.check(ctx, access.SessionsNeeded(ns)); err != nil {
				return err
			}
			list, err := live.List(ctx, session.Remote{Config: o.rest, Client: o.client}, ns, user)
			if err != nil {
				return err
			}
			return live.Print(o.Out, o.ErrOut, list, format, time.Now())
		}),
	}
	sc.addFlags(cmd, "list the sessions of every user, not only yours")
	cmd.Flags().StringVarP(&format, "output", "o", "", "output format: json or yaml (default: a table)")
	return cmd
}

func newCmdEnd(o *Options) *cobra.Command {
	var sc scope
	var noAudit bool
	cmd := &cobra.Command{
		Use:   "end ID",
		Short: "End a live session: a clone is deleted, a debug container's processes are ended",
		Long: `End your live session ID (see kubectl eshell sessions) in the current namespace.
A clone's Job is deleted, and with it its pod and its NetworkPolicy copies; a
debug container's processes are ended, which ends the container (it stays in
the pod spec, as every ephemeral container does). eshell then waits for the
processes to end and says whether they did.

Another user's session is refused unless --all-users. An Event on the
workload records who ended whose session (unless --no-audit).`,
		Example: `  kubectl eshell end x7k2p -n shop

  # Someone else's, when they asked you to
  kubectl eshell end x7k2p -n shop --all-users`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.line().Sessions(nil),
		RunE: func(c *cobra.Command, args []string) error {
			return o.withClient(func(ctx context.Context) error { return o.end(ctx, args[0], sc.allUsers, noAudit) })(c, args)
		},
	}
	cmd.Flags().BoolVar(&sc.allUsers, "all-users", false, "end a session another user started")
	cmd.Flags().BoolVar(&noAudit, "no-audit", false, "record no Event of the end on the workload")
	return cmd
}

// endWait bounds the wait for a session's processes to end: a clone's pod
// has its grace period (30s by default) to stop.
const endWait = 45 * time.Second

func (o *Options) end(ctx context.Context, id string, allUsers, noAudit bool) error {
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	if err := o.check(ctx, access.SessionsNeeded(ns)); err != nil {
		return err
	}
	r := session.Remote{Config: o.rest, Client: o.client}
	s, err := live.Find(ctx, r, ns, id)
	if err != nil {
		return err
	}
	user := o.whoami.User(ctx)
	if err := attach.AllowedEnd(s, user, allUsers); err != nil {
		return err
	}
	if err := o.check(ctx, access.EndNeeded(s.Mode, ns)); err != nil {
		return err
	}
	if err := live.End(ctx, r, s); err != nil {
		return err
	}
	ended, waitErr := live.Ended(ctx, r, s, endWait)
	if !noAudit {
		o.auditor().Terminated(ctx, audit.Session{ID: s.ID, User: user, Owner: s.User, Mode: s.Mode, Namespace: s.Namespace,
			Workload: attach.Regarding(ctx, r, s.Namespace, s.Workload), Pod: s.Pod, Container: s.Container}, ended)
	}
	what := fmt.Sprintf("session %s (%s of %s, %s)", escape.Line(s.ID), s.Mode, escape.Line(s.User), escape.Line(s.String()))
	switch {
	case waitErr != nil:
		return fmt.Errorf("asked %s to end, but cannot tell whether it did: %w", what, waitErr)
	case !ended:
		return fmt.Errorf("asked %s to end, but its processes still ran after %s; check with: kubectl eshell sessions -n %s", what, endWait, ns)
	}
	fmt.Fprintf(o.Out, "ended %s: its processes have ended\n", what)
	return nil
}
