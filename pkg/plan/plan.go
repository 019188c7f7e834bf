// Package plan holds what one `kubectl eshell` session will do, settled
// before anything is done: the namespace, the workload, the pod, the
// container, the mode, the command, the image and the limits. It is data
// only: it asks the cluster nothing and prompts for nothing. Package
// resolve turns a command line into a Plan once (picking and presets
// included); the engines of the modes run it and never change it.
package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/custom"
	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/fanout"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// Plan is one resolved session. Engines receive it by value and treat the
// objects it points to (Workload, Pod) as read-only.
type Plan struct {
	Mode      mode.Mode
	Namespace string
	Workload  *target.Workload
	// Service is the Service the workload was reached through (svc/NAME);
	// "" when the workload was named itself.
	Service string
	// Pod is the running pod exec and debug work in; nil for clone, whose
	// pod does not exist yet.
	Pod *corev1.Pod
	// Container is the container the shell runs in (exec, clone) or next
	// to (debug).
	Container string
	// Command is what runs: the user's, or the preset's; nil is the shell.
	Command []string
	// Shells is the order in which the shell is looked for in the image
	// when Command is nil (--shell, the config's shells:); nil is
	// shell.DefaultShells.
	Shells []string
	// Image is the debug container's image.
	Image    string
	Timeouts Timeouts
	// SessionID names the session in pods, containers and Events.
	SessionID string
	Stdin     bool
	TTY       bool
	Debug     DebugSettings
	Clone     CloneSettings
	// FanOut runs the command in many pods or containers (-l,
	// --all-pods, --all-containers); its zero value is one pod.
	FanOut FanOut
	// Custom is --custom and --run-as: the user's changes to the container
	// of a debug or clone session, merged over it last; nil for none.
	Custom *custom.Spec
	// DryRun prints what would be created or run in Output (yaml or
	// json), and creates and runs nothing.
	DryRun bool
	// ServerDryRun (with DryRun) sends what would be created with
	// dryRun=All, so admission judges it, and prints what the API server
	// would store.
	ServerDryRun bool
	Output       string
	NoAudit      bool
	// RecordCommand writes the command's arguments into annotations and
	// Events (see audit.Describe); by default only the program is named.
	RecordCommand bool
	// Reason is why the session was opened (--reason, or asked), checked
	// against the config's policy; "" when none was given or needed.
	Reason string
	// RecordPath is the file the session is recorded in (asciicast v2);
	// "" for none. RecordInput records the keys typed too.
	RecordPath  string
	RecordInput bool
	// Tee copies the session's streams into its recording, once the
	// command line has created it; zero: none.
	Tee session.Tee
	// Given are the flags the user set on the command line; Validate
	// refuses those that belong to another mode than the plan's.
	Given []GivenFlag
}

// GivenFlag is a flag set on the command line, with the modes it applies
// to as its registration declared them (see mode.Only); nil: every mode.
type GivenFlag struct {
	Name  string
	Modes []mode.Mode
}

// CheckFlags refuses a flag of Given that does not apply to the plan's
// mode: silently ignored, it would run a session other than the one asked
// for (an exec where --keep was meant to keep a clone, say).
func (p Plan) CheckFlags() error {
	for _, f := range p.Given {
		name, modes := f.Name, f.Modes
		if len(modes) == 0 || slices.Contains(modes, p.Mode) {
			continue
		}
		names := make([]string, len(modes))
		for i, m := range modes {
			names[i] = "--mode " + string(m)
		}
		hint := "drop it, or pass " + strings.Join(names, " or ")
		if name == "pod" {
			hint = "to clone a pod, give it as pod/NAME"
		}
		return fmt.Errorf("--%s applies to %s only, and this session runs in --mode %s: %s", name, strings.Join(names, " and "), p.Mode, hint)
	}
	if p.ServerDryRun && p.Mode == mode.Exec {
		return errors.New("--dry-run=server applies to --mode clone and debug only (exec submits nothing for admission to judge): use --dry-run=client")
	}
	return nil
}

// Named is what the user named, as the permission check asks about it:
// the Service the workload was reached through, else the workload.
func (p Plan) Named() (schema.GroupResource, string) {
	if p.Service != "" {
		return target.KindService.GroupResource(), p.Service
	}
	return p.Workload.Kind.GroupResource(), p.Workload.Name
}

// Timeouts bound a session in time. (The resources of a clone's container
// are CloneSettings.Requests and Limits.)
type Timeouts struct {
	// MaxDuration ends the session; 0 is no bound.
	MaxDuration time.Duration
	// PodRunningTimeout bounds the wait for a pod or container to start.
	PodRunningTimeout time.Duration
	// IdleTimeout ends a session without input and output; 0 disables it.
	IdleTimeout time.Duration
	// HeartbeatTimeout ends a session on the server once its client sent
	// no heartbeat for this long (clone and debug lifelines).
	HeartbeatTimeout time.Duration
}

// DebugSettings are the flags of --mode debug.
type DebugSettings struct {
	Profile    string
	CopyEnv    bool
	CopyMounts bool
	Reuse      bool
}

