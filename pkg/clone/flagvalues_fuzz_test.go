package clone

import (
	"strings"
	"testing"

	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// oneLine fails t when a parser's refusal spans lines or quotes a value.
func oneLine(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Fatalf("%s: refusal is not one line: %q", what, err)
	}
}

// An env file: no panic, one line per refusal, and a refusal never quotes
// a value (the file's values are secrets).
func FuzzParseEnvFile(f *testing.F) {
	f.Add([]byte("# db\nPGPASSWORD=hunter2\n\n  USER=app\r\n"))
	f.Add([]byte("NO_EQUALS_hunter2\n"))
	f.Add([]byte("BAD NAME=hunter2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseEnvFile("vars.env", data)
		oneLine(t, "ParseEnvFile", err)
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("refusal quotes a value: %q", err)
		}
		for _, v := range vars {
			if v.Name == "" || strings.ContainsAny(v.Name, "=\n") {
				t.Fatalf("variable %q from %q", v.Name, data)
			}
		}
	})
}

// The values of --set-env, --set-image, --requests and --limits: no
// panic, one line per refusal.
func FuzzOverrideFlags(f *testing.F) {
	for _, s := range []string{"FOO=bar", "=x", "web=busybox:1.37", "cpu=500m,memory=256Mi", "cpu=-1", "memory=1e100000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var env []plan.EnvOverride
		err := EnvFlag{List: &env}.Set(s)
		oneLine(t, "--set-env", err)
		// The refusal's own words, which any input may happen to match.
		words := EnvFlag{List: &env}.Set("").Error()
		if err != nil && len(s) >= 4 && !strings.Contains(s, "=") && strings.Contains(err.Error(), s) && !strings.Contains(words, s) {
			t.Fatalf("--set-env %q: the refusal quotes what may be a value: %q", s, err)
		}
		var images []plan.ImageOverride
		oneLine(t, "--set-image", ImagesFlag{List: &images}.Set(s))
		_, err = ParseResources(s)
		oneLine(t, "--requests", err)
	})
}
