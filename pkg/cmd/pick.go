package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/validate/content"

	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/preset"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// PickOptions are the flags that replace interactive choices, and the
// preset choice.
type PickOptions struct {
	Env      string
	EnvLabel string
	Service  string
	Preset   string

	// prompter replaces the terminal's questions (tests).
	prompter picker.Prompter
	// now is the clock for ages (tests); nil is time.Now.
	now func() time.Time
}

func addPickFlags(f *pflag.FlagSet, o *Options) {
	f.StringVar(&o.Pick.Env, "env", "", "environment to open the shell in, by the value of its namespace's environment label (asked on a terminal when neither -n nor a target is given)")
	f.StringVar(&o.Pick.EnvLabel, "env-label", "", "namespace label that marks an environment (default from config, "+meta.EnvNameLabel+")")
	f.StringVar(&o.Pick.Service, "service", "", "workload to open the shell next to, as TYPE/NAME; the same as the argument (asked on a terminal when not given)")
	f.StringVar(&o.Pick.Preset, "preset", "", "console to start when no command is given, e.g. django, rails, node, shell (list them with: kubectl eshell presets)")
}

// registerPickExtras adds the presets and completion subcommands and the
// completion of arguments and flag values. It runs after every flag is
// defined.
func registerPickExtras(cmd *cobra.Command, o *Options) {
	cmd.AddCommand(newCmdPresets(o), newCmdCompletion(o))
	registerCompletions(cmd, o)
}

// resolveTarget finds the workload: from the TYPE/NAME argument (or
// --service, or --pod) in the namespace of -n, --env or the kubeconfig; or,
// without one, by asking for the environment, the service and the
// container. Then it applies the preset.
func (o *Options) resolveTarget(ctx context.Context) (*target.Workload, error) {
	ref := o.Target
	if o.Pick.Service != "" {
		if ref != "" && ref != o.Pick.Service {
			return nil, fmt.Errorf("the target is given twice, as %q and with --service %q: give one of them", ref, o.Pick.Service)
		}
		ref = o.Pick.Service
	}
	if ref != "" {
		if _, err := target.ParseRef(ref); err != nil {
			return nil, err
		}
	}
	label, err := o.envLabel()
	if err != nil {
		return nil, err
	}
	ch := o.chooser()
	nsGiven := o.namespaceFlagGiven()
	switch {
	case o.Pick.Env != "":
		lctx, cancel := context.WithTimeout(ctx, picker.ListTimeout)
		env, err := picker.FindEnvironment(lctx, o.client, label, o.Pick.Env)
		cancel()
		if err != nil {
			return nil, err
		}
		if nsGiven && env.Namespace != o.Namespace {
			return nil, fmt.Errorf("--env %s is namespace %q, but -n says %q: give one of them", o.Pick.Env, env.Namespace, o.Namespace)
		}
		o.Namespace = env.Namespace
	case !nsGiven && ref == "" && o.Pod == "":
		if err := o.pickEnvironment(ctx, ch, label); err != nil {
			return nil, err
		}
	}

	picked := false
	if ref == "" && o.Pod != "" {
		ref = target.Ref{Kind: target.KindPod, Name: o.Pod}.String()
	}
	if ref == "" {
		if ref, err = o.pickService(ctx, ch); err != nil {
			return nil, err
		}
		picked = true
	}
	r, err := target.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	w, err := target.Resolve(ctx, o.client, o.Namespace, r)
	if err != nil {
		return nil, err
	}
	// The container is asked only for a service chosen here: with an
	// explicit target it defaults as it always has (annotation, else first).
	if picked && o.Container == "" && ch.Prompter != nil {
		if err := o.pickContainer(ch, w); err != nil {
			return nil, err
		}
	}
	if err := o.applyPreset(w); err != nil {
		return nil, err
	}
	return w, nil
}

// namespaceFlagGiven reports whether -n/--namespace was given.
func (o *Options) namespaceFlagGiven() bool {
	return o.ConfigFlags != nil && o.ConfigFlags.Namespace != nil && *o.ConfigFlags.Namespace != ""
}