// CloneSettings are the flags of --mode clone.
type CloneSettings struct {
	Keep               bool
	KeepInitContainers bool
	NoSidecars         bool
	WithPVC            bool
	// KeepPriority keeps the workload's priority class (--keep-priority).
	KeepPriority bool
	// NoNetworkPolicies clones without copies of the NetworkPolicies that
	// select the workload's pods.
	NoNetworkPolicies bool
	// SetImage replaces images of the clone's containers (--set-image).
	SetImage []ImageOverride
	// Env sets variables in the session's container (--set-env,
	// --set-env-file); their values travel in a Secret of the session.
	Env []EnvOverride
	// Requests and Limits change the resources of the session's container
	// (--requests, --limits).
	Requests, Limits corev1.ResourceList
	// StaticShell brings a static shell from the debug image into the
	// clone (--static-shell), for an image without sh that eshell does
	// not know as such.
	StaticShell bool
}

// FanOut is a command run in many pods or containers at once.
type FanOut struct {
	// Selector is -l: the pods of the workload (or, without a target, of
	// the namespace) whose labels match it.
	Selector string
	// AllPods is --all-pods: every running pod of the workload.
	AllPods bool
	// AllContainers is --all-containers: every container of each pod.
	AllContainers bool
	// MaxParallel bounds the targets running at once (--max-parallel).
	MaxParallel int
	// Targets and Skipped are what Resolve found: where the command
	// runs, and the matched pods it does not run in, with why.
	Targets []fanout.Target
	Skipped []fanout.Skipped
}

// On reports whether the session fans out.
func (f FanOut) On() bool { return f.Selector != "" || f.AllPods || f.AllContainers }

// Flag names the fan-out flag given, for messages: -l, else --all-pods,
// else --all-containers.
func (f FanOut) Flag() string {
	switch {
	case f.Selector != "":
		return "-l"
	case f.AllPods:
		return "--all-pods"
	}
	return "--all-containers"
}

// Validate checks what only the resolved plan can tell: the limits the
// chosen mode needs, and that the mode's pod was found. (The bounds of the
// durations, which hold in every mode, were checked with the flags.)
func (p Plan) Validate() error {
	if err := p.Mode.Check(); err != nil {
		return err
	}
	if err := p.CheckFlags(); err != nil {
		return err
	}
	if p.DryRun {
		switch p.Output {
		case "", "yaml", "json":
		default:
			return fmt.Errorf("-o %s is not supported: use yaml or json", p.Output)
		}
	}
	if err := p.checkCustom(); err != nil {
		return err
	}
	if p.FanOut.On() {
		return p.validateFanOut()
	}
	if p.Workload == nil {
		return errors.New("no workload resolved: pass TYPE/NAME (e.g. deploy/web)")
	}
	switch p.Mode {
	case mode.Clone:
		if p.Timeouts.MaxDuration <= 0 {
			return errors.New("clone mode needs a positive --max-duration (it bounds a forgotten clone on the server), e.g. 2h")
		}
	case mode.Debug:
		if p.Image == "" {
			return errors.New("no debug image: pass --image, e.g. busybox:1.37")
		}
		fallthrough
	case mode.Exec:
		if p.Pod == nil {
			return fmt.Errorf("no running pod resolved for %s: pass --pod NAME", p.Workload.Ref())
		}
	}
	return nil
}

// validateFanOut checks a fan-out plan: -l alone names no workload, and
// the pods are in Targets, not Pod.
func (p Plan) validateFanOut() error {
	if err := fanout.CheckMaxParallel(p.FanOut.MaxParallel); err != nil {
		return err
	}
	if p.Mode == mode.Debug && p.Image == "" {
		return errors.New("no debug image: pass --image, e.g. busybox:1.37")
	}
	if len(p.FanOut.Targets) == 0 {
		return fmt.Errorf("%s selected no pod to run in: check the selector and the target", p.FanOut.Flag())
	}
	return nil
}

// checkCustom refuses what --custom sets that cannot apply in the plan's
// mode, and what it sets that a clone flag sets too, naming both: which
// one should win is the user's call.
func (p Plan) checkCustom() error {
	if err := p.Custom.Check(p.Mode); err != nil {
		return err
	}
	if p.Mode == mode.Debug && p.Debug.Reuse && !p.Custom.Empty() {
		return errors.New("--reuse attaches to a debug container made earlier, which --custom and --run-as cannot change: drop --reuse, or them")
	}
	if p.Custom == nil || p.Custom.Container == nil || p.Mode != mode.Clone {
		return nil
	}
	c := p.Custom.Container
	if (len(p.Clone.Requests) > 0 || len(p.Clone.Limits) > 0) && (len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0) {
		return fmt.Errorf("resources are set both by --custom %s and by --requests or --limits: set them in one place", p.Custom.File)
	}
	for _, e := range p.Clone.Env {
		if slices.ContainsFunc(c.Env, func(v corev1.EnvVar) bool { return v.Name == e.Name }) {
			return fmt.Errorf("env %s is set both by --custom %s and by --set-env: set it in one place (--set-env keeps the value out of the pod, in a Secret)", e.Name, p.Custom.File)
		}
	}
	return nil
}

