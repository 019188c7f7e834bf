package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/resolve"
)

// kubeconfig writes a kubeconfig pointing at an address nothing listens on:
// the request is settled without the cluster, so it is testable offline.
func kubeconfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	err := os.WriteFile(p, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]
current-context: x
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOptionsComplete(t *testing.T) {
	kc := kubeconfig(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, r resolve.Request)
		wantErr string
	}{
		{name: "defaults", args: []string{"deploy/web"}, check: func(t *testing.T, r resolve.Request) {
			b := r.Base
			if b.Mode != "clone" || b.Namespace != "shop" || b.Timeouts != (plan.Timeouts{MaxDuration: 2 * time.Hour, PodRunningTimeout: 2 * time.Minute, IdleTimeout: 30 * time.Minute, HeartbeatTimeout: 20 * time.Second}) || b.Image != "busybox:1.37" {
				t.Errorf("defaults not applied: mode=%s ns=%s limits=%+v image=%s", b.Mode, b.Namespace, b.Timeouts, b.Image)
			}
			if !b.Stdin || b.TTY {
				t.Errorf("without a terminal: stdin=%v tty=%v, want stdin on and no tty", b.Stdin, b.TTY)
			}
			if r.ModeGiven || r.ImageGiven || r.NamespaceGiven || len(b.SessionID) != 5 {
				t.Errorf("nothing was given: %+v", r)
			}
		}},
		{name: "command after dash", args: []string{"deploy/web", "--", "python", "manage.py", "shell_plus"}, check: func(t *testing.T, r resolve.Request) {
			if strings.Join(r.Base.Command, " ") != "python manage.py shell_plus" || r.Target.String() != "deploy/web" {
				t.Errorf("command = %q target = %s", r.Base.Command, r.Target)
			}
		}},
		{name: "command flag", args: []string{"deploy/web", "--command", "python,manage.py,shell_plus"}, check: func(t *testing.T, r resolve.Request) {
			if strings.Join(r.Base.Command, " ") != "python manage.py shell_plus" {
				t.Errorf("command = %q", r.Base.Command)
			}
		}},
		{name: "namespace flag wins", args: []string{"-n", "env-pr-42", "web", "--mode", "exec", "--image", "tools:1"}, check: func(t *testing.T, r resolve.Request) {
			if r.Base.Namespace != "env-pr-42" || r.Base.Mode != "exec" || !r.NamespaceGiven || !r.ModeGiven || r.Base.Image != "tools:1" || !r.ImageGiven {
				t.Errorf("ns=%s mode=%s image=%s: %+v", r.Base.Namespace, r.Base.Mode, r.Base.Image, r)
			}
		}},
		{name: "stdin off", args: []string{"web", "-i=false"}, check: func(t *testing.T, r resolve.Request) {
			if r.Base.Stdin {
				t.Error("-i=false ignored")
			}
		}},
		{name: "both command forms", args: []string{"web", "--command", "ls", "--", "ls"}, wantErr: "either after -- or with --command"},
		{name: "two targets", args: []string{"web", "api"}, wantErr: "too many arguments"},
		{name: "bad mode", args: []string{"web", "--mode", "ssh"}, wantErr: "ssh"},
		{name: "bad type", args: []string{"cm/web"}, wantErr: `unknown resource type "cm"`},
		{name: "tty without terminal", args: []string{"web", "-t"}, wantErr: "-t needs a terminal"},
		{name: "bad dry-run", args: []string{"web", "--dry-run=yes"}, wantErr: "use --dry-run=client"},
		{name: "server dry-run", args: []string{"web", "--dry-run=server", "--keep"}, check: func(t *testing.T, r resolve.Request) {
			if !r.Base.DryRun || !r.Base.ServerDryRun || !slices.ContainsFunc(r.Base.Given, func(f plan.GivenFlag) bool { return f.Name == "keep" }) {
				t.Errorf("dry run %v server %v given %q", r.Base.DryRun, r.Base.ServerDryRun, r.Base.Given)
			}
		}},
		{name: "bare dry-run is client", args: []string{"deploy/web", "--dry-run", "--", "echo", "hi"}, check: func(t *testing.T, r resolve.Request) {
			if !r.Base.DryRun || r.Base.ServerDryRun || strings.Join(r.Base.Command, " ") != "echo hi" || r.Target.String() != "deploy/web" {
				t.Errorf("dry run %v server %v command %q target %s", r.Base.DryRun, r.Base.ServerDryRun, r.Base.Command, r.Target)
			}
		}},
		{name: "record the command", args: []string{"web", "--record-command"}, check: func(t *testing.T, r resolve.Request) {
			if !r.Base.RecordCommand {
				t.Error("--record-command not in the plan")
			}
		}},
		{name: "zero wait", args: []string{"web", "--pod-running-timeout=0s"}, wantErr: "--pod-running-timeout 0s is too short"},
		{name: "heartbeat too short", args: []string{"web", "--heartbeat-timeout=2s"}, wantErr: "--heartbeat-timeout 2s is too short: use a duration from 10s to 10m0s"},
		{name: "bad profile", args: []string{"web", "--profile", "root"}, wantErr: `unknown profile "root"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := run(t, append([]string{"--kubeconfig", kc}, tt.args...))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

// Each flag of one mode or two, as its registration marks it, is refused
// in the other modes, in words that say which modes it applies to.
func TestFlagsOfOtherModesAreRefused(t *testing.T) {
	kc := kubeconfig(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	envFile, customFile := filepath.Join(dir, "vars.env"), filepath.Join(dir, "custom.yaml")
	if err := os.WriteFile(envFile, []byte("A=b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(customFile, []byte("env: [{name: A, value: b}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--image", "tools:1"}, "--image applies to --mode debug only, and this session runs in --mode clone: drop it, or pass --mode debug"},
		{[]string{"--mode", "exec", "--profile", "general"}, "--profile applies to --mode debug only"},
		{[]string{"--reuse"}, "--reuse applies to --mode debug only"},
		{[]string{"--mode", "debug", "--keep"}, "--keep applies to --mode clone only, and this session runs in --mode debug"},
		{[]string{"--mode", "exec", "--with-pvc"}, "--with-pvc applies to --mode clone only"},
		{[]string{"--mode", "exec", "--no-sidecars"}, "--no-sidecars applies to --mode clone only"},
		{[]string{"--pod", "web-1"}, "--pod applies to --mode exec and --mode debug only, and this session runs in --mode clone: to clone a pod, give it as pod/NAME"},
		{[]string{"--mode", "exec", "--pod", "web-1"}, ""},
		{[]string{"--mode", "debug", "--image", "tools:1", "--profile", "general", "--reuse", "--pod", "web-1"}, ""},
		{[]string{"--keep", "--with-pvc", "--max-duration", "1h"}, ""},
		{[]string{"--mode", "exec", "--set-env", "A=b"}, "--set-env applies to --mode clone only, and this session runs in --mode exec"},
		{[]string{"--mode", "debug", "--set-image", "tools:1"}, "--set-image applies to --mode clone only"},
		{[]string{"--mode", "debug", "--set-env-file", envFile}, "--set-env-file applies to --mode clone only"},
		{[]string{"--mode", "exec", "--requests", "cpu=1"}, "--requests applies to --mode clone only"},
		{[]string{"--mode", "debug", "--limits", "cpu=1"}, "--limits applies to --mode clone only"},
		{[]string{"--set-image", "tools:1", "--set-env", "A=b", "--set-env-file", envFile, "--requests", "cpu=1", "--limits", "cpu=1", "--static-shell", "--keep-priority", "--no-network-policies", "--keep-init-containers"}, ""},
		{[]string{"--mode", "exec", "--custom", customFile}, "--custom applies to --mode debug and --mode clone only"},
		{[]string{"--mode", "exec", "--run-as", "root"}, "--run-as applies to --mode debug and --mode clone only"},
		{[]string{"--all-pods", "--", "uptime"}, "--all-pods applies to --mode exec and --mode debug only"},
		{[]string{"--max-parallel", "2"}, "--max-parallel applies to --mode exec and --mode debug only"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r, err := run(t, append([]string{"--kubeconfig", kc, "web"}, tt.args...))
			if err == nil {
				err = r.Base.CheckFlags()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestConfigFileAndFlags(t *testing.T) {
	kc := kubeconfig(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("mode: exec\nmaxDuration: 15m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := run(t, []string{"--kubeconfig", kc, "--config", cfg, "web"})
	if err != nil || r.Base.Mode != "exec" || r.Base.Timeouts.MaxDuration != 15*time.Minute {
		t.Fatalf("config file not applied: %v mode=%s max=%s", err, r.Base.Mode, r.Base.Timeouts.MaxDuration)
	}
	r, err = run(t, []string{"--kubeconfig", kc, "--config", cfg, "web", "--mode", "clone", "--max-duration", "1h"})
	if err != nil || r.Base.Mode != "clone" || r.Base.Timeouts.MaxDuration != time.Hour {
		t.Fatalf("flags must win over the config file: %v mode=%s max=%s", err, r.Base.Mode, r.Base.Timeouts.MaxDuration)
	}
	if err := os.WriteFile(cfg, []byte("mode: exec\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err = run(t, []string{"--kubeconfig", kc, "--config", cfg, "web"}); err == nil || !strings.Contains(err.Error(), "config.yaml:2") {
		t.Fatalf("a broken config file must name file and line, got %v", err)
	}
}

// run parses args like the real command and stops before Complete asks
// the cluster: it returns the request the cluster would be asked about.
func run(t *testing.T, args []string) (resolve.Request, error) {
	t.Helper()
	streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	o := NewOptions(streams)
	cmd := newCmdEshell(o)
	var req resolve.Request
	cmd.RunE = func(c *cobra.Command, a []string) (err error) {
		req, err = o.request(c, a)
		return err
	}
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return req, cmd.ExecuteContext(context.Background())
}
