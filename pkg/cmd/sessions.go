package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/yaml"

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
			return advise(o.run(c.Context()), o.rest.Host)
		},
	}
	cmd.Flags().BoolVar(&o.AllUsers, "all-users", false, "list the sessions of every user, not only yours")
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look in every namespace")
	cmd.Flags().StringVarP(&o.Format, "output", "o", "", "output format: json or yaml (default: a table)")
	return cmd
}

func (o *SessionsOptions) run(ctx context.Context) error {
	switch o.Format {
	case "", "json", "yaml":
	default:
		return fmt.Errorf("-o %s is not supported: use json or yaml, or leave it out for a table", o.Format)
	}
	ns := ""
	if !o.AllNamespaces {
		var err error
		if ns, _, err = o.ConfigFlags.ToRawKubeConfigLoader().Namespace(); err != nil {
			return fmt.Errorf("reading the namespace from your kubeconfig: %w; pass -n NAMESPACE", err)
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
	if list == nil {
		list = []sessions.Info{} // an empty list, not null, for whoever parses it
	}
	switch o.Format {
	case "json":
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(o.Out, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(list)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(b)
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(o.ErrOut, "no live sessions found")
		return nil
	}
	now := time.Now()
	w := tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tUSER\tMODE\tNAMESPACE\tWORKLOAD\tPOD/CONTAINER\tSTARTED\tEXPIRES")
	for _, s := range list {
		expires := "-"
		if s.Expires != nil {
			expires = "in " + duration.HumanDuration(s.Expires.Sub(now))
		}
		pod := s.Pod
		if pod == "" {
			pod = "job/" + s.Job
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s/%s\t%s ago\t%s\n", s.ID, s.User, s.Mode, s.Namespace, s.Workload, pod, s.Container,
			duration.HumanDuration(now.Sub(s.Started)), expires)
	}
	return w.Flush()
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
		ValidArgsFunction: o.completeSessions(nil),
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.completeClient(); err != nil {
				return err
			}
			return advise(o.end(c.Context(), args[0]), o.rest.Host)
		},
	}
}

func (o *Options) end(ctx context.Context, id string) error {
	ns, _, err := o.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return fmt.Errorf("reading the namespace from your kubeconfig: %w; pass -n NAMESPACE", err)
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
	what := "clone job " + s.Job
	if s.Pod != "" && s.Job == "" {
		what = "debug container " + s.Container + " in pod " + s.Pod
	}
	fmt.Fprintf(o.Out, "ended session %s (%s of %s, %s)\n", s.ID, s.Mode, s.User, what)
	return nil
}
