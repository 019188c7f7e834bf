package plan

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/sberz/kubectl-eshell/pkg/custom"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

func customSpec(t *testing.T, file string) *custom.Spec {
	t.Helper()
	s, err := custom.Parse("f.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidate(t *testing.T) {
	valid := func(m mode.Mode) Plan {
		return Plan{Mode: m, Workload: &target.Workload{Kind: target.KindDeployment, Name: "web"}, Pod: &corev1.Pod{}, Image: "busybox:1.37",
			Timeouts: Timeouts{MaxDuration: time.Hour, PodRunningTimeout: time.Minute}}
	}
	for _, tt := range []struct {
		name string
		edit func(*Plan)
		want string
	}{
		{"clone", func(p *Plan) { p.Mode, p.Pod = mode.Clone, nil }, ""},
		{"debug", func(p *Plan) { p.Mode = mode.Debug }, ""},
		{"exec unbounded", func(p *Plan) { p.Mode, p.Timeouts.MaxDuration = mode.Exec, 0 }, ""},
		{"clone needs a bound", func(p *Plan) { p.Timeouts.MaxDuration = 0 }, "clone mode needs a positive --max-duration"},
		{"debug needs an image", func(p *Plan) { p.Mode, p.Image = mode.Debug, "" }, "--image"},
		{"exec needs a pod", func(p *Plan) { p.Mode, p.Pod = mode.Exec, nil }, "no running pod resolved for deploy/web"},
		{"bad mode", func(p *Plan) { p.Mode = "ssh" }, `invalid mode "ssh"`},
		{"bad output for dry-run", func(p *Plan) { p.DryRun, p.Output = true, "xml" }, "-o xml"},
		{"output ignored without dry-run", func(p *Plan) { p.Output = "xml" }, ""},
		{"no workload", func(p *Plan) { p.Workload = nil }, "no workload"},
		{"flag of another mode", func(p *Plan) {
			p.Given = []GivenFlag{{Name: "namespace"}, {Name: "image", Modes: []mode.Mode{mode.Debug}}}
		}, "--image applies to --mode debug only, and this session runs in --mode clone: drop it, or pass --mode debug"},
		{"flag of two other modes", func(p *Plan) {
			p.Mode, p.Given = mode.Exec, []GivenFlag{{Name: "custom", Modes: []mode.Mode{mode.Debug, mode.Clone}}}
		}, "--custom applies to --mode debug and --mode clone only"},
		{"--pod in clone", func(p *Plan) { p.Given = []GivenFlag{{Name: "pod", Modes: []mode.Mode{mode.Exec, mode.Debug}}} }, "--pod applies to --mode exec and --mode debug only, and this session runs in --mode clone: to clone a pod, give it as pod/NAME"},
		{"flag of this mode", func(p *Plan) {
			p.Mode, p.Given = mode.Debug, []GivenFlag{{Name: "image", Modes: []mode.Mode{mode.Debug}}}
		}, ""},
		{"server dry run in exec", func(p *Plan) { p.Mode, p.DryRun, p.ServerDryRun = mode.Exec, true, true }, "--dry-run=server applies to --mode clone and debug only"},
		{"--custom ports in debug", func(p *Plan) { p.Mode, p.Custom = mode.Debug, customSpec(t, "ports: [{containerPort: 80}]") }, "--custom f.yaml sets ports, which cannot be changed in --mode debug: ephemeral containers may not have ports"},
		{"--custom ports in clone", func(p *Plan) { p.Custom = customSpec(t, "ports: [{containerPort: 80}]") }, ""},
		{"--custom with --reuse", func(p *Plan) { p.Mode, p.Debug.Reuse, p.Custom = mode.Debug, true, customSpec(t, "env: [{name: A}]") }, "--reuse attaches to a debug container made earlier"},
		{"--custom resources with --limits", func(p *Plan) {
			p.Custom, p.Clone.Limits = customSpec(t, "resources: {limits: {cpu: 1}}"), corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
		}, "resources are set both by --custom f.yaml and by --requests or --limits"},
		{"--custom env with --set-env", func(p *Plan) {
			p.Custom, p.Clone.Env = customSpec(t, "env: [{name: A, value: x}]"), []EnvOverride{{Name: "A", Value: "y"}}
		}, "env A is set both by --custom f.yaml and by --set-env"},
		{"server dry run in debug", func(p *Plan) { p.Mode, p.DryRun, p.ServerDryRun = mode.Debug, true, true }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := valid(mode.Clone)
			tt.edit(&p)
			err := p.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

// The bounds of the durations hold in every mode, and are checked once,
// before anything is asked of the cluster.
func TestTimeoutsCheck(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*Timeouts)
		want string
	}{
		{"max-duration under a second", func(l *Timeouts) { l.MaxDuration = time.Millisecond }, "--max-duration 1ms is too short: use a duration from 1s to 168h0m0s, or 0 for none"},
		{"max-duration over a week", func(l *Timeouts) { l.MaxDuration = 8 * 24 * time.Hour }, "--max-duration 192h0m0s is too long"},
		{"nanosecond idle-timeout", func(l *Timeouts) { l.IdleTimeout = 5 * time.Nanosecond }, "--idle-timeout 5ns is too short: use a duration from 1s to 24h0m0s, or 0 for none"},
		{"idle-timeout off", func(l *Timeouts) { l.IdleTimeout = 0 }, ""},
		{"day-long pod wait", func(l *Timeouts) { l.PodRunningTimeout = 24 * time.Hour }, "--pod-running-timeout 24h0m0s is too long: use a duration from 1s to 1h0m0s"},
		{"no wait", func(l *Timeouts) { l.PodRunningTimeout = 0 }, "--pod-running-timeout"},
		{"negative max-duration", func(l *Timeouts) { l.MaxDuration = -time.Minute }, "--max-duration -1m0s is negative"},
		{"negative idle-timeout", func(l *Timeouts) { l.IdleTimeout = -time.Second }, "--idle-timeout -1s is negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := Timeouts{MaxDuration: time.Hour, PodRunningTimeout: time.Minute}
			tt.edit(&l)
			err := l.Check()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Check() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBound(t *testing.T) {
	p := Plan{Mode: mode.Exec, Timeouts: Timeouts{MaxDuration: 20 * time.Millisecond}}
	ctx, cancel, explain := p.Bound(context.Background())
	defer cancel()
	<-ctx.Done()
	if err := explain(errors.New("stream closed")); err == nil || !strings.Contains(err.Error(), "reached its --max-duration of 20ms") {
		t.Errorf("explain = %v, want the bound named", err)
	}
	if explain(nil) != nil {
		t.Error("a session that ended well stays well")
	}
	// Clone and debug get a grace for their server-side bound.
	p.Mode = mode.Clone
	ctx, cancel, _ = p.Bound(context.Background())
	defer cancel()
	if d, ok := ctx.Deadline(); !ok || time.Until(d) < maxDurationGrace {
		t.Errorf("clone deadline %v, want the grace added", d)
	}
	p.DryRun = true
	if ctx, _, _ = p.Bound(context.Background()); ctx.Done() != nil {
		t.Error("a dry run is not bounded")
	}
}
