package resolve

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/custom"
	"github.com/sberz/kubectl-eshell/pkg/fanout"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/reason"
	"github.com/sberz/kubectl-eshell/pkg/record"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// Flags are a session's command line as cobra parsed it. Request turns
// them, with the config file, into the Request that Resolve settles. (The
// flags of clone and debug mode are registered by their packages, into
// Clone and Debug.)
type Flags struct {
	Container   string
	Mode        mode.Mode
	CommandFlag []string // --command a,b,c
	Pod         string
	DryRun      string
	Output      string
	Image       string
	Debug       plan.DebugSettings
	Clone       plan.CloneSettings
	Pick        PickFlags
	Timeouts    plan.Timeouts
	Shell       ShellFlags
	// ShellName is --shell: the one shell to look for when no command is
	// given (sh when the image lacks it).
	ShellName string
	// FanOut is -l, --all-pods, --all-containers and --max-parallel.
	FanOut plan.FanOut
	// CustomFile is --custom FILE and RunAs --run-as, of debug and clone
	// mode (see package custom). (Not --user: kubectl gives every plugin
	// that flag for the kubeconfig's user.)
	CustomFile, RunAs string
}

// PickFlags replace the interactive choices, and choose the preset.
type PickFlags struct {
	Env, EnvLabel, Preset string
	// Workload is --service: the workload (not a Kubernetes Service) to
	// open the shell next to, as TYPE/NAME.
	Workload string
	AllEnvs  bool
	// EnvStatus is --env-status, e.g. "deployed,!migrating".
	EnvStatus string
}

// ShellFlags are the flags of every command that opens a shell: a
// session, and attach.
type ShellFlags struct {
	Stdin, TTY, Quiet, NoAudit, RecordCommand bool
	IdleTimeout                               time.Duration
	ConfigPath                                string
	// Reason is --reason: why the session is opened (see package reason).
	Reason string
	// Record is --record FILE; RecordInput is --record-input.
	Record      string
	RecordInput bool
}

