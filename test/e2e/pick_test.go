package e2e

// Interactive picking end to end: `kubectl eshell` without arguments asks
// for the environment, the service and the container on a terminal; every
// answer has a flag for scripts; presets choose the console; completion
// reads the live cluster.

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// pkApp is a Deployment of two containers that say which they are.
const pkApp = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: first, image: busybox:1.37, command: [sleep, infinity], env: [{name: WHICH, value: first}]}
      - {name: second, image: busybox:1.37, command: [sleep, infinity], env: [{name: WHICH, value: second}]}
`

// pkOther is a second service whose annotation selects the django preset.
const pkOther = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: other
  annotations: {eshell.kubectl.io/preset: django}
spec:
  replicas: 0
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
    spec:
      containers:
      - {name: other, image: busybox:1.37, command: [sleep, infinity]}
`

// pkKinds has one object of every kind completion offers; none of them
// needs to run.
var pkKinds = idleWeb(`containers: [{name: web, image: busybox:1.37}]`) + `---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 0
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: busybox:1.37}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {e2e.eshell/no-such-node: "true"}
      containers: [{name: agent, image: busybox:1.37}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: busybox:1.37}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 0 * * *"
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: nightly, image: busybox:1.37}]
---
apiVersion: v1
kind: Pod
metadata: {name: solo}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: solo, image: busybox:1.37, command: [sleep, infinity]}]
`

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

