// Package podexec is the exec mode's engine: a shell, or the plan's command, in the
// running container itself, as kubectl exec would start it.
package podexec

import (
	"context"
	"fmt"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Run execs the plan's command (or the detected shell) in the plan's pod
// and container and returns the remote exit code as a *session.ExitError.
// With DryRun it prints what it would run and runs nothing.
func Run(ctx context.Context, p plan.Plan, d plan.Deps) (err error) {
	if p.DryRun {
		return d.Print(dryRun(p))
	}
	if err := d.CheckSession(ctx, p); err != nil {
		return err
	}
	argv, auto := p.Argv(d), len(p.Command) == 0
	end := d.Audit(ctx, p, p.Pod.Name, p.Container)
	defer func() { end(err) }()
	err = d.Remote.Exec(ctx, p.Streams(d.IO), p.Pod.Namespace, p.Pod.Name, p.Container, argv)
	if shell.NoShell(err) {
		if auto {
			return fmt.Errorf("container %q of pod %q has no shell (sh): run a program after --, use --mode debug to bring a shell in a debug container, or --mode clone --static-shell for a clone with a static shell", p.Container, p.Pod.Name)
		}
		return fmt.Errorf("cannot run %s in container %q: %w; check the program name and that the image has it", shell.Quote(argv), p.Container, err)
	}
	// A lost stream exits 255, as in the other modes: no exit code of the
	// command came, and whether it still runs is the container's affair.
	return session.Ended(ctx, err, fmt.Sprintf("the command in container %s of pod %s", p.Container, p.Pod.Name), "")
}

// Request is what --dry-run=client prints for exec: the process that
// would be started, where. The command is described as the audit Events
// describe it (program and number of arguments, unless --record-command),
// so a dry run pasted into a ticket or a CI log leaks no argument.
type Request struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Command   string `json:"command"`
	Stdin     bool   `json:"stdin"`
	TTY       bool   `json:"tty"`
}

func dryRun(p plan.Plan) Request {
	return Request{Kind: "Exec", Namespace: p.Pod.Namespace, Pod: p.Pod.Name, Container: p.Container,
		Command: audit.Describe(p.Command, p.RecordCommand), Stdin: p.Stdin, TTY: p.TTY}
}
