// Package exec is the exec engine: a shell, or the plan's command, in the
// running container itself, as kubectl exec would start it.
package exec

import (
	"context"
	"fmt"

	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Run execs the plan's command (or the detected shell) in the plan's pod
// and container and returns the remote exit code as a *session.ExitError.
func Run(ctx context.Context, p plan.Plan, d plan.Deps) (err error) {
	argv, auto := p.Command, len(p.Command) == 0
	if auto {
		argv = shell.Detect()
	}
	end := d.Audit(ctx, p.Pod.Name, p.Container)
	defer func() { end(err) }()
	err = d.Remote.Exec(ctx, p.Streams(d.IO), p.Pod.Namespace, p.Pod.Name, p.Container, argv)
	if shell.NoShell(err) {
		if auto {
			return fmt.Errorf("container %q of pod %q has no shell (sh): run a program after --, or use --mode debug to bring a shell in a debug container", p.Container, p.Pod.Name)
		}
		return fmt.Errorf("cannot run %s in container %q: %w; check the program name and that the image has it", shell.Quote(argv), p.Container, err)
	}
	return err
}
