package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/clone"
	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/debug"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/podexec"
	"github.com/sberz/kubectl-eshell/pkg/preset"
	"github.com/sberz/kubectl-eshell/pkg/reason"
	"github.com/sberz/kubectl-eshell/pkg/redact"
	"github.com/sberz/kubectl-eshell/pkg/resolve"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// Options is one `kubectl eshell` invocation. The flags land in flags;
// Complete turns them, the config file and the cluster's answers into one
// plan.Plan; Validate checks the plan; Run hands it to the engine of its
// mode, which changes nothing in it.
type Options struct {
	ConfigFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams
	// flags are the session's command line as cobra parsed it.
	flags resolve.Flags

	// argv is the command line as typed, for the commands eshell suggests.
	argv []string
	// prompter replaces the terminal's questions (tests).
	prompter picker.Prompter

	// Filled by Complete.
	plan     plan.Plan
	rest     *rest.Config
	client   kubernetes.Interface
	metadata metadata.Interface
	whoami   *access.Whoami
	recorder *audit.Recorder
	access   *access.Reviewer
	// redact hides the command's arguments in -v logs and --dry-run
	// output; nil until the command line is parsed.
	redact *redact.Redactor
}

// NewOptions returns Options with kubectl's standard connection flags.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{ConfigFlags: genericclioptions.NewConfigFlags(true), IOStreams: streams}
}

// Complete settles the session: flags over the config file, then the
// target, environment, service, container, preset and pod from the
// cluster. What needs no cluster is checked first, so a typo costs no
// round trip.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	req, err := o.request(cmd, args)
	if err != nil {
		return err
	}
	if err := o.completeClient(); err != nil {
		return err
	}
	if !req.Base.DryRun {
		o.whoami.Prefetch(cmd.Context())
	}
	o.reviewAhead(cmd.Context(), req)
	r := &resolve.Resolver{
		Clients: target.Clients{Typed: o.client, Metadata: o.metadata}, Mapper: o.mapper(),
		Chooser: o.chooser(), Warn: o.ErrOut,
		Presets: func() (*preset.Registry, error) { return preset.Load(preset.DefaultUserDir()) },
	}
	if !o.flags.Shell.Quiet {
		r.Info = o.ErrOut
	}
	o.plan, err = r.Resolve(cmd.Context(), req)
	if err == nil && req.AskReason != nil {
		o.plan.Reason, err = o.askReason(*req.AskReason)
	}
	if err == nil {
		return nil
	}
	// Missing permissions say more than the lookup's Forbidden, but less
	// than a namespace that does not exist, where no Role could be.
	var nsErr *resolve.NamespaceNotFoundError
	if !errors.As(err, &nsErr) {
		err = o.lookupError(cmd.Context(), req, err)
	}
	return access.Advise(err, o.rest.Host)
}

// request reads the flags, the config file and the kubeconfig's namespace:
// everything Complete needs before it asks the cluster.
func (o *Options) request(cmd *cobra.Command, args []string) (resolve.Request, error) {
	cfg, err := config.Load(config.Path(o.flags.Shell.ConfigPath))
	if err != nil {
		return resolve.Request{}, err
	}
	if o.flags.Debug.Profile, err = debug.ParseProfile(o.flags.Debug.Profile); err != nil {
		return resolve.Request{}, err
	}
	ns, err := o.namespace()
	if err != nil {
		return resolve.Request{}, err
	}
	line := resolve.Line{Args: args, Dash: cmd.ArgsLenAtDash(), Typed: o.argv, Namespace: ns, NamespaceGiven: o.namespaceFlagGiven()}
	return o.flags.Request(cmd.Flags(), line, cfg, o.IOStreams, o.mapper())
}

// askReason asks on the terminal for the reason the config requires and
// the command line did not give: after the session is settled, so the
// question comes last, and before anything is created.
func (o *Options) askReason(pol reason.Policy) (string, error) {
	return reason.Settle("", pol, func(q string) (string, error) { return picker.Ask(o.In, o.ErrOut, q), nil })
}

// Validate checks the resolved plan.
func (o *Options) Validate() error {
	return o.plan.Validate()
}

