package cmd

import (
	"context"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/fanout"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// fanOut runs p's command in each of its targets with the engine of its
// mode, one session per target: its own session id (so its debug
// container, its Events and `kubectl eshell end` name that pod's part),
// its own audit Events (the engine audits the plan it is given), its output
// prefixed. It prints the summary and
// ends with the highest exit code as a *session.ExitError.
func (o *Options) fanOut(ctx context.Context, p plan.Plan, engine func(context.Context, plan.Plan, plan.Deps) error) error {
	base := o.deps()
	// Asked once for all targets, as each engine asks it (then from the
	// same answers): a refusal is one report, before any pod's part starts.
	if !p.DryRun {
		if err := base.Check(ctx, p.Needed()); err != nil {
			return access.Advise(err, o.rest.Host)
		}
	}
	// Questions cannot be answered for many pods at once (debug's offer
	// to reuse a container): each pod takes the non-interactive answer.
	base.Confirm = nil
	run := func(ctx context.Context, t fanout.Target, out, errOut io.Writer) error {
		sub := p
		sub.FanOut = plan.FanOut{}
		sub.Pod, sub.Container, sub.SessionID = t.Pod, t.Container, session.NewID()
		if sub.Workload == nil {
			// -l alone: the pod is what the session is next to.
			sub.Workload = &target.Workload{Kind: target.KindPod, Name: t.Pod.Name, Namespace: t.Pod.Namespace, Pod: t.Pod, UID: string(t.Pod.UID), APIVersion: "v1"}
		}
		d := base
		d.IO = genericiooptions.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}
		if d.Progress != nil {
			d.Progress = errOut
		}
		return access.Advise(engine(ctx, sub, d), o.rest.Host)
	}
	opts := fanout.Options{MaxParallel: p.FanOut.MaxParallel, Out: o.Out, ErrOut: o.ErrOut,
		Color: fanout.UseColor(o.Out, session.IsTerminal)}
	if p.DryRun {
		// What each pod would run, printed whole and in order: documents
		// of one YAML stream (or a stream of JSON objects), no prefixes.
		opts.MaxParallel = 1
		first := true
		print := base.Print
		base.Print = func(obj any) error {
			if !first && p.Output != "json" {
				if _, err := io.WriteString(o.Out, "---\n"); err != nil {
					return err
				}
			}
			first = false
			return print(obj)
		}
	}
	results := fanout.Run(ctx, p.FanOut.Targets, run, opts)
	worst := fanout.Worst(results)
	if !p.DryRun || worst != 0 {
		fanout.Summary(o.ErrOut, results, p.FanOut.Skipped, fanout.UseColor(o.ErrOut, session.IsTerminal))
	}
	if worst != 0 {
		return &session.ExitError{Code: worst}
	}
	return nil
}
