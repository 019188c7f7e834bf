// Package cmd wires the kubectl-eshell command line: flags, help, and the
// one place errors become exit codes. The work happens in the Options.
package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/clone"
	"github.com/sberz/kubectl-eshell/pkg/completion"
	"github.com/sberz/kubectl-eshell/pkg/debug"
	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/redact"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

const example = `  # Pick environment, service and container interactively, then open a shell
  kubectl eshell

  # The same choices by flags, for scripts (no prompt is ever shown without a terminal)
  kubectl eshell --env demo --service deploy/web -c web

  # Pick among all environments, those failing a status check too (marked)
  kubectl eshell --all-envs

  # A shell in a disposable clone of a Deployment (the default mode), gone when you exit
  kubectl eshell deploy/web -n env-pr-42

  # A clone with another image, a variable (its value goes into a Secret, never the pod) and more memory
  kubectl eshell deploy/web --set-image bash:5.2 --set-env DEBUG=1 --limits memory=1Gi

  # A one-off task in a clone; its exit code is eshell's exit code
  kubectl eshell deploy/web -- python manage.py migrate && echo migrated

  # A debug container in a running pod, sharing the app's processes
  kubectl eshell deploy/web --mode debug --image busybox:1.37

  # A shell in the running container itself (kubectl exec, made easy)
  kubectl eshell deploy/web --mode exec -c web

  # Name the Service: the shell opens next to the workload behind it
  kubectl eshell svc/web --mode exec

  # Pipe a script in
  echo 'ls /' | kubectl eshell pod/web-7d4b9 --mode exec

  # Another shell in a live session, e.g. a clone kept with --keep (ids: kubectl eshell sessions)
  kubectl eshell attach x7k2p`

// NewCmdEshell builds the root command.
func NewCmdEshell(streams genericiooptions.IOStreams) *cobra.Command {
	return newCmdEshell(NewOptions(streams))
}

func newCmdEshell(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eshell [TYPE/NAME | NAME] [-c CONTAINER] [--mode clone|debug|exec] [-- COMMAND [ARGS...]]",
		Short: "Open a shell next to a running service: a clone, a debug container or the container itself",
		Long: `kubectl eshell opens a shell next to a running service in one command.

Modes:
  clone  (default) a fresh pod from the workload's pod template: same image, env,
         config, secrets and service account, but no Service traffic, no probes,
         no init side effects; deleted when the session ends, whatever the cause.
  debug  an ephemeral container in a running pod, sharing the target container's
         processes, with its env and mounts and a Pod Security-compatible profile.
  exec   a shell in the running container itself.

TYPE is one of pod (po), deployment (deploy), statefulset (sts), daemonset (ds),
replicaset (rs), job, cronjob (cj), or service (svc): the workload behind the
Service (--service TYPE/NAME chooses when there are several). A custom resource
with a pod template at spec.template (an Argo Rollout, say) is named as kubectl
names it: rollouts.argoproj.io/web. A bare NAME is a pod, else a workload of that
name. Without a target, eshell asks for the environment (namespaces labelled
envs.sberz.de/name), the service and the container when a terminal is present;
environments whose status checks fail are hidden unless --all-envs. In exec and
debug mode, a workload with no running pod offers a clone instead.
Without a command, bash is started where the image has it, else sh.`,
		Example: example,
		// The root takes a target; without this cobra reads it as a subcommand name.
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl eshell"},
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.Complete(c, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(c.Context())
		},
	}
	f := cmd.Flags()
	o.ConfigFlags.AddFlags(cmd.PersistentFlags())
	logTo := redact.AddVerbosity(cmd.PersistentFlags())
	cmd.PersistentPreRun = func(c *cobra.Command, args []string) {
		secrets := redact.CommandArgs(o.flags.CommandFlag, args, c.ArgsLenAtDash())
		o.redact = redact.Replacer(secrets)
		// The --set-env values go to the log only: in --dry-run output the
		// env Secret prints them as placeholders already, and replacing a
		// short value there would garble the rest (a value "bash" in
		// "image: bash:5.2").
		logTo(o.ErrOut, secrets, o.flags.Clone.EnvValues())
	}
	o.flags.AddFlags(f)
	debug.AddFlags(f, &o.flags.Debug, &o.flags.Image)
	clone.AddFlags(f, &o.flags.Clone)

	cmd.AddCommand(newCmdGC(o), newCmdSessions(o), newCmdAttach(o), newCmdEnd(o), newCmdVersion(o), newCmdPresets(o), newCmdReplay(o), newCmdCp(o), completion.NewCmd(o.Out))
	// After every flag is defined: completion looks them up.
	completion.Register(cmd, o.line())
	return cmd
}

// line is what completion reads of the command line.
func (o *Options) line() completion.Line {
	return completion.Line{ConfigFlags: o.ConfigFlags, Env: &o.flags.Pick.Env, EnvLabel: &o.flags.Pick.EnvLabel,
		ConfigPath: &o.flags.Shell.ConfigPath, Workload: &o.flags.Pick.Workload, Pod: &o.flags.Pod, AllEnvs: &o.flags.Pick.AllEnvs, EnvStatus: &o.flags.Pick.EnvStatus}
}

// Main runs the command and returns the process exit code: the remote
// command's code when there is one, 255 (session.ExitLost) when its stream
// was lost before the code arrived, 1 for any other error. This is the one
// place errors are printed.
func Main(ctx context.Context, streams genericiooptions.IOStreams, args []string) int {
	o := NewOptions(streams)
	o.argv = args
	cmd := newCmdEshell(o)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	var ee *session.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if errors.Is(err, session.ErrIdle) {
		return 0 // an idle session ends like a normal exit; the reason was printed
	}
	var lost *session.LostError
	if errors.As(err, &lost) {
		// No exit code of the remote command arrived: one of its own.
		fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
		return session.ExitLost
	}
	if err != nil {
		// An error quotes the cluster's text (messages, annotations, names).
		fmt.Fprintf(streams.ErrOut, "error: %s\n", escape.Terminal(err.Error()))
		return 1
	}
	return 0
}