// AddFlags registers the session's flags (but clone's and debug's) into fs.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&f.Container, "container", "c", "", "container to open the shell next to (default: the default-container annotation, else the first)")
	fs.StringVar((*string)(&f.Mode), "mode", string(mode.Clone), "clone, debug or exec")
	fs.StringSliceVar(&f.CommandFlag, "command", nil, "command and arguments, comma-separated (alternative to -- COMMAND ARGS)")
	fs.StringVar(&f.DryRun, "dry-run", "", "client: print what would be created or run, and touch nothing; server (clone, debug): the same, as the API server would store it after admission, persisting nothing")
	// A bare --dry-run means client, as kubectl's still does: without a
	// default value it took the next word, so `deploy/web --dry-run -- sh`
	// read "--" as the value and refused the command as a second target.
	fs.Lookup("dry-run").NoOptDefVal = "client"
	fs.StringVarP(&f.Output, "output", "o", "yaml", "format for --dry-run: yaml or json")
	f.Shell.AddFlags(fs)
	AddShellFlag(fs, &f.ShellName)
	fs.DurationVar(&f.Timeouts.MaxDuration, "max-duration", 0, "end the session after this long (default from config, 2h)")
	fs.DurationVar(&f.Timeouts.PodRunningTimeout, "pod-running-timeout", 0, "how long to wait for a pod or container to start (default from config, 2m)")
	fs.DurationVar(&f.Timeouts.HeartbeatTimeout, "heartbeat-timeout", 0, "clone and debug: end the session on the server once this client sent no heartbeat for this long (frozen, asleep or offline), 10s to 10m (default from config, 20s)")
	fs.StringVar(&f.Pick.Env, "env", "", "environment to open the shell in, by the value of its namespace's environment label (asked on a terminal when neither -n nor a target is given)")
	fs.BoolVar(&f.Pick.AllEnvs, "all-envs", false, "show the environments whose status checks fail too (marked failing); they are hidden by default")
	fs.StringVar(&f.Pick.EnvStatus, "env-status", "", "show the environments whose status checks match, e.g. deployed,!migrating (check deployed true, migrating not true), in place of hiding failing ones (default from config envStatus)")
	fs.StringVar(&f.Pick.EnvLabel, "env-label", "", "namespace label that marks an environment (default from config, "+keys.EnvNameLabel+")")
	fs.StringVar(&f.Pick.Workload, "service", "", "workload to open the shell next to, as TYPE/NAME; the same as the argument, or, with a svc/NAME argument, which of the workloads behind it (asked on a terminal when not given)")
	fs.StringVar(&f.Pick.Preset, "preset", "", "console to start when no command is given, e.g. django, rails, node, shell (list them with: kubectl eshell presets)")

	// A clone is one new pod: there is nothing to fan out over, and no
	// running pod to name.
	running := pflag.NewFlagSet("exec and debug", pflag.ContinueOnError)
	running.StringVar(&f.Pod, "pod", "", "pod of the workload to exec or debug into (default: the newest running, ready pod)")
	running.StringVarP(&f.FanOut.Selector, "selector", "l", "", "exec, debug: run the command in every running pod that matches this label selector, of the workload if one is named, else of the namespace (e.g. -l app=web)")
	running.BoolVar(&f.FanOut.AllPods, "all-pods", false, "exec, debug: run the command in every running pod of the workload, each line of output prefixed by its pod")
	running.BoolVar(&f.FanOut.AllContainers, "all-containers", false, "exec, debug: run the command in every container of the pod (or of each pod, with -l or --all-pods)")
	running.IntVar(&f.FanOut.MaxParallel, "max-parallel", fanout.DefaultMaxParallel, fmt.Sprintf("with -l, --all-pods or --all-containers: how many pods or containers run the command at once, 1 to %d", fanout.MaxParallelBound))
	fs.AddFlagSet(mode.Only(running, mode.Exec, mode.Debug))
	changing := pflag.NewFlagSet("debug and clone", pflag.ContinueOnError)
	changing.StringVar(&f.CustomFile, "custom", "", "debug and clone: a JSON or YAML file with a partial container spec merged over the session's container as kubectl debug --custom does, e.g. securityContext: {capabilities: {add: [NET_ADMIN]}}")
	changing.StringVar(&f.RunAs, "run-as", "", "debug and clone: run the session's container as this uid, root (0) or target (the target container's own user); the API server's admission still decides")
	fs.AddFlagSet(mode.Only(changing, mode.Debug, mode.Clone))
}

// AddShellFlag registers --shell into fs, for a session and an attach.
func AddShellFlag(fs *pflag.FlagSet, name *string) {
	fs.StringVar(name, "shell", "", "shell to start when no command is given, e.g. zsh, fish or ash; sh when the image lacks it (default from config shells:, bash then sh)")
}

// Shells is the shell preference of a session or an attach: --shell
// (name, when fs has it set) over the config's shells:. --shell with a
// command is refused: it would choose nothing.
func Shells(fs *pflag.FlagSet, name string, cfg config.Config, command []string) ([]string, error) {
	if !fs.Changed("shell") {
		return cfg.Shells, nil
	}
	if len(command) > 0 {
		return nil, errors.New("--shell chooses the shell started when no command is given: drop it, or the command")
	}
	if err := shell.CheckName(name); err != nil {
		return nil, fmt.Errorf("--shell: %w", err)
	}
	return []string{name}, nil
}

