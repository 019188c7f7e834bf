package e2e

// TestPick's cases about shell completion: kinds and names, environments,
// flag values, and the completion script.

import (
	"slices"
	"strings"
	"testing"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// Completion of TYPE/NAME offers every kind the picker knows, by short
// and long name; an empty word offers the subcommands (cobra's) first.
func pickCompletionKinds(t *testing.T, f *framework.F, p pickEnvs) {
	ns := func(word string) []string { return []string{"-n", p.fk.Namespace, word} }
	wantCompletions(t, f, []completes{
		{ns("deploy/"), []string{"deploy/web"}},
		{ns("deployment/w"), []string{"deployment/web"}},
		{ns("sts/"), []string{"sts/db"}},
		{ns("ds/"), []string{"ds/agent"}},
		{ns("job/"), []string{"job/migrate"}},
		{ns("cj/"), []string{"cj/nightly"}},
		{ns("pod/"), []string{"pod/solo"}},
		{ns("d"), []string{"deploy/", "ds/", "db"}},
		{ns(""), []string{"attach", "completion", "cp", "end", "gc", "help", "presets", "replay", "sessions", "version",
			"deploy/", "sts/", "ds/", "cj/", "job/", "pod/", "svc/", "agent", "db", "migrate", "nightly", "solo", "web"}},
	})
}

// Completion inside an environment: its services and their containers,
// and the environments themselves.
func pickCompletionEnvironments(t *testing.T, f *framework.F, p pickEnvs) {
	env := []string{"--env-label", p.key, "--env", p.envB}
	wantCompletions(t, f, []completes{
		{append(env, "deploy/"), []string{"deploy/app", "deploy/other"}},
		{append(env, "--service", "deploy/o"), []string{"deploy/other"}},
		{append(env, "deploy/app", "-c", ""), []string{"first", "second"}},
	})
	// Newest first, and alpha and beta may share their creation second:
	// the order is TestEnvPick's, with creation times it sets.
	if got := framework.Values(f.Complete("--env-label", p.key, "--env", "")); !slices.Equal(slices.Sorted(slices.Values(got)), []string{p.envA, p.envB}) {
		t.Errorf("__complete --env '' = %q, want %q in either order", got, []string{p.envA, p.envB})
	}
}

// Completion of flag values: modes, presets, profiles, namespaces.
func pickCompletionFlags(t *testing.T, f *framework.F, p pickEnvs) {
	wantCompletions(t, f, []completes{
		{[]string{"--mode", ""}, []string{"clone", "debug", "exec"}},
		{[]string{"--preset", ""}, []string{"django", "node", "rails", "shell"}},
		{[]string{"--profile", "re"}, []string{"restricted"}},
		{[]string{"-n", p.fk.Namespace}, []string{p.fk.Namespace}},
	})
	if got := framework.Values(f.Complete("--namespace", "kube-")); !slices.Contains(got, "kube-system") || slices.Contains(got, "default") {
		t.Errorf("--namespace kube-: %q", got)
	}
}

// The completion script and its help.
func pickCompletionScript(t *testing.T, f *framework.F, _ pickEnvs) {
	r := f.Run(f.Cmd(f.Plugin, "completion", "bash"), "")
	if r.Code != 0 || !strings.Contains(r.Stdout, "__start_kubectl-eshell") || !strings.Contains(r.Stdout, "__complete") {
		t.Errorf("completion bash: exit %d, %.300s", r.Code, r.Stdout)
	}
	r = f.Run(f.Cmd(f.Plugin, "completion", "--help"), "")
	if r.Code != 0 || !strings.Contains(r.Stdout, "kubectl eshell completion [command]") || !strings.Contains(r.Stdout, "kubectl_complete-eshell") {
		t.Errorf("completion --help: %+v", r)
	}
}
