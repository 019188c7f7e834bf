package cmd

import (
	"context"
	"errors"

	"github.com/spf13/pflag"

	"github.com/sberz/kubectl-eshell/pkg/target"
)

// PickOptions are the flags that replace interactive choices.
type PickOptions struct{}

func addPickFlags(f *pflag.FlagSet, o *Options) {}

// resolveTarget finds the workload from the TYPE/NAME argument.
func (o *Options) resolveTarget(ctx context.Context) (*target.Workload, error) {
	if o.Target == "" {
		return nil, errors.New("no target given: pass TYPE/NAME (e.g. deploy/web) or a pod name")
	}
	ref, err := target.ParseRef(o.Target)
	if err != nil {
		return nil, err
	}
	return target.Resolve(ctx, o.client, o.Namespace, ref)
}
