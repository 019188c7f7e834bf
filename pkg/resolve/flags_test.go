package resolve

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// The flags the user gave win over the config file; the file fills the
// rest; what no cluster can make right is refused before one is asked.
func TestFlagsRequest(t *testing.T) {
	file := config.Defaults()
	file.Mode, file.DebugImage, file.RecordCommand, file.IdleTimeout = mode.Debug, "bash:5.2", true, time.Hour
	file.Shells = []string{"zsh", "sh"}
	pipes := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	for _, tc := range []struct {
		name  string
		flags []string
		args  []string
		dash  int
		check func(t *testing.T, r Request)
		err   string
	}{
		{name: "the file fills what is not given", args: []string{"deploy/web"}, dash: -1, check: func(t *testing.T, r Request) {
			b := r.Base
			if b.Mode != mode.Debug || b.Image != "bash:5.2" || !b.RecordCommand || b.Timeouts.IdleTimeout != time.Hour ||
				b.Timeouts.MaxDuration != 2*time.Hour || b.Timeouts.PodRunningTimeout != 2*time.Minute || r.ModeGiven || r.ImageGiven || r.Target.String() != "deploy/web" {
				t.Errorf("request %+v", r)
			}
		}},
		{name: "given flags win", flags: []string{"--mode=exec", "--record-command=false", "--idle-timeout=0", "--max-duration=5m", "-c", "app"},
			args: []string{"web", "ls", "-l"}, dash: 1, check: func(t *testing.T, r Request) {
				b := r.Base
				if b.Mode != mode.Exec || b.RecordCommand || b.Timeouts.IdleTimeout != 0 || b.Timeouts.MaxDuration != 5*time.Minute || !r.ModeGiven ||
					b.Container != "app" || !slices.Equal(b.Command, []string{"ls", "-l"}) || !gave(b, "container") {
					t.Errorf("request %+v", r)
				}
			}},
		{name: "--command", flags: []string{"--command", "psql,-c,select 1"}, dash: -1, check: func(t *testing.T, r Request) {
			if !slices.Equal(r.Base.Command, []string{"psql", "-c", "select 1"}) {
				t.Errorf("command %q", r.Base.Command)
			}
		}},
		{name: "dry runs", flags: []string{"--dry-run=server"}, dash: -1, check: func(t *testing.T, r Request) {
			if !r.Base.DryRun || !r.Base.ServerDryRun {
				t.Errorf("request %+v", r.Base)
			}
		}},
		{name: "the config's shells", dash: -1, check: func(t *testing.T, r Request) {
			if !slices.Equal(r.Base.Shells, []string{"zsh", "sh"}) {
				t.Errorf("shells %q", r.Base.Shells)
			}
		}},
		{name: "--shell wins", flags: []string{"--shell=fish"}, dash: -1, check: func(t *testing.T, r Request) {
			if !slices.Equal(r.Base.Shells, []string{"fish"}) {
				t.Errorf("shells %q", r.Base.Shells)
			}
		}},
		{name: "--shell with a command", flags: []string{"--shell=zsh"}, args: []string{"web", "ls"}, dash: 1, err: "--shell chooses the shell started when no command is given"},
		{name: "--shell that is no program", flags: []string{"--shell=zsh;id"}, dash: -1, err: `--shell: shell "zsh;id" is not a program name`},
		{name: "two targets", args: []string{"a", "b"}, dash: -1, err: "too many arguments"},
		{name: "both commands", flags: []string{"--command", "ls"}, args: []string{"web", "ls"}, dash: 1, err: "either after -- or with --command"},
		{name: "unknown mode", flags: []string{"--mode=shell"}, dash: -1, err: "shell"},
		{name: "unknown type", args: []string{"widget/x"}, dash: -1, err: "widget"},
		{name: "--service is the target", flags: []string{"--service", "deploy/web"}, dash: -1, check: func(t *testing.T, r Request) {
			if r.Target != (target.Ref{Kind: target.KindDeployment, Name: "web"}) || r.Workload.Name != "" {
				t.Errorf("target %v, workload %v", r.Target, r.Workload)
			}
		}},
		{name: "--service as the argument", flags: []string{"--service", "deployment/web"}, args: []string{"deploy/web"}, dash: -1, check: func(t *testing.T, r Request) {
			if r.Target != (target.Ref{Kind: target.KindDeployment, Name: "web"}) || r.Workload.Name != "" {
				t.Errorf("target %v, workload %v", r.Target, r.Workload)
			}
		}},
		{name: "--service behind a Service", flags: []string{"--service", "deploy/canary"}, args: []string{"svc/web"}, dash: -1, check: func(t *testing.T, r Request) {
			if r.Target != (target.Ref{Kind: target.KindService, Name: "web"}) || r.Workload != (target.Ref{Kind: target.KindDeployment, Name: "canary"}) {
				t.Errorf("target %v, workload %v", r.Target, r.Workload)
			}
		}},
		{name: "the target twice", flags: []string{"--service", "deploy/b"}, args: []string{"deploy/a"}, dash: -1, err: `the target is given twice, as "deploy/a" and with --service "deploy/b"`},
		{name: "--env-label trimmed", flags: []string{"--env-label", " team.example/env "}, dash: -1, check: func(t *testing.T, r Request) {
			if r.EnvLabel != "team.example/env" {
				t.Errorf("env label %q", r.EnvLabel)
			}
		}},
		{name: "--env-label from the file", dash: -1, check: func(t *testing.T, r Request) {
			if r.EnvLabel != file.EnvLabel {
				t.Errorf("env label %q, want the file's %q", r.EnvLabel, file.EnvLabel)
			}
		}},
		{name: "--env-label that is no label", flags: []string{"--env-label", "not a label!"}, dash: -1, err: `--env-label "not a label!" is not a valid label key`},
		{name: "a typo in --service", flags: []string{"--service", "nosuch/x"}, args: []string{"svc/web"}, dash: -1, err: `--service: unknown resource type "nosuch"`},
		{name: "-t without a terminal", flags: []string{"-t"}, dash: -1, err: "-t needs a terminal"},
		{name: "unknown dry run", flags: []string{"--dry-run=all"}, dash: -1, err: "--dry-run=all is not supported"},
		{name: "no start time", flags: []string{"--pod-running-timeout=0"}, dash: -1, err: "--pod-running-timeout 0s is too short: use a duration from 1s to 1h0m0s"},
		{name: "reason", flags: []string{"--reason", " OPS-1 logs "}, dash: -1, check: func(t *testing.T, r Request) {
			if r.Base.Reason != "OPS-1 logs" || r.AskReason != nil {
				t.Errorf("reason %q, ask %v", r.Base.Reason, r.AskReason)
			}
		}},
		{name: "fan-out", flags: []string{"--all-pods", "--max-parallel=3", "-l", "tier=web"}, args: []string{"deploy/web", "uptime"}, dash: 1, check: func(t *testing.T, r Request) {
			f := r.Base.FanOut
			if !f.AllPods || f.Selector != "tier=web" || f.MaxParallel != 3 || r.Base.Stdin || r.Base.TTY {
				t.Errorf("fan-out %+v, stdin %v, tty %v", f, r.Base.Stdin, r.Base.TTY)
			}
		}},
		{name: "fan-out without a command", flags: []string{"--all-pods"}, args: []string{"deploy/web"}, dash: -1,
			err: "--all-pods runs one command in many pods, and a shell or a console cannot span pods: give the command after --"},
		{name: "fan-out with a preset", flags: []string{"-l", "app=web", "--preset=django"}, args: []string{"uptime"}, dash: 0, err: "a shell or a console cannot span pods"},
		{name: "fan-out with -t", flags: []string{"--all-containers", "-t"}, args: []string{"web", "ls"}, dash: 1, err: "-t opens a terminal, and one terminal cannot span pods: drop -t"},
		{name: "fan-out with -i", flags: []string{"--all-pods", "-i"}, args: []string{"web", "ls"}, dash: 1, err: "-i sends input to one process, and --all-pods starts many"},
		{name: "fan-out too wide", flags: []string{"--all-pods", "--max-parallel=1000"}, args: []string{"web", "ls"}, dash: 1, err: "--max-parallel 1000 is out of range: give 1 to 100"},
		{name: "fan-out recorded", flags: []string{"--all-pods", "--record=x.cast"}, args: []string{"web", "ls"}, dash: 1, err: "drop --record"},
		{name: "--custom and --run-as", flags: []string{"--custom", "testdata/custom-cap.yaml", "--run-as", "1000"}, dash: -1, check: func(t *testing.T, r Request) {
			c := r.Base.Custom
			if c == nil || c.File != "testdata/custom-cap.yaml" || c.Container.SecurityContext.Capabilities.Add[0] != "NET_ADMIN" || c.User.UID != 1000 || !gave(r.Base, "custom") {
				t.Errorf("custom %+v", c)
			}
		}},
		{name: "--run-as root alone", flags: []string{"--run-as", "root"}, dash: -1, check: func(t *testing.T, r Request) {
			if c := r.Base.Custom; c == nil || !c.User.Given || c.User.UID != 0 || c.Container != nil {
				t.Errorf("custom %+v", c)
			}
		}},
		{name: "neither", dash: -1, check: func(t *testing.T, r Request) {
			if r.Base.Custom != nil {
				t.Errorf("custom %+v", r.Base.Custom)
			}
		}},
		{name: "--custom missing", flags: []string{"--custom", "testdata/none.yaml"}, dash: -1, err: "--custom: open testdata/none.yaml"},
		{name: "--custom malformed names the file and line", flags: []string{"--custom", "testdata/custom-bad.yaml"}, dash: -1, err: "--custom testdata/custom-bad.yaml is neither JSON nor YAML (yaml: line 2: did not find expected"},
		{name: "--run-as unknown", flags: []string{"--run-as", "nobody"}, dash: -1, err: `--run-as "nobody" is not a user`},
		{name: "--run-as against the file's user", flags: []string{"--custom", "testdata/custom-user.json", "--run-as", "0"}, dash: -1,
			err: "securityContext.runAsUser is set both by --custom testdata/custom-user.json (5) and by --run-as"},
		{name: "reason on two lines", flags: []string{"--reason", "a\nb"}, dash: -1, err: "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := request(t, tc.flags, Line{Args: tc.args, Dash: tc.dash, Namespace: "shop"}, file, pipes)
			if tc.err == "" && err == nil && r.Base.Reason == "" && r.AskReason != nil {
				t.Errorf("asks for a reason the file does not require")
			}
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want one containing %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			default:
				tc.check(t, r)
			}
		})
	}
}