// envLabel is the namespace label of environments: --env-label, else the
// config file's envLabel, else meta.EnvNameLabel.
func (o *Options) envLabel() (string, error) {
	if l := strings.TrimSpace(o.Pick.EnvLabel); l != "" {
		if msgs := content.IsLabelKey(l); len(msgs) > 0 {
			return "", fmt.Errorf("--env-label %q is not a valid label key: %s", l, strings.Join(msgs, "; "))
		}
		return l, nil
	}
	if o.Config.EnvLabel != "" {
		return o.Config.EnvLabel, nil
	}
	return meta.EnvNameLabel, nil
}

// chooser asks on the terminal when stdin and stdout are terminals; the
// questions are drawn on stderr when it is a terminal too, so stdout stays
// the session's.
func (o *Options) chooser() *picker.Chooser {
	ch := &picker.Chooser{}
	if !o.Quiet {
		ch.Info = o.ErrOut
	}
	switch {
	case o.Pick.prompter != nil:
		ch.Prompter = o.Pick.prompter
	case session.IsTerminal(o.In) && session.IsTerminal(o.Out):
		out := o.Out
		if session.IsTerminal(o.ErrOut) {
			out = o.ErrOut
		}
		if s := picker.NewSurvey(o.In, out); s != nil {
			ch.Prompter = s
		}
	}
	return ch
}

func (o *Options) now() time.Time {
	if o.Pick.now != nil {
		return o.Pick.now()
	}
	return time.Now()
}

// pickEnvironment sets o.Namespace to the environment chosen among the
// labelled namespaces, or, when there are none, among all namespaces (on a
// terminal; without one the kubeconfig's namespace stays, as in kubectl). A
// user who may not list namespaces keeps the kubeconfig's namespace.
func (o *Options) pickEnvironment(ctx context.Context, ch *picker.Chooser, label string) error {
	lctx, cancel := context.WithTimeout(ctx, picker.ListTimeout)
	defer cancel()
	envs, err := picker.ListEnvironments(lctx, o.client, label, o.Namespace)
	if err != nil {
		return err
	}
	if envs.Forbidden || (!envs.Labelled && ch.Prompter == nil) {
		return nil
	}
	c := picker.Choice{
		What:    "environment",
		Message: "Which environment?",
		Flag:    "--env NAME (or -n NAMESPACE)",
		Where:   "(namespaces labelled " + label + ")",
		Rows:    envs.Rows(),
		Default: envs.Default(),
		Auto:    func(i int) string { return "Using " + envs.List[i].Label() },
	}
	if !envs.Labelled {
		c.What, c.Message, c.Flag, c.Where = "namespace", "Which namespace? (none is labelled "+label+")", "-n NAMESPACE", ""
	}
	i, err := ch.Choose(c)
	if err != nil {
		return err
	}
	o.Namespace = envs.List[i].Namespace
	return nil
}

// pickService returns the TYPE/NAME of the workload chosen in o.Namespace.
func (o *Options) pickService(ctx context.Context, ch *picker.Chooser) (string, error) {
	ns := o.Namespace
	l := picker.ListWorkloads(ctx, o.client, ns, picker.ListTimeout)
	if len(l.Failed) > 0 {
		fmt.Fprintf(o.ErrOut, "warning: could not list %s in namespace %q\n", l.FailedKinds(), ns)
	}
	if len(l.Workloads) == 0 {
		switch {
		case len(l.Failed) > 0:
			return "", fmt.Errorf("could not list the workloads of namespace %q; pass TYPE/NAME (e.g. deploy/web)", ns)
		case len(l.Forbidden) == len(picker.ServiceKinds):
			return "", fmt.Errorf("you may not list the workloads of namespace %q; pass TYPE/NAME (e.g. deploy/web), or -n/--env for another namespace", ns)
		}
		return "", fmt.Errorf("namespace %q has no Deployment, StatefulSet, DaemonSet, CronJob, Job or bare Pod to open a shell next to; pass -n NAMESPACE or --env NAME for another namespace", ns)
	}
	i, err := ch.Choose(picker.Choice{
		What:    "service",
		Message: fmt.Sprintf("Which service in namespace %s?", ns),
		Flag:    "TYPE/NAME or --service TYPE/NAME",
		Where:   fmt.Sprintf("in namespace %q", ns),
		Rows:    picker.WorkloadRows(l.Workloads, o.now()),
		Auto:    func(i int) string { return "Using service " + l.Workloads[i].Ref().String() },
	})
	if err != nil {
		return "", err
	}
	return l.Workloads[i].Ref().String(), nil
}

