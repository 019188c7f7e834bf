// Package completion completes kubectl eshell's command line: the target,
// the values of the flags that choose something, and the shell scripts.
// Completion never asks and never waits longer than Timeout.
package completion

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"

	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/debug"
	"github.com/sberz/kubectl-eshell/pkg/live"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/preset"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// Timeout bounds all API calls of one completion: a shell waiting on TAB
// must not hang on a slow or unreachable cluster.
const Timeout = 3 * time.Second

// Line is what completion reads of the command line being completed:
// cobra has parsed the flags typed so far into these before it asks.
type Line struct {
	ConfigFlags *genericclioptions.ConfigFlags
	// The values of --env, --env-label, --config, --service and --pod.
	Env, EnvLabel, ConfigPath, Workload, Pod *string
	// AllEnvs is --all-envs: failing environments are offered too.
	AllEnvs *bool
	// EnvStatus is --env-status: the environments that match it are
	// offered (nil or "": the config file's envStatus).
	EnvStatus *string
}

// Candidates finds completions in the cluster: ns is the namespace the
// session would use, when asked for.
type Candidates func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error)

// Register completes cmd's TYPE/NAME argument and the values of the flags
// that choose something.
func Register(cmd *cobra.Command, l Line) {
	cmd.ValidArgsFunction = func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		// One target. (ArgsLenAtDash is no help here: cobra's completion
		// parses the flags twice, once with an extra "--".)
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return l.Target(c, toComplete)
	}
	register := func(name string, fn cobra.CompletionFunc) {
		if cmd.Flag(name) != nil {
			_ = cmd.RegisterFlagCompletionFunc(name, fn)
		}
	}
	var modes []cobra.Completion
	for _, m := range mode.All() {
		modes = append(modes, cobra.CompletionWithDesc(m.String(), m.Description()))
	}
	register("mode", fixed(modes...))
	register("profile", fixed(debug.ProfileNames()...))
	// A uid is the user's to type; the two words are offered.
	register("run-as", fixed(cobra.CompletionWithDesc("root", "uid 0"), cobra.CompletionWithDesc("target", "the target container's own user")))
	register("custom", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"json", "yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	})
	register("preset", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		reg, err := preset.Load(preset.DefaultUserDir())
		if err != nil {
			cobra.CompDebugln(err.Error(), true)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, p := range reg.List() {
			out = append(out, cobra.CompletionWithDesc(p.Name, p.Description))
		}
		return withPrefix(out, toComplete), cobra.ShellCompDirectiveNoFileComp
	})
	register("namespace", l.FromCluster(false, func(ctx context.Context, cl target.Clients, _ string) ([]picker.Candidate, error) {
		return picker.Namespaces(ctx, cl)
	}))
	register("env", l.FromCluster(false, func(ctx context.Context, cl target.Clients, _ string) ([]picker.Candidate, error) {
		return picker.EnvironmentNames(ctx, cl, l.envLabel(), *l.AllEnvs, l.envStatus())
	}))
	register("service", func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return l.Target(c, toComplete)
	})
	register("pod", l.FromCluster(true, func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error) {
		names, err := target.Names(ctx, cl.Metadata, ns, target.KindPod)
		out := make([]picker.Candidate, len(names))
		for i, n := range names {
			out[i] = picker.Candidate{Value: n}
		}
		return out, err
	}))
	register("container", func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ref := *l.Workload
		if len(args) > 0 {
			ref = args[0]
		}
		if ref == "" && *l.Pod != "" {
			ref = "pod/" + *l.Pod
		}
		r, err := target.ParseRef(ref)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return l.FromCluster(true, func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error) {
			return picker.ContainerNames(ctx, cl, ns, r)
		})(c, args, toComplete)
	})
}

