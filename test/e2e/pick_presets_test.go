package e2e

// TestPick's cases about presets: embedded, chosen by annotation,
// user-defined, and a broken preset file.

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// pkPresetDir writes preset files into a fresh config directory and returns
// the XDG_CONFIG_HOME to point at it.
func pkPresetDir(t *testing.T, files map[string]string) (xdg, dir string) {
	t.Helper()
	xdg = t.TempDir()
	dir = filepath.Join(xdg, "kubectl-eshell", "plugins")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return xdg, dir
}

// presetCommand is the clone's command line, which --dry-run=client says
// beside the Job (it travels in the exec request, in no object).
func presetCommand(t *testing.T, r framework.Result) string {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("dry run failed: %+v", r)
	}
	var job batchv1.Job
	if err := yaml.Unmarshal([]byte(r.Stdout), &job); err != nil || job.Kind != "Job" {
		t.Fatalf("dry run printed no Job: %v\n%s", err, r.Stdout)
	}
	_, line, ok := strings.Cut(r.Stderr, "Would run through exec in container ")
	if !ok {
		t.Fatalf("dry run did not say the command: %s", r.Stderr)
	}
	return line // the last thing said; a preset's script spans lines
}

// presetDryRun: with --record-command the dry run says the whole command
// line, as it would record it, rather than the program and a count.
var presetDryRun = []string{"--dry-run=client", "-o", "yaml", "--record-command"}

// presetsList runs `presets` with the configuration in xdg.
func presetsList(f *framework.F, xdg string) framework.Result {
	f.T.Helper()
	cmd := f.Cmd(f.Plugin, "presets")
	cmd.Env = append(cmd.Env, "XDG_CONFIG_HOME="+xdg)
	return f.Run(cmd, "")
}

// Embedded presets: by flag, none without one, and by the workload's
// annotation.
func pickPresetsBuiltin(t *testing.T, f *framework.F, p pickEnvs) {
	cmdline := presetCommand(t, p.plugin(f, nil, append([]string{"--env", p.envA, "--service", "deploy/app", "--preset", "node"}, presetDryRun...)...))
	if !strings.Contains(cmdline, "exec node") {
		t.Errorf("--preset node: %s", cmdline)
	}
	cmdline = presetCommand(t, p.plugin(f, nil, append([]string{"--env", p.envA, "--service", "deploy/app"}, presetDryRun...)...))
	if strings.Contains(cmdline, "exec node") || strings.Contains(cmdline, "preset") {
		t.Errorf("no preset, yet a preset's script: %s", cmdline)
	}
	// Selected by the workload's annotation.
	r := p.plugin(f, nil, append([]string{"--env", p.envB, "--service", "deploy/other"}, presetDryRun...)...)
	if cmdline := presetCommand(t, r); !strings.Contains(cmdline, "manage.py shell") {
		t.Errorf("annotation django: %s", cmdline)
	}
	if !strings.Contains(r.Stderr, "Using preset django (from the annotation eshell.kubectl.io/preset of deploy/other)") {
		t.Errorf("the annotation's preset was not said: %s", r.Stderr)
	}
}

// A user-defined preset runs for real, and `presets` lists it beside the
// embedded ones.
func pickPresetsUserDefined(t *testing.T, f *framework.F, p pickEnvs) {
	xdg, _ := pkPresetDir(t, map[string]string{"mine.yaml": `apiVersion: eshell.kubectl.io/v1alpha1
kind: Preset
name: mine
description: prints where it runs
mode: exec
commands:
- [no-such-program-here]
- [sh, -c, 'echo user-preset-$HOSTNAME']
`})
	r := p.plugin(f, []string{"XDG_CONFIG_HOME=" + xdg}, "--env", p.envA, "--service", "deploy/app", "--preset", "mine")
	r.Want(t, 0, "user-preset-"+p.podA+"\n") // the preset's mode exec: in the running pod, not a clone

	r = presetsList(f, xdg)
	lines := strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")
	if r.Code != 0 || len(lines) != 6 || !regexp.MustCompile(`^NAME +SOURCE +MODE +COMMANDS$`).MatchString(lines[0]) {
		t.Fatalf("presets: %+v", r)
	}
	for _, re := range []string{
		`^django +builtin +- +python manage\.py shell_plus \(if .+\), else python manage\.py shell$`,
		`^mine +` + regexp.QuoteMeta(filepath.Join(xdg, "kubectl-eshell", "plugins", "mine.yaml")) + ` +exec +no-such-program-here, else sh -c 'echo user-preset-\$HOSTNAME'$`,
		`^node +builtin +- +node$`,
		`^rails +builtin +- +bin/rails console, else bundle exec rails console$`,
		`^shell +builtin +- +\(the container's shell\)$`,
	} {
		if !slices.ContainsFunc(lines, regexp.MustCompile(re).MatchString) {
			t.Errorf("presets shows no line matching %s:\n%s", re, r.Stdout)
		}
	}
}

// A broken preset file stops eshell, naming file and line.
func pickPresetsBrokenFile(t *testing.T, f *framework.F, p pickEnvs) {
	xdg, dir := pkPresetDir(t, map[string]string{"broken.yaml": "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\nname: broken\nmode: sideways\n"})
	for _, r := range []framework.Result{
		p.plugin(f, []string{"XDG_CONFIG_HOME=" + xdg}, append([]string{"--env", p.envA, "--service", "deploy/app"}, presetDryRun...)...),
		presetsList(f, xdg),
	} {
		if r.Code != 1 || !strings.Contains(r.Stderr, filepath.Join(dir, "broken.yaml")+":4") || !strings.Contains(r.Stderr, "sideways") {
			t.Errorf("broken preset file: %+v", r)
		}
	}
}
