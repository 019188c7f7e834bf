package cmd

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	register("namespace", func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return o.withCompletionClient(c, false, toComplete, func(ctx context.Context, cl target.Clients, _ string) []cobra.Completion {
			l, err := cl.Typed.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
			if err != nil {
				cobra.CompDebugln(err.Error(), true)
				return nil
			}
			var out []cobra.Completion
			for _, ns := range l.Items {
				out = append(out, ns.Name)
			}
			return out
		})
	})
	register("env", func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return o.withCompletionClient(c, false, toComplete, func(ctx context.Context, cl target.Clients, _ string) []cobra.Completion {
			envs, err := picker.ListEnvironments(ctx, cl.Typed, o.completionEnvLabel(), "")
			if err != nil || !envs.Labelled {
				return nil
			}
			var out []cobra.Completion
			seen := map[string]bool{}
			for _, e := range envs.List {
				if !seen[e.Name] {
					seen[e.Name] = true
					out = append(out, cobra.CompletionWithDesc(e.Name, "namespace "+e.Namespace))
				}
			}
			return out
		})
	})
	register("service", func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return o.completeTarget(c, toComplete)
	})
	register("pod", func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return o.withCompletionClient(c, true, toComplete, func(ctx context.Context, cl target.Clients, ns string) []cobra.Completion {
			names, err := target.Names(ctx, cl.Metadata, ns, target.KindPod)
			if err != nil {
				cobra.CompDebugln(err.Error(), true)
			}
			return names
		})
	})
	register("container", func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ref := o.Pick.Service
		if len(args) > 0 {
			ref = args[0]
		}
		if ref == "" && o.Pod != "" {
			ref = "pod/" + o.Pod
		}
		if ref == "" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		r, err := target.ParseRef(ref)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return o.withCompletionClient(c, true, toComplete, func(ctx context.Context, cl target.Clients, ns string) []cobra.Completion {
			w, err := target.Resolve(ctx, cl, ns, r)
			if err != nil {
				cobra.CompDebugln(err.Error(), true)
				return nil
			}
			var out []cobra.Completion
			for _, ct := range picker.Containers(w.Template) {
				out = append(out, cobra.CompletionWithDesc(ct.Name, ct.Image))
			}
			return out
		})
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

// withCompletionClient runs fn with a client whose every call ends within
// completionTimeout and, if inNamespace, the namespace the session would
// use (-n, --env, the kubeconfig's). Of fn's results it returns those that
// start with toComplete.
func (o *Options) withCompletionClient(c *cobra.Command, inNamespace bool, toComplete string, fn func(ctx context.Context, cl target.Clients, ns string) []cobra.Completion) ([]cobra.Completion, cobra.ShellCompDirective) {
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
	return withPrefix(fn(ctx, cl, ns), toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeTarget completes TYPE/NAME. Without a "/" it offers the kind
// prefixes and the names of pods and workloads (a bare NAME is valid);
// after "TYPE/" the names of that kind.
func (o *Options) completeTarget(c *cobra.Command, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	typ, name, slash := strings.Cut(toComplete, "/")
	if slash {
		r, err := target.ParseRef(typ + "/x")
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return o.withCompletionClient(c, true, toComplete, func(ctx context.Context, cl target.Clients, ns string) []cobra.Completion {
			names, err := target.Names(ctx, cl.Metadata, ns, r.Kind)
			if err != nil {
				cobra.CompDebugln(err.Error(), true)
			}
			var out []cobra.Completion
			for _, n := range names {
				if strings.HasPrefix(n, name) {
					out = append(out, typ+"/"+n)
				}
			}
			return out
		})
	}
	var out []cobra.Completion
	// The kinds the service question offers.
	for _, k := range picker.ServiceKinds {
		if p := k.Short() + "/"; strings.HasPrefix(p, toComplete) {
			out = append(out, p)
		}
	}
	names, directive := o.withCompletionClient(c, true, toComplete, func(ctx context.Context, cl target.Clients, ns string) []cobra.Completion {
		var mu sync.Mutex
		var wg sync.WaitGroup
		seen := map[string]bool{}
		for _, k := range picker.ServiceKinds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				names, err := target.Names(ctx, cl.Metadata, ns, k)
				if err != nil && !apierrors.IsForbidden(err) {
					cobra.CompDebugln(err.Error(), true)
				}
				mu.Lock()
				defer mu.Unlock()
				for _, n := range names {
					if strings.HasPrefix(n, toComplete) {
						seen[n] = true
					}
				}
			}()
		}
		wg.Wait()
		var out []cobra.Completion
		for n := range seen {
			out = append(out, n)
		}
		sort.Strings(out)
		return out
	})
	out = append(out, names...)
	if len(names) == 0 && len(out) > 0 {
		// Only kind prefixes: no space after "deploy/", the name follows.
		directive |= cobra.ShellCompDirectiveNoSpace
	}
	return out, directive
}