// Run hands the plan to the engine of its mode, which first checks the
// permissions it needs. SIGTERM and SIGHUP (and SIGINT when no terminal is in raw mode)
// cancel it, so every engine's cleanup runs.
func (o *Options) Run(ctx context.Context) (err error) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	p := o.plan
	if p.RecordPath != "" && !p.DryRun {
		if err := o.refuseBeforeRecording(ctx, p); err != nil {
			return err
		}
		tee, done, err := o.startRecording(p.RecordPath, p.RecordInput, fmt.Sprintf("%s session %s next to %s", p.Mode, p.SessionID, p.Workload.Ref()))
		if err != nil {
			return err
		}
		defer done()
		p.Tee = tee
	}
	ctx, cancel, explain := p.Bound(ctx)
	defer cancel()
	defer func() { err = explain(err) }()
	if p.FanOut.On() {
		return o.fanOut(ctx, p, engines[p.Mode])
	}
	return access.Advise(engines[p.Mode](ctx, p, o.deps()), o.rest.Host)
}

// engines run a plan in its mode.
var engines = map[mode.Mode]func(context.Context, plan.Plan, plan.Deps) error{
	mode.Clone: clone.Run, mode.Debug: debug.Run, mode.Exec: podexec.Run,
}

// deps is what the engines get from the command line.
func (o *Options) deps() plan.Deps {
	d := plan.Deps{
		Remote: session.Remote{Config: o.rest, Client: o.client},
		IO:     o.IOStreams,
		Whoami: o.whoami, Recorder: o.auditor(),
		Access: o.access,
	}
	// The printed objects keep the command's arguments only when the user
	// opted in to recording them.
	if d.Print = plan.Printer(o.Out, o.plan.Output, o.redact); o.plan.RecordCommand {
		d.Print = plan.Printer(o.Out, o.plan.Output, nil)
	}
	if !o.flags.Shell.Quiet {
		d.Progress = o.ErrOut
	}
	if session.IsTerminal(o.In) {
		d.Confirm = picker.Terminal{In: o.In, Out: o.ErrOut}.Confirm
	}
	return d
}

// auditor records the audit Events; made once, the targets of a fan-out
// share it.
func (o *Options) auditor() *audit.Recorder {
	if o.recorder == nil {
		o.recorder = audit.NewRecorder(o.client, o.ErrOut)
	}
	return o.recorder
}

// chooser asks on the terminal, if any (see picker.NewChooser).
func (o *Options) chooser() *picker.Chooser {
	var info io.Writer
	if !o.flags.Shell.Quiet {
		info = o.ErrOut
	}
	ch := picker.NewChooser(o.IOStreams, info)
	if o.prompter != nil {
		ch.Prompter = o.prompter
	}
	return ch
}

// namespace is -n, else the kubeconfig's namespace.
func (o *Options) namespace() (string, error) {
	ns, _, err := o.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("reading the namespace from your kubeconfig: %w; pass -n NAMESPACE", err)
	}
	return ns, nil
}

// namespaceFlagGiven reports whether -n/--namespace was given.
func (o *Options) namespaceFlagGiven() bool {
	return o.ConfigFlags != nil && o.ConfigFlags.Namespace != nil && *o.ConfigFlags.Namespace != ""
}

// completeClient is the part of Complete subcommands need: the kubeconfig
// and a client, no target or session settings.
func (o *Options) completeClient() error {
	var err error
	if o.rest, err = o.ConfigFlags.ToRESTConfig(); err != nil {
		return fmt.Errorf("loading your kubeconfig: %w; check KUBECONFIG or pass --kubeconfig", err)
	}
	cl, err := target.NewClients(o.rest)
	o.client, o.metadata = cl.Typed, cl.Metadata
	o.whoami = &access.Whoami{Client: o.client}
	if o.access == nil {
		// Kept when a subcommand completes twice (cp): the rules it read
		// still answer.
		o.access = access.NewReviewer(o.client)
	}
	return err
}

// mapper is the kubeconfig's RESTMapper: it knows the server's names of
// types, from (cached) discovery, which only a type eshell does not know
// by itself makes it ask for. Nil when the kubeconfig cannot make one.
func (o *Options) mapper() meta.RESTMapper {
	m, err := o.ConfigFlags.ToRESTMapper()
	if err != nil {
		return nil
	}
	return m
}