func TestPick(t *testing.T) {
	t.Parallel()
	fa := framework.New(t) // environment alpha: deploy/app only
	fb := framework.New(t) // environment beta: deploy/app and deploy/other
	fk := framework.New(t) // no environment: one object of every kind
	rnd := framework.RandSuffix()
	key := "e2e.eshell/env-" + rnd // this test's own environment label
	envA, envB := "alpha-"+rnd, "beta-"+rnd
	asEnvironment(fa, map[string]string{key: envA}, map[string]string{
		"status.envs.sberz.de/deployed": "true",
		"status.envs.sberz.de/migrated": "pending", // a failed check hides it (see TestEnvPick)
		"url.envs.sberz.de/web":         "http://web.alpha.example.test",
	})
	asEnvironment(fb, map[string]string{key: envB}, nil)
	fa.Apply(pkApp)
	fb.Apply(pkApp + "---" + pkOther)
	fk.Apply(pkKinds)
	fa.Rollout("deploy/app")
	fb.Rollout("deploy/app")
	podA, podB := podOf(fa, "app"), podOf(fb, "app")

	// plugin runs the plugin without -n, as the admin, with no terminal.
	plugin := func(f *framework.F, env []string, args ...string) framework.Result {
		f.T.Helper()
		cmd := f.Cmd(f.Plugin, append([]string{"--env-label", key}, args...)...)
		cmd.Env = append(cmd.Env, env...)
		return f.Run(cmd, "")
	}
	sub := func(t *testing.T) *framework.F { return fa.Sub(t) }

	t.Run("Terminal", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		term := f.PtyCmd(f.Cmd(f.Plugin, "--env-label", key, "--mode", "exec"))
		// Both environments, by name, with alpha's checks and URL.
		term.Expect(`Which environment\?`, 20*time.Second)
		term.Expect(regexp.QuoteMeta(envA)+` +`+regexp.QuoteMeta(fa.Namespace)+` +\d+[sm](?:\d+s)? +deployed ✓ migrated=pending +web=http://web\.alpha\.example\.test`, 5*time.Second)
		term.Expect(regexp.QuoteMeta(envB)+` +`+regexp.QuoteMeta(fb.Namespace), 5*time.Second)
		term.Type(envB + "\r") // type to filter, Enter
		term.Expect(`Which service in namespace `+regexp.QuoteMeta(fb.Namespace)+`\?`, 20*time.Second)
		term.Expect(`deploy/app +Deployment +1/1 +\d+[sm](?:\d+s)?`, 5*time.Second)
		term.Expect(`deploy/other +Deployment +0/0`, 5*time.Second)
		term.Type("app\r")
		term.Expect(`Which container of deploy/app\?`, 20*time.Second)
		term.Expect(`second +busybox:1\.37`, 5*time.Second)
		term.Type("\x1b[B\r") // arrow down to "second", Enter
		term.Expect(framework.Prompt, 20*time.Second)
		term.Type("echo picked-$HOSTNAME-$WHICH; exit 0\r")
		term.Expect(`(?m)^picked-`+regexp.QuoteMeta(podB)+`-second\r?$`, 10*time.Second)
		if code := term.Wait(15 * time.Second); code != 0 {
			t.Fatalf("exit code %d, want 0", code)
		}
	})

	t.Run("Flags", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		r := plugin(f, nil, "--env", envB, "--service", "deploy/app", "-c", "second", "--mode", "exec", "--", "sh", "-c", "echo flags-$HOSTNAME-$WHICH")
		r.Want(t, 0, "flags-"+podB+"-second\n")
		// The TYPE/NAME argument works the same with --env.
		r = plugin(f, nil, "--env", envB, "deploy/app", "--mode", "exec", "--", "sh", "-c", "echo arg-$HOSTNAME")
		r.Want(t, 0, "arg-"+podB+"\n")
		// alpha has one service: taken without asking, and said.
		r = plugin(f, nil, "--env", envA, "--mode", "exec", "--", "sh", "-c", "echo auto-$HOSTNAME-$WHICH")
		r.Want(t, 0, "auto-"+podA+"-first\n")
		if !strings.Contains(r.Stderr, "Using service deploy/app") {
			t.Errorf("the automatic choice was not said: %s", r.Stderr)
		}
		r = plugin(f, nil, "--env", "no-such-env-"+rnd, "--mode", "exec", "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, `no environment "no-such-env-`+rnd+`"`) || !strings.Contains(r.Stderr, envA) || !strings.Contains(r.Stderr, envB) {
			t.Errorf("unknown --env: %+v", r)
		}
	})

	t.Run("NoTerminalListsChoices", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		r := plugin(f, nil, "--mode", "exec", "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, "error: which environment? There is no terminal to ask on, so choose it with --env NAME") ||
			!regexp.MustCompile(`\n  `+regexp.QuoteMeta(envA)+` +`+regexp.QuoteMeta(fa.Namespace)).MatchString(r.Stderr) ||
			!regexp.MustCompile(`\n  `+regexp.QuoteMeta(envB)+` +`+regexp.QuoteMeta(fb.Namespace)).MatchString(r.Stderr) {
			t.Errorf("no environment chosen: %+v", r)
		}
		r = plugin(f, nil, "--env", envB, "--mode", "exec", "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, "error: which service? There is no terminal to ask on, so choose it with TYPE/NAME or --service TYPE/NAME") ||
			!strings.Contains(r.Stderr, "\n  deploy/app ") || !strings.Contains(r.Stderr, "\n  deploy/other ") {
			t.Errorf("no service chosen: %+v", r)
		}
	})

	// One row per kind, from the API server's Tables: the ready column in
	// kubectl get's words, and the age.
	t.Run("EveryKindsRow", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		r := plugin(f, nil, "-n", fk.Namespace, "--mode", "exec", "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, "error: which service? There is no terminal to ask on") {
			t.Fatalf("no service question: %+v", r)
		}
		age := ` +\d+[sm]\d*s?\n`
		for _, re := range []string{
			`\n  deploy/web +Deployment +0/0` + age,
			`\n  sts/db +StatefulSet +0/0` + age,
			`\n  ds/agent +DaemonSet +0/0` + age,
			`\n  cj/nightly +CronJob +0 active suspended` + age,
			`\n  job/migrate +Job +(Suspended|Running) 0/1` + age,
			`\n  pod/solo +Pod +(1/1|0/1 [A-Za-z]+)` + age,
		} {
			if !regexp.MustCompile(re).MatchString(r.Stderr + "\n") {
				t.Errorf("no row matching %s:\n%s", re, r.Stderr)
			}
		}
		if n := strings.Count(r.Stderr, "\n  "); n != 6 {
			t.Errorf("%d rows, want 6:\n%s", n, r.Stderr)
		}
	})

	// "newcomer" may not list namespaces: the picker keeps the kubeconfig's
	// namespace, without an error, and goes on to the services there.
	t.Run("CannotListNamespaces", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		f.Apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: dev-pick}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
