package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// Options is everything one `kubectl eshell` invocation needs. Complete
// fills it from flags, the config file and the kubeconfig; Validate checks
// it without touching the cluster; Run does the work.
type Options struct {
	ConfigFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams

	Target      string
	Container   string
	Mode        mode.Mode
	Command     []string // after --
	CommandFlag []string // --command a,b,c
	Pod         string
	DryRun      string
	Output      string
	Quiet       bool
	NoAudit     bool
	IdleTimeout time.Duration
	ConfigPath  string

	stdinFlag, ttyFlag bool
	stdinSet, ttySet   bool

	Debug DebugOptions
	Clone CloneOptions
	Pick  PickOptions

	// Clone and debug.
	MaxDuration       time.Duration
	PodRunningTimeout time.Duration

	// Filled by Complete.
	Namespace string
	Config    config.Config
	Stdin     bool
	TTY       bool
	rest      *rest.Config
	client    kubernetes.Interface
	remote    session.Remote
	user      string
	userOnce  sync.Once
	userDone  chan struct{}
	recorder  *audit.Recorder
	sessionID string
	flags     interface{ Changed(string) bool }
}

// NewOptions returns Options with kubectl's standard connection flags.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{ConfigFlags: genericclioptions.NewConfigFlags(true), IOStreams: streams}
}

// Complete resolves flags against the config file and the kubeconfig.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	o.flags = cmd.Flags()
	dash := cmd.ArgsLenAtDash()
	if dash >= 0 {
		o.Command = args[dash:]
		args = args[:dash]
	}
	if len(args) > 1 {
		return fmt.Errorf("too many arguments %q: give one TYPE/NAME, and put the command after -- (e.g. kubectl eshell deploy/web -- ls /)", args)
	}
	if len(args) == 1 {
		o.Target = args[0]
	}
	if len(o.CommandFlag) > 0 {
		if len(o.Command) > 0 {
			return errors.New("give the command either after -- or with --command, not both")
		}
		o.Command = o.CommandFlag
	}
	path := o.ConfigPath
	if path == "" {
		path = config.DefaultPath()
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	o.Config = cfg
	if !cmd.Flags().Changed("mode") {
		o.Mode = cfg.Mode
	}
	if !cmd.Flags().Changed("max-duration") {
		o.MaxDuration = cfg.MaxDuration
	}
	if !cmd.Flags().Changed("idle-timeout") {
		o.IdleTimeout = cfg.IdleTimeout
	}
	if !cmd.Flags().Changed("pod-running-timeout") {
		o.PodRunningTimeout = cfg.PodRunningTimeout
	}
	o.stdinSet, o.ttySet = cmd.Flags().Changed("stdin"), cmd.Flags().Changed("tty")
	var stdin, tty *bool
	if o.stdinSet {
		stdin = &o.stdinFlag
	}
	if o.ttySet {
		tty = &o.ttyFlag
	}
	o.Stdin, o.TTY = session.Decide(o.IOStreams, stdin, tty)

	if err := o.completeClient(); err != nil {
		return err
	}
	o.remote = session.Remote{Config: o.rest, Client: o.client}
	return nil
}

func newClient(cfg *rest.Config) (kubernetes.Interface, error) {
	cfg.WarningHandler = rest.NoWarnings{}
	return kubernetes.NewForConfig(cfg)
}

// Validate checks the options without calling the cluster.
func (o *Options) Validate() error {
	if err := o.Mode.Check(); err != nil {
		return err
	}
	if o.Target != "" {
		if _, err := target.ParseRef(o.Target); err != nil {
			return err
		}
	}
	if o.TTY && !session.IsTerminal(o.In) {
		return errors.New("-t needs a terminal on stdin; drop -t when piping input")
	}
	if o.DryRun != "" && o.DryRun != "client" {
		return fmt.Errorf("--dry-run=%s is not supported: use --dry-run=client", o.DryRun)
	}
	if o.PodRunningTimeout <= 0 {
		return errors.New("--pod-running-timeout must be positive, e.g. 2m")
	}
	return nil
}

// Run opens the session. SIGTERM and SIGHUP (and SIGINT when no terminal is
// in raw mode) cancel it, so every mode's cleanup runs.
var errMaxDuration = errors.New("--max-duration reached")

// maxDurationGrace lets the server-side bound of clone and debug act first.
const maxDurationGrace = 15 * time.Second