// AddFlags registers the shell flags into fs.
func (f *ShellFlags) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVarP(&f.Stdin, "stdin", "i", true, "pass stdin to the remote process")
	fs.BoolVarP(&f.TTY, "tty", "t", false, "allocate a terminal (default: when stdin and stdout are terminals)")
	fs.BoolVarP(&f.Quiet, "quiet", "q", false, "print no progress messages")
	fs.BoolVar(&f.NoAudit, "no-audit", false, "record no start/end Events on the workload")
	fs.BoolVar(&f.RecordCommand, "record-command", false, "write the command's arguments into the clone's annotations and the audit Events (default from config, false: only the program and the number of arguments, as arguments may hold secrets)")
	fs.DurationVar(&f.IdleTimeout, "idle-timeout", 0, "end a session with no input and no output for this long; 0 disables (default from config, 30m)")
	fs.StringVar(&f.ConfigPath, "config", "", "config file (default $XDG_CONFIG_HOME/kubectl-eshell/config.yaml)")
	fs.StringVar(&f.Record, "record", "", "record the session's terminal into FILE as an asciicast v2 file (asciinema's format; play it with: kubectl eshell replay FILE); an existing file is never replaced (default from config: a new file in record.dir)")
	fs.BoolVar(&f.RecordInput, "record-input", false, "record the keys typed too (off by default: they include passwords, which the terminal does not show)")
	fs.StringVar(&f.Reason, "reason", "", "why you open this session, e.g. a ticket id; written into the start Event and shown by sessions, where anyone who may read the namespace's Events and pods sees it (required when the config says requireReason: true; asked on a terminal)")
}

// SettleReason checks --reason against the config file's requireReason
// and reasonPattern before any round trip. With pending, the config
// requires a reason, none was given and a terminal can ask for one: the
// caller asks (reason.Settle with the returned policy) before anything is
// created. A dry run creates nothing, so it needs no reason (one given is
// still checked).
func (f ShellFlags) SettleReason(cfg config.Config, dryRun bool, streams genericiooptions.IOStreams) (r string, pol reason.Policy, pending bool, err error) {
	pol = reason.Policy{Required: cfg.RequireReason && !dryRun, Pattern: cfg.ReasonPattern}
	if pol.Required && strings.TrimSpace(f.Reason) == "" && session.IsTerminal(streams.In) && session.IsTerminal(streams.ErrOut) {
		return "", pol, true, nil
	}
	r, err = reason.Settle(f.Reason, pol, nil)
	return r, pol, false, err
}

// Settle returns the shell flags with the config file's values where fs
// says the user gave none, and whether to pass stdin and use a terminal.
func (f ShellFlags) Settle(fs *pflag.FlagSet, cfg config.Config, streams genericiooptions.IOStreams) (s ShellFlags, stdin, tty bool) {
	s = f
	if !fs.Changed("idle-timeout") {
		s.IdleTimeout = cfg.IdleTimeout
	}
	if !fs.Changed("record-command") {
		s.RecordCommand = cfg.RecordCommand
	}
	given := func(name string, v bool) *bool {
		if fs.Changed(name) {
			return &v
		}
		return nil
	}
	stdin, tty = session.Decide(streams, given("stdin", f.Stdin), given("tty", f.TTY))
	return s, stdin, tty
}

// Recording is the file the session id is recorded in (--record, else
// the config's record.dir), "" for none, refusing before any round trip
// what could not be recorded as asked. A dry run runs no session, so it
// is not recorded and --record is refused.
func (f ShellFlags) Recording(cfg config.Config, dryRun bool, id string) (string, error) {
	if dryRun {
		if f.Record != "" || f.RecordInput {
			return "", errors.New("--record records a session, and a dry run runs none: drop --record or --dry-run")
		}
		return "", nil
	}
	s := record.Settings{File: f.Record, Dir: cfg.Record.Dir, Required: cfg.Record.Required, Input: f.RecordInput}
	return s.Path(id, time.Now())
}

