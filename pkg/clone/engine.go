package clone

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/plan"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Run is the clone engine: it builds the clone of the plan's workload,
// creates it, waits until its container runs, attaches, reports the exit
// code and removes the pod on every exit path. With DryRun it prints the
// pod instead (with ServerDryRun, as the API server would store it).
func Run(ctx context.Context, p plan.Plan, d plan.Deps) (err error) {
	w := p.Workload
	src := Source{Kind: string(w.Kind), Name: w.Name, Namespace: w.Namespace, Template: w.Template}
	if p.Clone.WithPVC {
		src.PVCAccessModes = claimModes(ctx, d.Remote.Client, w.Namespace, w.Template.Spec.Volumes)
	}
	display := audit.Describe(p.Command, p.RecordCommand)
	user := "unknown"
	if !p.DryRun || p.ServerDryRun {
		user = d.User(ctx)
	}
	opts := Options{
		Container: p.Container, Command: shell.Gated(p.Command, 0), Stdin: true, TTY: p.TTY,
		KeepInitContainers: p.Clone.KeepInitContainers, NoSidecars: p.Clone.NoSidecars, WithPVC: p.Clone.WithPVC,
		MaxDuration: p.Limits.MaxDuration, SessionID: p.SessionID, User: user, DisplayCommand: display, Now: time.Now(),
		NameSuffix: p.SessionID, // the pod's name carries its session
	}
	pod, warnings, err := GeneratePod(src, opts)
	if err != nil {
		return err
	}
	for _, msg := range warnings {
		d.Warnf("%s", msg)
	}
	if p.ServerDryRun {
		// Admission (Pod Security, quotas, policies) judges the clone;
		// nothing is stored.
		if pod, err = d.Remote.Client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			return createError(err)
		}
	}
	if p.DryRun {
		return d.Print(pod)
	}
	s := &Session{Remote: d.Remote, Streams: p.Streams(d.IO), Keep: p.Clone.Keep, StartTimeout: p.Limits.PodRunningTimeout}
	if d.Progress != nil {
		s.Progress = d.Progress
		s.Spinner = session.IsTerminal(d.Progress)
	}
	end := d.Audit(ctx, pod.Name, p.Container)
	defer func() { end(err) }()
	err = s.Run(ctx, pod, p.Container)
	var se *podwatch.StartError
	if !errors.As(err, &se) || se.Reason != "StartError" || !se.MissingProgram() {
		return err
	}
	if len(p.Command) == 0 {
		return fmt.Errorf("the image of container %q has no shell (sh): give a program to run after --, or use --mode debug to bring a shell", p.Container)
	}
	// No sh for the start gate: run the program as the container's process
	// directly; only what it prints before the attach can be lost.
	d.Infof("The image has no shell; running %s directly (output before the attach may be lost)", display)
	opts.Command, opts.NameSuffix = shell.ContainerArgv(p.Command), session.NewID()
	if pod, _, err = GeneratePod(src, opts); err != nil {
		return err
	}
	return s.Run(ctx, pod, p.Container)
}

// claimModes reads the access modes of the claims among volumes, so
// --with-pvc never mounts a ReadWriteOnce volume that would block or be
// stolen. A claim that cannot be read is left out: the builder then mounts
// it read-only with a warning.
func claimModes(ctx context.Context, c kubernetes.Interface, ns string, volumes []corev1.Volume) map[string][]corev1.PersistentVolumeAccessMode {
	out := map[string][]corev1.PersistentVolumeAccessMode{}
	for _, v := range volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		claim, err := c.CoreV1().PersistentVolumeClaims(ns).Get(ctx, v.PersistentVolumeClaim.ClaimName, metav1.GetOptions{})
		if err != nil {
			continue
		}
		out[claim.Name] = claim.Spec.AccessModes
	}
	return out
}