- {apiGroups: [""], resources: [pods/exec], verbs: [get, create]}
- {apiGroups: [apps], resources: [deployments], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-pick}
subjects: [{kind: User, name: newcomer, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: dev-pick, apiGroup: rbac.authorization.k8s.io}
`)
		// newcomer's kubeconfig, with alpha's namespace as its current one.
		cfg, err := clientcmd.LoadFromFile(f.NewcomerKubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Contexts[cfg.CurrentContext].Namespace = fa.Namespace
		devKubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
		if err := clientcmd.WriteToFile(*cfg, devKubeconfig); err != nil {
			t.Fatal(err)
		}
		f.Eventually("the dev Role to apply", 10*time.Second, func() bool {
			cmd := f.Cmd(f.Env.Kubectl, "get", "deploy/app")
			cmd.Env = append(cmd.Env, "KUBECONFIG="+devKubeconfig)
			return cmd.Run() == nil
		})
		cmd := f.Cmd(f.Env.Kubectl, "get", "namespaces")
		cmd.Env = append(cmd.Env, "KUBECONFIG="+devKubeconfig)
		if cmd.Run() == nil {
			t.Fatal("newcomer may list namespaces; this test needs a user who may not")
		}
		r := plugin(f, []string{"KUBECONFIG=" + devKubeconfig}, "--mode", "exec", "--no-audit", "--", "sh", "-c", "echo dev-$HOSTNAME")
		r.Want(t, 0, "dev-"+podA+"\n")
		if !strings.Contains(r.Stderr, "Using service deploy/app") {
			t.Errorf("the service was not picked from the current namespace: %s", r.Stderr)
		}
		if strings.Contains(strings.ToLower(r.Stderr), "forbidden") || strings.Contains(r.Stderr, "error") || strings.Contains(r.Stderr, "warning") {
			t.Errorf("a user who may not list namespaces or other kinds got complaints: %s", r.Stderr)
		}
	})

	t.Run("Presets", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		// command is the clone's command line, which --dry-run=client says
		// beside the Job (it travels in the exec request, in no object).
		command := func(r framework.Result) string {
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
		// --record-command: the dry run says the whole command line, as
		// it would record it, rather than the program and a count.
		dry := []string{"--dry-run=client", "-o", "yaml", "--record-command"}

		// Embedded.
		cmdline := command(plugin(f, nil, append([]string{"--env", envA, "--service", "deploy/app", "--preset", "node"}, dry...)...))
		if !strings.Contains(cmdline, "exec node") {
			t.Errorf("--preset node: %s", cmdline)
		}
		cmdline = command(plugin(f, nil, append([]string{"--env", envA, "--service", "deploy/app"}, dry...)...))
		if strings.Contains(cmdline, "exec node") || strings.Contains(cmdline, "preset") {
			t.Errorf("no preset, yet a preset's script: %s", cmdline)
		}
		// Selected by the workload's annotation.
		r := plugin(f, nil, append([]string{"--env", envB, "--service", "deploy/other"}, dry...)...)
		if cmdline := command(r); !strings.Contains(cmdline, "manage.py shell") {
			t.Errorf("annotation django: %s", cmdline)
		}
		if !strings.Contains(r.Stderr, "Using preset django (from the annotation eshell.kubectl.io/preset of deploy/other)") {
			t.Errorf("the annotation's preset was not said: %s", r.Stderr)
		}

		// User-defined, run for real.
		xdg, _ := pkPresetDir(t, map[string]string{"mine.yaml": `apiVersion: eshell.kubectl.io/v1alpha1
kind: Preset
name: mine
description: prints where it runs
mode: exec
commands:
- [no-such-program-here]
- [sh, -c, 'echo user-preset-$HOSTNAME']
`})
		r = plugin(f, []string{"XDG_CONFIG_HOME=" + xdg}, "--env", envA, "--service", "deploy/app", "--preset", "mine")
		r.Want(t, 0, "user-preset-"+podA+"\n") // the preset's mode exec: in the running pod, not a clone

		presets := func(xdg string) framework.Result {
			cmd := f.Cmd(f.Plugin, "presets")
			cmd.Env = append(cmd.Env, "XDG_CONFIG_HOME="+xdg)
			return f.Run(cmd, "")
		}
		r = presets(xdg)
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

		// A broken file stops eshell, naming file and line.
		xdg, dir := pkPresetDir(t, map[string]string{"broken.yaml": "apiVersion: eshell.kubectl.io/v1alpha1\nkind: Preset\nname: broken\nmode: sideways\n"})
		for _, r := range []framework.Result{
			plugin(f, []string{"XDG_CONFIG_HOME=" + xdg}, append([]string{"--env", envA, "--service", "deploy/app"}, dry...)...),
			presets(xdg),
		} {
			if r.Code != 1 || !strings.Contains(r.Stderr, filepath.Join(dir, "broken.yaml")+":4") || !strings.Contains(r.Stderr, "sideways") {
				t.Errorf("broken preset file: %+v", r)
			}
		}
	})

	t.Run("Completion", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		complete := func(args ...string) []string {
			t.Helper()
			return framework.Values(f.Complete(args...))
		}
		want := func(args []string, expect ...string) {
			t.Helper()
			got := complete(args...)
			if !slices.Equal(got, expect) {
				t.Errorf("__complete %q = %q, want %q", args, got, expect)
			}
		}
		ns := []string{"-n", fk.Namespace}
		want(append(ns, "deploy/"), "deploy/web")
		want(append(ns, "deployment/w"), "deployment/web")
		want(append(ns, "sts/"), "sts/db")
		want(append(ns, "ds/"), "ds/agent")
		want(append(ns, "job/"), "job/migrate")
		want(append(ns, "cj/"), "cj/nightly")
		want(append(ns, "pod/"), "pod/solo")
		want(append(ns, "d"), "deploy/", "ds/", "db")
		// The subcommands come first (cobra's), then kinds and names.
		want(append(ns, ""), "attach", "completion", "cp", "end", "gc", "help", "presets", "replay", "sessions", "version",
			"deploy/", "sts/", "ds/", "cj/", "job/", "pod/", "svc/", "agent", "db", "migrate", "nightly", "solo", "web")
		want([]string{"--env-label", key, "--env", envB, "deploy/"}, "deploy/app", "deploy/other")
		want([]string{"--env-label", key, "--env", envB, "--service", "deploy/o"}, "deploy/other")
		want([]string{"--env-label", key, "--env", envB, "deploy/app", "-c", ""}, "first", "second")
		// Newest first, and alpha and beta may share their creation second:
		// the order is TestEnvPick's, with creation times it sets.
		if got := complete("--env-label", key, "--env", ""); !slices.Equal(slices.Sorted(slices.Values(got)), []string{envA, envB}) {
			t.Errorf("__complete --env '' = %q, want %q in either order", got, []string{envA, envB})
		}
		want([]string{"--mode", ""}, "clone", "debug", "exec")
		want([]string{"--preset", ""}, "django", "node", "rails", "shell")
		want([]string{"--profile", "re"}, "restricted")
		want([]string{"-n", fk.Namespace}, fk.Namespace)
		if got := complete("--namespace", "kube-"); !slices.Contains(got, "kube-system") || slices.Contains(got, "default") {
			t.Errorf("--namespace kube-: %q", got)
		}

		r := f.Run(f.Cmd(f.Plugin, "completion", "bash"), "")
		if r.Code != 0 || !strings.Contains(r.Stdout, "__start_kubectl-eshell") || !strings.Contains(r.Stdout, "__complete") {
			t.Errorf("completion bash: exit %d, %.300s", r.Code, r.Stdout)
		}
		r = f.Run(f.Cmd(f.Plugin, "completion", "--help"), "")
		if r.Code != 0 || !strings.Contains(r.Stdout, "kubectl eshell completion [command]") || !strings.Contains(r.Stdout, "kubectl_complete-eshell") {
			t.Errorf("completion --help: %+v", r)
		}
	})
}
