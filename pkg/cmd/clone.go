package cmd

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/pkg/clone"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// CloneOptions are the flags of --mode clone.
type CloneOptions struct {
	Keep               bool
	KeepInitContainers bool
	NoSidecars         bool
	WithPVC            bool
}

func addCloneFlags(f *pflag.FlagSet, c *CloneOptions) {
	f.BoolVar(&c.Keep, "keep", false, "clone: leave the pod running at the end and print how to reconnect and remove it")
	f.BoolVar(&c.KeepInitContainers, "keep-init-containers", false, "clone: run the workload's init containers too (they may run migrations)")
	f.BoolVar(&c.NoSidecars, "no-sidecars", false, "clone: drop native sidecars (kept by default, e.g. a database proxy)")
	f.BoolVar(&c.WithPVC, "with-pvc", false, "clone: mount the workload's PersistentVolumeClaims read-only where the access mode allows")
}

const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomSuffix names sessions and pods; 5 characters as kubectl uses.
func randomSuffix() string {
	b := make([]byte, 5)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		b[i] = alnum[n.Int64()]
	}
	return string(b)
}

func (o *Options) runClone(ctx context.Context, w *target.Workload) (err error) {
	container, note, err := target.Container(w.Template.ObjectMeta, w.Template.Spec, o.Container)
	if err != nil {
		return err
	}
	if note != "" {
		o.infof("%s", note)
	}
	if o.MaxDuration <= 0 {
		return errors.New("clone mode needs a positive --max-duration (it bounds a forgotten clone on the server), e.g. 2h")
	}
	src := clone.Source{Kind: string(w.Kind), Name: w.Name, Namespace: w.Namespace, Template: w.Template}
	if o.Clone.WithPVC {
		if src.PVCAccessModes, err = o.claimModes(ctx, w); err != nil {
			return err
		}
	}
	display := "(shell)"
	if len(o.Command) > 0 {
		display = shell.Quote(o.Command)
	}
	user := "unknown"
	if o.DryRun == "" {
		user = o.currentUser(ctx)
	}
	opts := clone.Options{
		Container: container, Command: shell.Gated(o.Command, 0), Stdin: true, TTY: o.TTY,
		KeepInitContainers: o.Clone.KeepInitContainers, NoSidecars: o.Clone.NoSidecars, WithPVC: o.Clone.WithPVC,
		MaxDuration: o.MaxDuration, SessionID: o.sessionID, User: user, DisplayCommand: display, Now: time.Now(), NameSuffix: o.sessionID, // the pod's name carries its session
	}
	pod, warnings, err := clone.GeneratePod(src, opts)
	if err != nil {
		return err
	}
	for _, wmsg := range warnings {
		fmt.Fprintf(o.ErrOut, "warning: %s\n", wmsg)
	}
	if o.DryRun != "" {
		return o.print(pod)
	}
	s := &clone.Session{Remote: o.remote, Streams: o.streams(), Keep: o.Clone.Keep, StartTimeout: o.PodRunningTimeout}
	if !o.Quiet {
		s.Progress = o.ErrOut
		s.Spinner = session.IsTerminal(o.ErrOut)
	}
	end := o.auditSession(ctx, w, pod, container)
	defer func() { end(err) }()
	err = s.Run(ctx, pod, container)
	var se *clone.StartError
	if errors.As(err, &se) && se.Reason == "StartError" && shell.NoShell(errors.New(se.Message)) {
		if len(o.Command) == 0 {
			return fmt.Errorf("the image of container %q has no shell (sh): give a program to run after --, or use --mode debug to bring a shell", container)
		}
		// No sh for the start gate: run the program as the container's
		// process directly; only what it prints before attach can be lost.
		o.infof("The image has no shell; running %s directly (output before the attach may be lost)", display)
		opts.Command, opts.NameSuffix = shell.ContainerArgv(o.Command), randomSuffix()
		if pod, _, err = clone.GeneratePod(src, opts); err != nil {
			return err
		}
		return s.Run(ctx, pod, container)
	}
	return err
}

// claimModes reads the access modes of the claims the template mounts, so
// --with-pvc never mounts a ReadWriteOnce volume that would block or be stolen.
func (o *Options) claimModes(ctx context.Context, w *target.Workload) (map[string][]corev1.PersistentVolumeAccessMode, error) {
	out := map[string][]corev1.PersistentVolumeAccessMode{}
	for _, v := range w.Template.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		c, err := o.client.CoreV1().PersistentVolumeClaims(w.Namespace).Get(ctx, v.PersistentVolumeClaim.ClaimName, metav1.GetOptions{})
		if err != nil {
			continue // unknown modes: the builder mounts read-only with a warning
		}
		out[c.Name] = c.Spec.AccessModes
	}
	return out, nil
}

// print writes obj for --dry-run=client in the -o format.
func (o *Options) print(obj any) error {
	var b []byte
	var err error
	switch o.Output {
	case "json":
		b, err = json.MarshalIndent(obj, "", "  ")
		b = append(b, '\n')
	case "yaml", "":
		b, err = yaml.Marshal(obj)
	default:
		return fmt.Errorf("-o %s is not supported: use yaml or json", o.Output)
	}
	if err != nil {
		return err
	}
	_, err = o.Out.Write(b)
	return err
}