// errMaxDuration is the cause of a session ended by --max-duration.
var errMaxDuration = errors.New("--max-duration reached")

// maxDurationGrace lets the server-side bound of clone and debug act first.
const maxDurationGrace = 15 * time.Second

// Bound ends ctx at --max-duration, and returns what turns an error the
// bound caused into one that says so. Clone and debug are bounded on the
// server (activeDeadlineSeconds, the watchdog), which ends the process and
// so reports its real exit; the client's timer is only their backstop,
// after a grace. Exec has no server-side bound, so the client's timer is
// the bound. A dry run is not bounded.
func (p Plan) Bound(ctx context.Context) (context.Context, context.CancelFunc, func(error) error) {
	if p.Timeouts.MaxDuration <= 0 || p.DryRun {
		return ctx, func() {}, func(err error) error { return err }
	}
	limit := p.Timeouts.MaxDuration
	if p.Mode != mode.Exec {
		limit += maxDurationGrace
	}
	ctx, cancel := context.WithTimeoutCause(ctx, limit, errMaxDuration)
	return ctx, cancel, func(err error) error {
		if err != nil && errors.Is(context.Cause(ctx), errMaxDuration) {
			return fmt.Errorf("the session reached its --max-duration of %s and was ended", p.Timeouts.MaxDuration)
		}
		return err
	}
}

// Check refuses a duration outside its bound (config.Bound), before
// anything is created: the same bounds as in the config file.
func (l Timeouts) Check() error {
	for _, c := range []struct {
		b config.Bound
		d time.Duration
	}{{config.PodRunningTimeoutBound, l.PodRunningTimeout}, {config.MaxDurationBound, l.MaxDuration}, {config.IdleTimeoutBound, l.IdleTimeout},
		{config.HeartbeatTimeoutBound, l.Heartbeat()}} {
		if err := c.b.Check(c.d); err != nil {
			return err
		}
	}
	return nil
}

// Argv is what the session runs: the command, or the first shell of
// Shells the image has. A terminal session that prints progress says which
// shell started: on a terminal the user meets it, a script only its output.
func (p Plan) Argv(d Deps) []string {
	if len(p.Command) > 0 {
		return p.Command
	}
	return shell.Choose(p.Shells, p.TTY && d.Progress != nil)
}

// Streams is the local end of the session as the plan sets it up.
func (p Plan) Streams(io genericiooptions.IOStreams) session.Streams {
	return session.Streams{IOStreams: io, Stdin: p.Stdin, TTY: p.TTY, IdleTimeout: p.Timeouts.IdleTimeout, Tee: p.Tee}
}

// Deps is what an engine needs from the outside: the cluster, the local
// streams and the command line's services. Engines get nothing else.
type Deps struct {
	Remote session.Remote
	IO     genericiooptions.IOStreams
	// Progress receives status lines; nil when --quiet.
	Progress io.Writer
	// Whoami names the authenticated user (*access.Whoami, which may
	// wait for its prefetch); nil: unknown.
	Whoami Identity
	// Recorder records sessions as Events (*audit.Recorder); nil records
	// nothing.
	Recorder Recorder
	// Confirm asks a yes/no question on the terminal; nil without one.
	Confirm func(question string) bool
	// Print writes an object for --dry-run in the plan's format.
	Print func(obj any) error
	// Access answers the permission checks of the session (see Check).
	Access *access.Reviewer
}

// Infof writes one progress line, unless --quiet.
func (d Deps) Infof(format string, args ...any) { session.Note(d.Progress, format, args...) }

// Warnf writes one warning, even with --quiet.
func (d Deps) Warnf(format string, args ...any) {
	fmt.Fprintln(d.IO.ErrOut, "warning: "+escape.Terminal(fmt.Sprintf(format, args...)))
}

// Printer writes objects for --dry-run=client in format (yaml, or json),
// with r (nil: none) replacing the command's arguments: a printed object
// may carry the command (a clone's or a debug container's).
func Printer(out io.Writer, format string, r interface{ Replace(string) string }) func(obj any) error {
	return func(obj any) error {
		var b []byte
		var err error
		switch format {
		case "json":
			b, err = json.MarshalIndent(obj, "", "  ")
			b = append(b, '\n')
		default:
			b, err = yaml.Marshal(obj)
		}
		if err != nil {
			return err
		}
		if r != nil {
			b = []byte(r.Replace(string(b)))
		}
		_, err = out.Write(b)
		return err
	}
}

// Heartbeat is the session's heartbeat timeout: the default when none was
// settled (a plan not made from flags).
func (l Timeouts) Heartbeat() time.Duration {
	if l.HeartbeatTimeout <= 0 {
		return shell.DefaultHeartbeatTimeout
	}
	return l.HeartbeatTimeout
}