// check refuses what a fan-out cannot do, before any round trip: a
// shell, a terminal or input across pods, and a --max-parallel out of
// bounds.
func checkFanOut(f plan.FanOut, fs *pflag.FlagSet, command []string, preset string) error {
	flag := f.Flag()
	example := "e.g. kubectl eshell deploy/web --mode exec " + flag
	if flag == "-l" {
		example += " app=web"
	}
	example += " -- uptime"
	given := func(name string) bool {
		v, _ := fs.GetBool(name)
		return fs.Changed(name) && v
	}
	switch {
	case len(command) == 0 || preset != "":
		return fmt.Errorf("%s runs one command in many pods, and a shell or a console cannot span pods: give the command after -- (%s), or drop %s for a shell in one pod", flag, example, flag)
	case given("tty"):
		return fmt.Errorf("-t opens a terminal, and one terminal cannot span pods: drop -t (with %s each pod's output comes back as lines prefixed by the pod), or drop %s for a terminal in one pod", flag, flag)
	case given("stdin"):
		return fmt.Errorf("-i sends input to one process, and %s starts many: drop -i (the command gets no input), or drop %s", flag, flag)
	}
	return fanout.CheckMaxParallel(f.MaxParallel)
}

// Line is the rest of the command line: the arguments, where -- was in
// them (-1: nowhere), the whole line as typed (for the commands eshell
// suggests), and the namespace the kubeconfig and -n give.
type Line struct {
	Args           []string
	Dash           int
	Typed          []string
	Namespace      string
	NamespaceGiven bool
}

// Request checks what needs no cluster, so a typo costs no round trip,
// and returns the Request: the flags fs says were given over the config
// file's values. mapper (nil: kubectl's usual names) parses the target.
func (f Flags) Request(fs *pflag.FlagSet, l Line, cfg config.Config, streams genericiooptions.IOStreams, mapper meta.RESTMapper) (Request, error) {
	args, command := l.Args, []string(nil)
	if l.Dash >= 0 {
		command, args = args[l.Dash:], args[:l.Dash]
	}
	var req Request
	if len(args) > 1 {
		return req, fmt.Errorf("too many arguments %q: give one TYPE/NAME, and put the command after -- (e.g. kubectl eshell deploy/web -- ls /)", args)
	}
	if len(f.CommandFlag) > 0 {
		if len(command) > 0 {
			return req, errors.New("give the command either after -- or with --command, not both")
		}
		command = f.CommandFlag
	}
	if !fs.Changed("mode") {
		f.Mode = cfg.Mode
	}
	if !fs.Changed("max-duration") {
		f.Timeouts.MaxDuration = cfg.MaxDuration
	}
	if !fs.Changed("pod-running-timeout") {
		f.Timeouts.PodRunningTimeout = cfg.PodRunningTimeout
	}
	if !fs.Changed("heartbeat-timeout") {
		f.Timeouts.HeartbeatTimeout = cfg.HeartbeatTimeout
	}
	if !fs.Changed("image") {
		f.Image = cfg.DebugImage
	}
	shellFlags, stdin, tty := f.Shell.Settle(fs, cfg, streams)
	f.Timeouts.IdleTimeout = shellFlags.IdleTimeout

	if err := f.Mode.Check(); err != nil {
		return req, err
	}
	var err error
	if req.Target, req.Workload, err = targets(args, f.Pick.Workload, mapper); err != nil {
		return req, err
	}
	if req.EnvLabel, err = cfg.EnvLabelOr(f.Pick.EnvLabel); err != nil {
		return req, err
	}
	if f.FanOut.On() {
		if err := checkFanOut(f.FanOut, fs, command, f.Pick.Preset); err != nil {
			return req, err
		}
		// Many pods share this client's streams: their output comes back
		// as prefixed lines, and no input goes to any of them.
		stdin, tty = false, false
	}
	if tty && !session.IsTerminal(streams.In) {
		return req, errors.New("-t needs a terminal on stdin; drop -t when piping input")
	}
	switch f.DryRun {
	case "", "client", "server":
	default:
		return req, fmt.Errorf("--dry-run=%s is not supported: use --dry-run=client (nothing is sent) or --dry-run=server (admission judges, nothing is stored)", f.DryRun)
	}
	if err := f.Timeouts.Check(); err != nil {
		return req, err
	}
	why, policy, askReason, err := f.Shell.SettleReason(cfg, f.DryRun != "", streams)
	if err != nil {
		return req, err
	}
	id := session.NewID()
	recording, err := f.Shell.Recording(cfg, f.DryRun != "", id)
	if err != nil {
		return req, err
	}
	if recording != "" && f.FanOut.On() {
		return req, fmt.Errorf("%s runs the command in many pods, and a recording holds one terminal: drop --record (or set no record.dir in the config file for this run with --config)", f.FanOut.Flag())
	}
	if askReason {
		req.AskReason = &policy
	}
	envStatus := cfg.EnvStatus
	if fs.Changed("env-status") {
		envStatus = f.Pick.EnvStatus
	}
	filter, err := picker.ParseStatusFilter(envStatus)
	if err != nil {
		return req, fmt.Errorf("--env-status: %w", err)
	}
	req.EnvStatus = filter
	shells, err := Shells(fs, f.ShellName, cfg, command)
	if err != nil {
		return req, err
	}
	spec, err := f.custom(fs)
	if err != nil {
		return req, err
	}
	var given []plan.GivenFlag
	fs.Visit(func(fl *pflag.Flag) { given = append(given, plan.GivenFlag{Name: fl.Name, Modes: mode.Of(fl)}) })
	req.Base = plan.Plan{
		Mode: f.Mode, Namespace: l.Namespace, Container: f.Container, Command: command, Image: f.Image,
		Timeouts: f.Timeouts, SessionID: id, Stdin: stdin, TTY: tty,
		Debug: f.Debug, Clone: f.Clone, FanOut: f.FanOut, DryRun: f.DryRun != "", ServerDryRun: f.DryRun == "server", Output: f.Output,
		NoAudit: f.Shell.NoAudit, RecordCommand: shellFlags.RecordCommand, Given: given, Reason: why,
		RecordPath: recording, RecordInput: f.Shell.RecordInput, Shells: shells, Custom: spec,
	}
	req.ModeGiven, req.ImageGiven = fs.Changed("mode"), fs.Changed("image")
	req.Pod, req.Preset, req.ConfigPreset = f.Pod, f.Pick.Preset, cfg.Preset
	req.Env, req.AllEnvs = f.Pick.Env, f.Pick.AllEnvs
	req.Args, req.NamespaceGiven = l.Typed, l.NamespaceGiven
	return req, nil
}