// pickContainer sets o.Container when the template has more than one.
func (o *Options) pickContainer(ch *picker.Chooser, w *target.Workload) error {
	cs := picker.Containers(w.Template)
	if len(cs) < 2 {
		return nil
	}
	i, err := ch.Choose(picker.Choice{
		What:    "container",
		Message: fmt.Sprintf("Which container of %s?", w.Ref()),
		Flag:    "-c CONTAINER",
		Where:   "of " + w.Ref().String(),
		Rows:    picker.ContainerRows(cs),
	})
	if err != nil {
		return err
	}
	o.Container = cs[i].Name
	return nil
}

// workloadAnnotations are the annotations that choose a workload's preset:
// the object's own, or, when they choose nothing, its pod template's.
func workloadAnnotations(w *target.Workload) map[string]string {
	chooses := func(a map[string]string) bool {
		return strings.TrimSpace(a[meta.PresetAnnotation]) != "" || strings.TrimSpace(a[meta.WorkloadCommandAnnotation]) != ""
	}
	if w.Object != nil {
		if m, err := apimeta.Accessor(w.Object); err == nil && chooses(m.GetAnnotations()) {
			return m.GetAnnotations()
		}
	}
	return w.Template.Annotations
}

// applyPreset chooses the preset: --preset, else the workload's
// annotations, else the config file's preset, else the shell. Without a
// command of the user's, the preset's command becomes the command, its mode
// the mode (unless --mode) and its debug image the debug image (unless
// --image). A command of the user's is left alone, and only a preset named
// with --preset still brings its mode and debug image.
func (o *Options) applyPreset(w *target.Workload) error {
	userCmd := len(o.Command) > 0
	if userCmd && o.Pick.Preset == "" {
		return nil
	}
	reg, err := preset.Load(preset.DefaultUserDir())
	if err != nil {
		return err
	}
	var p *preset.Preset
	var command []string
	from := ""
	switch {
	case o.Pick.Preset != "":
		if p, err = reg.Get(o.Pick.Preset); err != nil {
			return fmt.Errorf("--preset: %w", err)
		}
	default:
		if p, command, err = preset.ForWorkload(workloadAnnotations(w), reg); err != nil {
			return fmt.Errorf("%s: %w", w.Ref(), err)
		}
		switch {
		case command != nil:
			from = fmt.Sprintf(" (from the annotation %s of %s)", meta.WorkloadCommandAnnotation, w.Ref())
		case p != nil:
			from = fmt.Sprintf(" (from the annotation %s of %s)", meta.PresetAnnotation, w.Ref())
		case o.Config.Preset != "":
			if p, err = reg.Get(o.Config.Preset); err != nil {
				return fmt.Errorf("preset in the config file: %w", err)
			}
			from = " (from the config file)"
		default:
			if p, err = reg.Get(preset.DefaultName); err != nil {
				return err
			}
		}
	}
	if !userCmd {
		switch {
		case command != nil:
			o.Command = command
			o.infof("Running %s%s", shell.Quote(command), from)
		case p != nil:
			o.Command = p.Argv()
			if from != "" {
				o.infof("Using preset %s%s", p.Name, from)
			}
		}
	}
	if p == nil {
		return nil
	}
	if p.Mode != "" && (o.flags == nil || !o.flags.Changed("mode")) {
		o.Mode = p.Mode
	}
	if p.DebugImage != "" {
		o.Config.DebugImage = p.DebugImage
	}
	return nil
}
