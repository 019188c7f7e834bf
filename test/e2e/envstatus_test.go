package e2e

// --env-status end to end: the picker and --env completion show the
// environments whose status checks match the filter, in place of hiding
// failing ones; a filter that hides every one says so and how to see them.

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

func TestEnvStatusFilter(t *testing.T) {
	t.Parallel()
	rnd := framework.RandSuffix()
	key := "e2e.eshell/envstatus-" + rnd
	check := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[keys.EnvStatusAnnotationPrefix+kv[i]] = kv[i+1]
		}
		return m
	}
	fReady, fQuiet, fMoving, fDown := framework.New(t), framework.New(t), framework.New(t), framework.New(t)
	ready, quiet, moving, down := "ready-"+rnd, "quiet-"+rnd, "moving-"+rnd, "down-"+rnd
	// ready fails migrating=false, which the default would hide; quiet has
	// no migrating check at all.
	asEnvironment(fReady, map[string]string{key: ready}, check("deployed", "true", "migrating", "false"))
	asEnvironment(fQuiet, map[string]string{key: quiet}, check("deployed", "true"))
	asEnvironment(fMoving, map[string]string{key: moving}, check("deployed", "true", "migrating", "true"))
	asEnvironment(fDown, map[string]string{key: down}, check("deployed", "false"))
	plugin := func(f *framework.F, args ...string) framework.Result {
		f.T.Helper()
		return f.Run(f.Cmd(f.Plugin, append([]string{"--env-label", key}, args...)...), "")
	}
	listed := func(r framework.Result) []string {
		var out []string
		for _, l := range strings.Split(r.Stderr, "\n") {
			if strings.HasPrefix(l, "  ") {
				out = append(out, strings.Fields(l)[0])
			}
		}
		slices.Sort(out)
		return out
	}

	t.Run("Picker", func(t *testing.T) {
		t.Parallel()
		f := fReady.Sub(t)
		r := plugin(f, "--env-status", "deployed,!migrating", "--mode", "exec", "--", "true")
		if got := listed(r); r.Code != 1 || !slices.Equal(got, []string{quiet, ready}) ||
			!strings.Contains(r.Stderr, "\nHidden: 2 environments not matching --env-status deployed,!migrating (--all-envs lists them all).") {
			t.Errorf("listed %q; want %s and %s, and the 2 hidden said: %+v", got, ready, quiet, r)
		}
		// The config's envStatus does the same; the flag wins over it.
		cfg := t.TempDir() + "/config.yaml"
		if err := os.WriteFile(cfg, []byte("envStatus: '!deployed'\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r = plugin(f, "--config", cfg, "--mode", "exec", "--", "true")
		if got := listed(r); r.Code != 1 || !slices.Equal(got, []string{down}) || !strings.Contains(r.Stderr, "\nHidden: 3 environments not matching --env-status !deployed") {
			t.Errorf("envStatus '!deployed' should leave only %s: %+v", down, r)
		}
	})

	t.Run("HidesEveryOne", func(t *testing.T) {
		t.Parallel()
		f := fReady.Sub(t)
		r := plugin(f, "--env-status", "seeded", "--mode", "exec", "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, "error: no environment matches --env-status seeded: it hides all 4 (") ||
			!strings.Contains(r.Stderr, "pass --all-envs to list them all, or another --env-status") {
			t.Errorf("a filter matching nothing: %+v", r)
		}
		r = plugin(f, "--env-status", "deployed,,x", "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, `error: --env-status: status filter "deployed,,x": term "" is not a check name`) {
			t.Errorf("a malformed filter: %+v", r)
		}
	})

	t.Run("Completion", func(t *testing.T) {
		t.Parallel()
		f := fReady.Sub(t)
		got := framework.Values(f.Complete("--env-label", key, "--env-status", "deployed,!migrating", "--env", ""))
		slices.Sort(got)
		if !slices.Equal(got, []string{quiet, ready}) {
			t.Errorf("--env completions %q, want %s and %s", got, ready, quiet)
		}
	})
}
