package cmd

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/debug"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/preset"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// completionTimeout bounds all API calls of one completion: a shell waiting
// on TAB must not hang on a slow or unreachable cluster.
const completionTimeout = 3 * time.Second

// completionBinary is the name the printed scripts complete: the plugin's
// own binary. `kubectl eshell` itself is completed by kubectl, through
// kubectl_complete-eshell.
const completionBinary = "kubectl-eshell"

func newCmdCompletion(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion",
		Short: "Print a shell completion script (bash, zsh, fish or powershell)",
		Long: `Print a shell completion script.

kubectl 1.26 and later completes "kubectl eshell <TAB>" by running an
executable named kubectl_complete-eshell from your PATH; the krew package
installs it. Without krew, create it once:

  printf '#!/bin/sh\nexec kubectl eshell __complete "$@"\n' > ~/.local/bin/kubectl_complete-eshell
  chmod +x ~/.local/bin/kubectl_complete-eshell

The scripts printed here complete the kubectl-eshell binary when run
directly. Completion asks the cluster for environments, namespaces,
workloads and containers, each for at most ` + completionTimeout.String() + `.`,
		Example: `  # bash, for this shell
  source <(kubectl eshell completion bash)

  # zsh, for every new shell
  kubectl eshell completion zsh > "${fpath[1]}/_kubectl-eshell"

  # fish
  kubectl eshell completion fish > ~/.config/fish/completions/kubectl-eshell.fish`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	script := &cobra.Command{Use: completionBinary}
	for _, sh := range []struct {
		name string
		gen  func(c *cobra.Command) error
	}{
		{"bash", func(c *cobra.Command) error { return script.GenBashCompletionV2(o.Out, true) }},
		{"zsh", func(c *cobra.Command) error { return script.GenZshCompletion(o.Out) }},
		{"fish", func(c *cobra.Command) error { return script.GenFishCompletion(o.Out, true) }},
		{"powershell", func(c *cobra.Command) error { return script.GenPowerShellCompletionWithDesc(o.Out) }},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:               sh.name,
			Short:             "Print the completion script for " + sh.name,
			Args:              cobra.NoArgs,
			ValidArgsFunction: cobra.NoFileCompletions,
			RunE:              func(c *cobra.Command, _ []string) error { return sh.gen(c) },
		})
	}
	return cmd
}

// registerCompletions completes the TYPE/NAME argument and the values of
// the flags that choose something. Completion never asks and never waits
// longer than completionTimeout.
func registerCompletions(cmd *cobra.Command, o *Options) {
	cmd.ValidArgsFunction = func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		// One target. (ArgsLenAtDash is no help here: cobra's completion
		// parses the flags twice, once with an extra "--".)
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return o.completeTarget(c, toComplete)
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
	register("mode", fixedCompletions(modes...))
	if cmd.Flags().Lookup("profile") != nil {
		register("profile", fixedCompletions(debug.ProfileNames()...))
	}
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
	register("namespace", o.fromCluster(false, func(ctx context.Context, cl target.Clients, _ string) ([]picker.Candidate, error) {
		return picker.Namespaces(ctx, cl)
	}))
	register("env", o.fromCluster(false, func(ctx context.Context, cl target.Clients, _ string) ([]picker.Candidate, error) {
		return picker.EnvironmentNames(ctx, cl, o.completionEnvLabel(), o.Pick.AllEnvs)
	}))
	register("service", func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return o.completeTarget(c, toComplete)
	})
	register("pod", o.fromCluster(true, func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error) {
		names, err := target.Names(ctx, cl.Metadata, ns, target.KindPod)
		out := make([]picker.Candidate, len(names))
		for i, n := range names {
			out[i] = picker.Candidate{Value: n}
		}
		return out, err
	}))
	register("container", func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ref := o.Pick.Service
		if len(args) > 0 {
			ref = args[0]
		}
		if ref == "" && o.Pod != "" {
			ref = "pod/" + o.Pod
		}
		r, err := target.ParseRef(ref)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return o.fromCluster(true, func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error) {
			return picker.ContainerNames(ctx, cl, ns, r)
		})(c, args, toComplete)
	})
}

func fixedCompletions(values ...cobra.Completion) cobra.CompletionFunc {
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

// completionEnvLabel is --env-label, else the config file's, without
// failing on a broken config file.
func (o *Options) completionEnvLabel() string {
	if l := strings.TrimSpace(o.Pick.EnvLabel); l != "" {
		return l
	}
	path := o.ConfigPath
	if path == "" {
		path = config.DefaultPath()
	}
	cfg, _ := config.Load(path)
	return cfg.EnvLabel
}

// fromCluster completes with what fn finds, with clients whose every call
// ends within completionTimeout and, if inNamespace, in the namespace the
// session would use (-n, --env, the kubeconfig's). Errors only go to
// cobra's debug log: a completion never fails loudly.
func (o *Options) fromCluster(inNamespace bool, fn func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error)) cobra.CompletionFunc {
	return func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		comps, directive := o.withCompletionClient(c, inNamespace, toComplete, fn)
		return withPrefix(comps, toComplete), directive
	}
}

// withCompletionClient runs fn as fromCluster describes and turns its
// candidates into completions.
func (o *Options) withCompletionClient(c *cobra.Command, inNamespace bool, toComplete string, fn func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error)) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx := c.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	cfg, err := o.ConfigFlags.ToRESTConfig()
	if err != nil {
		cobra.CompDebugln(err.Error(), true)
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = completionTimeout
	typed, md, err := newClients(cfg)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cl := target.Clients{Typed: typed, Metadata: md}
	ns := ""
	if inNamespace {
		if ns, _, err = o.ConfigFlags.ToRawKubeConfigLoader().Namespace(); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if o.Pick.Env != "" && !o.namespaceFlagGiven() {
			env, err := picker.FindEnvironment(ctx, cl.Typed, o.completionEnvLabel(), o.Pick.Env)
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

// completeTarget completes TYPE/NAME (see picker.Targets).
func (o *Options) completeTarget(c *cobra.Command, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	onlyPrefixes := false
	out, directive := o.withCompletionClient(c, true, toComplete, func(ctx context.Context, cl target.Clients, ns string) ([]picker.Candidate, error) {
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
