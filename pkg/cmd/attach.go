package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/attach"
	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/resolve"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

func newCmdAttach(o *Options) *cobra.Command {
	var allUsers bool
	var shellName string
	cmd := &cobra.Command{
		Use:   "attach ID [-- COMMAND [ARGS...]]",
		Short: "Open another shell in a live session: a kept clone or a running debug container",
		Long: `Open another shell, or run COMMAND, in the live session ID (see kubectl eshell
sessions) in the current namespace: in a clone's container (one started with
--keep lives until its --max-duration), or in a debug session's ephemeral
container while its first client holds it. The shell runs beside the session's
lifeline, as the session's own does: bash where the image has it, else sh. A
terminal is used when stdin and stdout are terminals (-t/-i override); the
remote exit code is eshell's. Start and end Events are recorded on the workload.

Another user's session is refused: its shell history, environment and files
are theirs. --all-users attaches anyway (when they asked you to), and the
Events name you both.`,
		Example: `  # Back into a clone kept with --keep (its id is printed, and listed by sessions)
  kubectl eshell attach x7k2p

  # One command in it; its exit code is eshell's
  kubectl eshell attach x7k2p -- cat /tmp/report.txt`,
		Args: func(c *cobra.Command, args []string) error { return attach.CheckArgs(args, c.ArgsLenAtDash()) },
		RunE: func(c *cobra.Command, args []string) error {
			return o.withClient(func(ctx context.Context) error {
				o.whoami.Prefetch(ctx)
				cfg, err := config.Load(config.Path(o.flags.Shell.ConfigPath))
				if err != nil {
					return err
				}
				ns, err := o.namespace()
				if err != nil {
					return err
				}
				sh, stdin, tty := o.flags.Shell.Settle(c.Flags(), cfg, o.IOStreams)
				if err := config.IdleTimeoutBound.Check(sh.IdleTimeout); err != nil {
					return err
				}
				why, pol, pending, err := o.flags.Shell.SettleReason(cfg, false, o.IOStreams)
				if err != nil {
					return err
				}
				if pending {
					if why, err = o.askReason(pol); err != nil {
						return err
					}
				}
				req := attach.NewRequest(ns, args, session.Streams{IOStreams: o.IOStreams, Stdin: stdin, TTY: tty, IdleTimeout: sh.IdleTimeout})
				req.AllUsers, req.RecordCommand, req.Reason = allUsers, sh.RecordCommand, why
				if req.Shells, err = resolve.Shells(c.Flags(), shellName, cfg, req.Command); err != nil {
					return err
				}
				path, err := o.flags.Shell.Recording(cfg, false, session.NewID())
				if err != nil {
					return err
				}
				if path != "" {
					tee, done, err := o.startRecording(path, o.flags.Shell.RecordInput, "attach to session "+req.ID)
					if err != nil {
						return err
					}
					defer done()
					req.Streams.Tee, req.Recorded = tee, true
				}
				return attach.Run(ctx, req, o.attachDeps())
			})(c, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&allUsers, "all-users", false, "attach to a session another user started (refused without it; the audit Events name you both)")
	o.flags.Shell.AddFlags(f)
	resolve.AddShellFlag(f, &shellName)
	cmd.ValidArgsFunction = o.line().Sessions(&allUsers)
	return cmd
}

func (o *Options) attachDeps() attach.Deps {
	d := attach.Deps{Remote: session.Remote{Config: o.rest, Client: o.client}, Whoami: o.whoami, Access: o.access}
	if !o.flags.Shell.Quiet {
		d.Progress = o.ErrOut
	}
	if !o.flags.Shell.NoAudit {
		d.Recorder = o.auditor()
	}
	return d
}
