package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// kubeconfig writes a kubeconfig pointing at an address nothing listens on:
// Complete never calls the cluster, so option handling is testable offline.
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
		check   func(t *testing.T, o *Options)
		wantErr string
	}{
		{name: "defaults", args: []string{"deploy/web"}, check: func(t *testing.T, o *Options) {
			if o.Mode != "clone" || o.Namespace != "shop" || o.MaxDuration != 2*time.Hour || o.PodRunningTimeout != 2*time.Minute || o.IdleTimeout != 30*time.Minute {
				t.Errorf("defaults not applied: mode=%s ns=%s max=%s wait=%s idle=%s", o.Mode, o.Namespace, o.MaxDuration, o.PodRunningTimeout, o.IdleTimeout)
			}
			if !o.Stdin || o.TTY {
				t.Errorf("without a terminal: stdin=%v tty=%v, want stdin on and no tty", o.Stdin, o.TTY)
			}
		}},
		{name: "command after dash", args: []string{"deploy/web", "--", "python", "manage.py", "shell_plus"}, check: func(t *testing.T, o *Options) {
			if strings.Join(o.Command, " ") != "python manage.py shell_plus" || o.Target != "deploy/web" {
				t.Errorf("command = %q target = %q", o.Command, o.Target)
			}
		}},
		{name: "command flag", args: []string{"deploy/web", "--command", "python,manage.py,shell_plus"}, check: func(t *testing.T, o *Options) {
			if strings.Join(o.Command, " ") != "python manage.py shell_plus" {
				t.Errorf("command = %q", o.Command)
			}
		}},
		{name: "namespace flag wins", args: []string{"-n", "env-pr-42", "web", "--mode", "exec"}, check: func(t *testing.T, o *Options) {
			if o.Namespace != "env-pr-42" || o.Mode != "exec" {
				t.Errorf("ns=%s mode=%s", o.Namespace, o.Mode)
			}
		}},
		{name: "stdin off", args: []string{"web", "-i=false"}, check: func(t *testing.T, o *Options) {
			if o.Stdin {
				t.Error("-i=false ignored")
			}
		}},
		{name: "both command forms", args: []string{"web", "--command", "ls", "--", "ls"}, wantErr: "either after -- or with --command"},
		{name: "two targets", args: []string{"web", "api"}, wantErr: "too many arguments"},
		{name: "bad mode", args: []string{"web", "--mode", "ssh"}, wantErr: "ssh"},
		{name: "bad type", args: []string{"svc/web"}, wantErr: `unknown resource type "svc"`},
		{name: "tty without terminal", args: []string{"web", "-t"}, wantErr: "-t needs a terminal"},
		{name: "bad dry-run", args: []string{"web", "--dry-run=server"}, wantErr: "use --dry-run=client"},
		{name: "zero wait", args: []string{"web", "--pod-running-timeout=0s"}, wantErr: "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := run(t, append([]string{"--kubeconfig", kc}, tt.args...))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
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
	o, err := run(t, []string{"--kubeconfig", kc, "--config", cfg, "web"})
	if err != nil || o.Mode != "exec" || o.MaxDuration != 15*time.Minute {
		t.Fatalf("config file not applied: %v mode=%s max=%s", err, o.Mode, o.MaxDuration)
	}
	o, err = run(t, []string{"--kubeconfig", kc, "--config", cfg, "web", "--mode", "clone", "--max-duration", "1h"})
	if err != nil || o.Mode != "clone" || o.MaxDuration != time.Hour {
		t.Fatalf("flags must win over the config file: %v mode=%s max=%s", err, o.Mode, o.MaxDuration)
	}
	if err := os.WriteFile(cfg, []byte("mode: exec\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err = run(t, []string{"--kubeconfig", kc, "--config", cfg, "web"}); err == nil || !strings.Contains(err.Error(), "config.yaml:2") {
		t.Fatalf("a broken config file must name file and line, got %v", err)
	}
}

// run parses args like the real command and stops after Validate.
func run(t *testing.T, args []string) (*Options, error) {
	t.Helper()
	streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	o := NewOptions(streams)
	cmd := newCmdEshell(o)
	cmd.RunE = func(c *cobra.Command, a []string) error {
		if err := o.Complete(c, a); err != nil {
			return err
		}
		return o.Validate()
	}
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return o, cmd.ExecuteContext(context.Background())
}