func (o *Options) Run(ctx context.Context) (err error) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	o.sessionID = randomSuffix()
	if o.DryRun == "" {
		o.prefetchUser(ctx)
	}
	// With TYPE/NAME known up front, the permission check needs nothing from
	// the lookup, so both go out together: one round trip instead of two.
	var early chan error
	// (--env may still move the session to another namespace: then wait.)
	if ref, perr := target.ParseRef(o.Target); perr == nil && ref.Kind != "" && o.DryRun == "" && o.Pick.Env == "" {
		early = make(chan error, 1)
		go func() {
			early <- o.precheck(ctx, &target.Workload{Kind: ref.Kind, Name: ref.Name, Namespace: o.Namespace})
		}()
	}
	w, err := o.resolveTarget(ctx)
	if early != nil {
		if cerr := <-early; cerr != nil {
			// Missing permissions say more than the lookup's Forbidden.
			return advise(cerr, o.rest.Host)
		}
	}
	if err != nil {
		return advise(err, o.rest.Host)
	}
	if o.DryRun == "" && early == nil {
		if err := o.precheck(ctx, w); err != nil {
			return advise(err, o.rest.Host)
		}
	}
	// Every mode ends at --max-duration. Clone and debug are bounded on the
	// server (activeDeadlineSeconds, the watchdog), which ends the process and
	// so reports its real exit; the client's timer is only their backstop.
	// Exec has no server-side bound, so the client's timer is the bound.
	if o.MaxDuration > 0 && o.DryRun == "" {
		limit := o.MaxDuration
		if o.Mode != mode.Exec {
			limit += maxDurationGrace
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, limit, errMaxDuration)
		defer cancel()
	}
	defer func() {
		if errors.Is(context.Cause(ctx), errMaxDuration) && err != nil {
			err = fmt.Errorf("the session reached its --max-duration of %s and was ended", o.MaxDuration)
		}
	}()
	switch o.Mode {
	case mode.Exec:
		err = o.runExec(ctx, w)
	case mode.Debug:
		err = o.runDebug(ctx, w)
	case mode.Clone:
		err = o.runClone(ctx, w)
	}
	return advise(err, o.rest.Host)
}

func (o *Options) infof(format string, args ...any) {
	if !o.Quiet {
		fmt.Fprintf(o.ErrOut, format+"\n", args...)
	}
}

func (o *Options) streams() session.Streams {
	return session.Streams{IOStreams: o.IOStreams, Stdin: o.Stdin, TTY: o.TTY, IdleTimeout: o.IdleTimeout}
}

// pickPod chooses the running pod to exec or debug into: --pod, else the
// newest running and ready pod of the workload (debug: ready ones first).
func (o *Options) pickPod(ctx context.Context, w *target.Workload) (*corev1.Pod, error) {
	if o.Pod != "" {
		p, err := o.client.CoreV1().Pods(o.Namespace).Get(ctx, o.Pod, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		w = &target.Workload{Kind: target.KindPod, Name: p.Name, Namespace: p.Namespace, Pod: p}
	}
	// Debugging a running but unready pod is often the point; exec needs a ready one.
	pods, err := target.RunningPods(ctx, o.client, w, o.Mode != mode.Debug)
	if err != nil {
		return nil, err
	}
	if w.Kind != target.KindPod {
		o.infof("Using pod %s (newest of %d running)", pods[0].Name, len(pods))
	}
	return &pods[0], nil
}

// checkContainer rejects an unknown -c before anything else is said or done.
func (o *Options) checkContainer(w *target.Workload) error {
	if o.Container == "" {
		return nil
	}
	_, _, err := target.Container(w.Template.ObjectMeta, w.Template.Spec, o.Container)
	return err
}

// podAndContainer chooses the running pod and then its container, for the
// modes that work inside an existing pod (exec, debug).
func (o *Options) podAndContainer(ctx context.Context, w *target.Workload) (*corev1.Pod, string, error) {
	if err := o.checkContainer(w); err != nil {
		return nil, "", err
	}
	pod, err := o.pickPod(ctx, w)
	if err != nil {
		return nil, "", err
	}
	container, note, err := target.Container(pod.ObjectMeta, pod.Spec, o.Container)
	if err != nil {
		return nil, "", err
	}
	if note != "" {
		o.infof("%s", note)
	}
	return pod, container, nil
}

func (o *Options) runExec(ctx context.Context, w *target.Workload) (err error) {
	pod, container, err := o.podAndContainer(ctx, w)
	if err != nil {
		return err
	}
	argv, auto := o.Command, len(o.Command) == 0
	if auto {
		argv = shell.Detect()
	}
	end := o.auditSession(ctx, w, pod, container)
	defer func() { end(err) }()
	err = o.remote.Exec(ctx, o.streams(), pod.Namespace, pod.Name, container, argv)
	if shell.NoShell(err) {
		if auto {
			return fmt.Errorf("container %q of pod %q has no shell (sh): run a program after --, or use --mode debug to bring a shell in a debug container", container, pod.Name)
		}
		return fmt.Errorf("cannot run %q in container %q: %w; check the program name and that the image has it", strings.Join(argv, " "), container, err)
	}
	return err
}
