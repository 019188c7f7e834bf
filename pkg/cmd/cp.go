package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/attach"
	"github.com/sberz/kubectl-eshell/pkg/filecopy"
	"github.com/sberz/kubectl-eshell/pkg/live"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

func newCmdCp(o *Options) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "cp SRC DST",
		Short: "Copy files and directories into or out of a container, also one without tar or a shell",
		Long: `Copy a file or a directory tree between this machine and a container. One side
is TARGET:PATH, where TARGET is anything eshell opens a shell next to (deploy/web,
pod/web-0, svc/web, a pod name) or a live session's id (see kubectl eshell
sessions; a clone's files are in its own pod). The other side is a local path,
or - for one file's bytes on stdin or stdout.

The copy runs in an ephemeral container with the debug image (busybox), next to
the container, with the profile the API server admits: it reads and writes the
container's files through the shared process namespace, so the image needs no
tar and no shell (distroless). Written files belong to the container's user.
Modes and modification times are kept; links are copied as links, one that
points above the container's root is skipped, and no link in a path is ever
followed. Each file's sha256 is checked end to end; a file that fails is
removed and eshell exits 1. An existing file is replaced only with --force.
Start and end Events are recorded on the workload (not the paths).`,
		Example: `  # A file out of a distroless container
  kubectl eshell cp deploy/web:/etc/app/config.yaml ./config.yaml

  # A directory tree in
  kubectl eshell cp ./fixtures deploy/web:/tmp

  # Into a clone kept with --keep, by its session id
  kubectl eshell cp ./dump.sql x7k2p:/tmp/dump.sql

  # Through a pipe
  kubectl eshell cp pod/web-0:/var/log/app.log - | grep ERROR`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			src, err := filecopy.ParseSpec(args[0])
			if err != nil {
				return err
			}
			dst, err := filecopy.ParseSpec(args[1])
			if err != nil {
				return err
			}
			upload, err := filecopy.Direction(src, dst)
			if err != nil {
				return err
			}
			job := filecopy.Job{Src: src, Dst: dst, Force: force, Stdin: o.In, Stdout: o.Out, Warn: o.ErrOut}
			if err := job.Check(); err != nil {
				return err
			}
			remote := &src
			if upload {
				remote = &dst
			}
			// Resolved as a debug session would be: the same target
			// lookup, permission check and audit Events.
			if err := c.Flags().Set("mode", string(mode.Debug)); err != nil {
				return err
			}
			return o.withClient(func(ctx context.Context) error {
				if err := o.sessionTarget(ctx, remote); err != nil {
					return err
				}
				// Every missing permission is listed before anything is
				// read or created: a bare name is a pod.
				if err := o.check(ctx, o.cpPermissions(remote.Target)); err != nil {
					return err
				}
				if err := o.Complete(c, []string{remote.Target}); err != nil {
					return err
				}
				o.plan.Command = []string{"cp"}
				return o.copyFiles(ctx, job, upload)
			})(c, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.flags.Container, "container", "c", "", "container whose files to copy (default: the default-container annotation, else the first)")
	f.BoolVar(&force, "force", false, "replace existing files (refused without it)")
	f.BoolVarP(&o.flags.Shell.Quiet, "quiet", "q", false, "print no progress messages")
	f.BoolVar(&o.flags.Shell.NoAudit, "no-audit", false, "record no start/end Events on the workload")
	f.StringVar(&o.flags.Shell.ConfigPath, "config", "", "config file (default $XDG_CONFIG_HOME/kubectl-eshell/config.yaml)")
	// The session machinery reads --mode; cp is always the debug mode's.
	f.StringVar((*string)(&o.flags.Mode), "mode", string(mode.Debug), "")
	_ = f.MarkHidden("mode")
	return cmd
}

// cpPermissions is what the copy helper needs: the debug mode's
// permissions next to the target.
func (o *Options) cpPermissions(ref string) []access.Permission {
	ns, _ := o.namespace()
	gr, name := schema.GroupResource{Resource: "pods"}, ref
	if r, err := target.ParseRefWith(ref, o.mapper()); err == nil && r.Kind != "" {
		gr, name = r.Kind.GroupResource(), r.Name
	}
	return access.Needed(mode.Debug, ns, gr, name)
}

// sessionTarget turns a live session's id into its pod and container: a
// TARGET with no "/" that names no session is a pod name, as elsewhere.
func (o *Options) sessionTarget(ctx context.Context, s *filecopy.Spec) error {
	if strings.Contains(s.Target, "/") {
		return nil
	}
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	in, err := live.Find(ctx, session.Remote{Config: o.rest, Client: o.client}, ns, s.Target)
	if err != nil || in.PodObject == nil {
		return nil //nolint:nilerr // not a session: the target is a pod name
	}
	if err := attach.Allowed(in, o.whoami.User(ctx), false); err != nil {
		return err
	}
	if err := attach.Usable(in, in.PodObject); err != nil {
		return err
	}
	container := in.Container
	if in.Mode == mode.Debug {
		for _, ec := range in.PodObject.Spec.EphemeralContainers {
			if ec.Name == in.Container {
				container = ec.TargetContainerName
			}
		}
	}
	s.Target = "pod/" + in.Pod
	o.flags.Container = container
	return nil
}

// copyFiles starts the helper in the plan's pod, finds the container's
// files and copies, between the start and end Events.
func (o *Options) copyFiles(ctx context.Context, job filecopy.Job, upload bool) (err error) {
	p, d := o.plan, o.deps()
	h, err := filecopy.StartHelper(ctx, p, d)
	if err != nil {
		return err
	}
	defer h.Release()
	if job.Remote, err = filecopy.Locate(ctx, h.Run, h.TargetID); err != nil {
		return err
	}
	end := d.Audit(ctx, p, p.Pod.Name, p.Container)
	defer func() { end(err) }()
	if session.IsTerminal(o.ErrOut) && !o.flags.Shell.Quiet {
		job.Progress = &filecopy.Progress{Out: o.ErrOut}
	}
	job.Nonce = p.SessionID
	var st filecopy.Stats
	if upload {
		st, err = job.Upload(ctx)
	} else {
		st, err = job.Download(ctx)
	}
	if err == nil && !o.flags.Shell.Quiet {
		fmt.Fprintf(o.ErrOut, "Copied %d files, %d directories, %d links (%d bytes)", st.Files, st.Dirs, st.Links, st.Bytes)
		if st.Skipped > 0 {
			fmt.Fprintf(o.ErrOut, "; skipped %d", st.Skipped)
		}
		fmt.Fprintln(o.ErrOut)
	}
	return err
}
