package cmd

import (
	"context"
	"errors"

	"github.com/spf13/pflag"

	"github.com/sberz/kubectl-eshell/pkg/target"
)

// DebugOptions are the flags of --mode debug.
type DebugOptions struct{}

func addDebugFlags(f *pflag.FlagSet, d *DebugOptions) {}

func (o *Options) runDebug(ctx context.Context, w *target.Workload) error {
	return errors.New("--mode debug is not built yet; use --mode exec or --mode clone")
}