// requireReason and reasonPattern refuse before any round trip; a dry run
// needs no reason; a terminal leaves the question for later.
func TestFlagsRequestReasonPolicy(t *testing.T) {
	file := config.Defaults()
	file.RequireReason, file.ReasonPattern = true, `^[A-Z]+-[0-9]+`
	pipes := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
		err   string
	}{
		{name: "missing", err: "a reason is required for every session (requireReason in the config file): pass --reason TEXT matching ^[A-Z]+-[0-9]+"},
		{name: "malformed", flags: []string{"--reason", "because"}, err: `--reason "because" does not match`},
		{name: "matching", flags: []string{"--reason", "OPS-9 disk"}, want: "OPS-9 disk"},
		{name: "dry run needs none", flags: []string{"--dry-run=client"}},
		{name: "dry run still checks one given", flags: []string{"--dry-run=client", "--reason", "x"}, err: "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := request(t, tc.flags, Line{Args: []string{"deploy/web"}, Dash: -1, Namespace: "shop"}, file, pipes)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want one containing %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case r.Base.Reason != tc.want || r.AskReason != nil:
				t.Errorf("reason %q (ask %v), want %q", r.Base.Reason, r.AskReason, tc.want)
			}
		})
	}
}

// gave reports whether p's flags given include name.
func gave(p plan.Plan, name string) bool {
	return slices.ContainsFunc(p.Given, func(f plan.GivenFlag) bool { return f.Name == name })
}

// request parses flags as a session's command line (with debug's --image
// beside them) and settles the Request of line.
func request(t *testing.T, flags []string, line Line, file config.Config, pipes genericiooptions.IOStreams) (Request, error) {
	t.Helper()
	var f Flags
	fs := pflag.NewFlagSet("eshell", pflag.ContinueOnError)
	f.AddFlags(fs)
	fs.String("image", "", "")
	if err := fs.Parse(flags); err != nil {
		t.Fatal(err)
	}
	return f.Request(fs, line, file, pipes, nil)
}