func fixed(values ...cobra.Completion) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return withPrefix(values, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// withPrefix keeps the completions whose value (before any tab and
// description) starts with prefix.
func withPrefix(comps []cobra.Completion, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, c := range comps {
		if v, _, _ := strings.Cut(c, "\t"); strings.HasPrefix(v, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// envLabel is --env-label, else the config file's (also for a label that
// is none: the session itself says what is wrong), without failing on a
// broken config file.
func (l Line) envLabel() string {
	cfg := l.config()
	if v, err := cfg.EnvLabelOr(*l.EnvLabel); err == nil {
		return v
	}
	return cfg.EnvLabel
}

// envStatus is --env-status, else the config file's; a filter that does
// not parse filters nothing (the session itself says what is wrong).
func (l Line) envStatus() picker.StatusFilter {
	s := ""
	if l.EnvStatus != nil {
		s = *l.EnvStatus
	}
	if strings.TrimSpace(s) == "" {
		s = l.config().EnvStatus
	}
	f, _ := picker.ParseStatusFilter(s)
	return f
}

// config is the config file (--config, else the default), its defaults
// where it is broken.
func (l Line) config() config.Config {
	path := *l.ConfigPath
	if path == "" {
		path = config.DefaultPath()
	}
	cfg, _ := config.Load(path)
	return cfg
}

// FromCluster completes with what fn finds, with clients whose every call
// ends within Timeout and, if inNamespace, in the namespace the session
// would use (-n, --env, the kubeconfig's). Errors only go to cobra's debug
// log: a completion never fails loudly.
func (l Line) FromCluster(inNamespace bool, fn Candidates) cobra.CompletionFunc {
	return func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		comps, directive := l.ask(c, inNamespace, fn)
		return withPrefix(comps, toComplete), directive
	}
}

// ask runs fn as FromCluster describes and turns its candidates into
// completions.
func (l Line) ask(c *cobra.Command, inNamespace bool, fn Candidates) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx := c.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cfg, err := l.ConfigFlags.ToRESTConfig()
	if err != nil {
		cobra.CompDebugln(err.Error(), true)
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = Timeout
	cl, err := target.NewClients(cfg)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ns := ""
	if inNamespace {
		if ns, _, err = l.ConfigFlags.ToRawKubeConfigLoader().Namespace(); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		nsGiven := l.ConfigFlags.Namespace != nil && *l.ConfigFlags.Namespace != ""
		if *l.Env != "" && !nsGiven {
			env, err := picker.FindEnvironment(ctx, cl.Typed, l.envLabel(), *l.Env)
			if err != nil {
				cobra.CompDebugln(err.Error(), true)
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			ns = env.Namespace
		}
	}
	cands, err := fn(ctx, cl, ns)
	if err != nil {
		cobra.CompDebugln(err.Error(), true)
	}
	out := make([]cobra.Completion, len(cands))
	for i, cand := range cands {
		out[i] = cand.Value
		if cand.Description != "" {
			out[i] = cobra.CompletionWithDesc(cand.Value, cand.Description)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// Target completes TYPE/NAME (see picker.Targets).
func (l Line) Target(c *cobra.Command, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	onlyPrefixes := false
	out, directive := l.ask(c, true, func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error) {
		cands, prefixes, err := picker.Targets(ctx, cl, ns, toComplete)
		onlyPrefixes = prefixes
		return cands, err
	})
	if len(out) == 0 && !strings.Contains(toComplete, "/") {
		// No cluster to ask: the kind prefixes still help.
		for _, p := range picker.KindPrefixes(toComplete) {
			out = append(out, p.Value)
		}
		onlyPrefixes = len(out) > 0
	}
	if onlyPrefixes {
		// Only kind prefixes: no space after "deploy/", the name follows.
		directive |= cobra.ShellCompDirectiveNoSpace
	}
	return out, directive
}

// Sessions completes a session ID (attach, end): the user's live sessions
// in the namespace, everyone's with *allUsers.
func (l Line) Sessions(allUsers *bool) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return l.FromCluster(true, func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error) {
			return live.Candidates(ctx, cl.Typed, ns, allUsers != nil && *allUsers)
		})(c, args, toComplete)
	}
}