// custom reads --custom and --run-as once, before any round trip, into the
// typed spec the engines apply; nil when neither was given.
func (f Flags) custom(fs *pflag.FlagSet) (*custom.Spec, error) {
	var spec *custom.Spec
	if fs.Changed("custom") {
		data, err := os.ReadFile(f.CustomFile)
		if err != nil {
			return nil, fmt.Errorf("--custom: %w: give a readable JSON or YAML file with a partial container spec", err)
		}
		if spec, err = custom.Parse(f.CustomFile, data); err != nil {
			return nil, err
		}
	}
	if !fs.Changed("run-as") {
		return spec, nil
	}
	u, err := custom.ParseUser(f.RunAs)
	if err != nil {
		return nil, err
	}
	return spec.WithUser(u)
}

// targets parses the target, from the argument or --service, and the
// workload --service chooses among those behind a Service argument
// (svc/web --service deploy/web-canary): once, before the cluster is asked,
// so a typo costs no round trip. mapper (nil: kubectl's usual names) knows
// the server's type names.
func targets(args []string, service string, mapper meta.RESTMapper) (ref, behind target.Ref, err error) {
	var arg target.Ref
	if len(args) == 1 {
		if arg, err = target.ParseRefWith(args[0], mapper); err != nil {
			return ref, behind, err
		}
	}
	if service == "" {
		return arg, behind, nil
	}
	given, err := target.ParseRefWith(service, mapper)
	switch {
	case err != nil:
		return ref, behind, fmt.Errorf("--service: %w", err)
	case arg.Name == "" || arg == given:
		return given, behind, nil
	case arg.Kind == target.KindService:
		return arg, given, nil
	}
	return ref, behind, fmt.Errorf("the target is given twice, as %q and with --service %q: give one of them (--service chooses among the workloads behind a svc/NAME target only)", args[0], service)
}
