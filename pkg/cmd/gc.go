package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/sberz/kubectl-eshell/pkg/clone"
	"github.com/sberz/kubectl-eshell/pkg/meta"
)

// GCOptions removes clones a session could not remove itself: its client
// was killed, or the machine went away. activeDeadlineSeconds has already
// stopped them on the server; gc deletes the pods.
type GCOptions struct {
	*Options
	AllUsers      bool
	AllNamespaces bool
	DryRunGC      bool
	Now           func() time.Time
}

func newCmdGC(parent *Options) *cobra.Command {
	o := &GCOptions{Options: parent, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Delete clone pods that are finished or past their --max-duration",
		Long: `Delete clone pods left behind by sessions that could not clean up (a killed
client, a lost machine). A clone is removed when it has finished (its shell
ended) or its expiry has passed. By default only your own clones in the
current namespace are considered.`,
		Example: `  # Your leftover clones in the current namespace
  kubectl eshell gc

  # Everyone's, in every namespace, without deleting anything
  kubectl eshell gc --all-users -A --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.completeClient(); err != nil {
				return err
			}
			return advise(o.run(c.Context()), o.rest.Host)
		},
	}
	cmd.Flags().BoolVar(&o.AllUsers, "all-users", false, "consider the clones of every user, not only yours")
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look in every namespace")
	cmd.Flags().BoolVar(&o.DryRunGC, "dry-run", false, "only list what would be deleted")
	return cmd
}

func (o *GCOptions) run(ctx context.Context) error {
	ns := o.Namespace
	if o.AllNamespaces {
		ns = ""
	}
	sel := labels.SelectorFromSet(labels.Set{meta.ManagedByLabel: meta.ManagedByValue}).String()
	l, err := o.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("listing clone pods: %w", err)
	}
	user := ""
	if !o.AllUsers {
		user = o.currentUser(ctx)
	}
	now := o.Now()
	n := 0
	for i := range l.Items {
		p := &l.Items[i]
		why := gcReason(p, now)
		if why == "" || !clone.IsClone(p) || (user != "" && p.Annotations[meta.UserAnnotation] != user) {
			continue
		}
		n++
		if o.DryRunGC {
			fmt.Fprintf(o.Out, "would delete pod %s/%s (%s)\n", p.Namespace, p.Name, why)
			continue
		}
		if err := o.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
			return fmt.Errorf("deleting clone pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		fmt.Fprintf(o.Out, "deleted pod %s/%s (%s)\n", p.Namespace, p.Name, why)
	}
	if n == 0 {
		fmt.Fprintln(o.ErrOut, "no finished or expired clones found")
	}
	return nil
}

func gcReason(p *corev1.Pod, now time.Time) string {
	switch {
	case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
		return "finished: " + string(p.Status.Phase)
	case clone.Expired(p, now):
		return "expired at " + p.Annotations[meta.ExpiresAnnotation]
	}
	return ""
}

// completeClient is the part of Complete subcommands need: the kubeconfig
// and the namespace, no target or session settings.
func (o *Options) completeClient() error {
	ns, _, err := o.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return fmt.Errorf("reading the namespace from your kubeconfig: %w; pass -n NAMESPACE", err)
	}
	o.Namespace = ns
	if o.rest, err = o.ConfigFlags.ToRESTConfig(); err != nil {
		return fmt.Errorf("loading your kubeconfig: %w; check KUBECONFIG or pass --kubeconfig", err)
	}
	o.client, err = newClient(o.rest)
	return err
}
