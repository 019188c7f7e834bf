package cmd

import (
	"fmt"
	"os"
	"os/signal"

	"github.com/moby/term"
	"github.com/spf13/cobra"

	"github.com/sberz/kubectl-eshell/pkg/record"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

// startRecording creates the recording at path and returns the Tee that
// feeds it and what closes it, saying where it is (or that it is
// incomplete). The size is the local terminal's; without one, 80x24.
func (o *Options) startRecording(path string, input bool, title string) (session.Tee, func(), error) {
	h := record.Header{Width: 80, Height: 24, Title: title, Env: map[string]string{}}
	if fd, ok := term.GetFdInfo(o.Out); ok {
		if ws, err := term.GetWinsize(fd); err == nil && ws.Width > 0 && ws.Height > 0 {
			h.Width, h.Height = int(ws.Width), int(ws.Height)
		}
	}
	// asciinema records these two; its player uses TERM.
	for _, k := range []string{"TERM", "SHELL"} {
		if v := os.Getenv(k); v != "" {
			h.Env[k] = v
		}
	}
	rec, err := record.Create(path, h)
	if err != nil {
		return session.Tee{}, nil, err
	}
	tee := session.Tee{Out: rec.Writer(record.Output)}
	if input {
		tee.In = rec.Writer(record.Input)
	}
	return tee, func() {
		if err := rec.Close(); err != nil {
			fmt.Fprintf(o.ErrOut, "warning: the recording %s is incomplete: %v\n", path, err)
			return
		}
		if !o.flags.Shell.Quiet {
			fmt.Fprintf(o.ErrOut, "Recorded the session in %s (play it with: kubectl eshell replay %s)\n", path, path)
		}
	}, nil
}

func newCmdReplay(o *Options) *cobra.Command {
	p := record.Player{}
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Play a recorded session back in the terminal",
		Long: `Play back a session recorded with --record (or record.dir in the config file):
an asciicast v2 file, asciinema's format, which asciinema and its web player
read too. Only the output is shown, with its pauses; --speed plays faster and
--idle-limit shortens long pauses. FILE - reads standard input.

A recording is made on the client and is not tamper-proof: it shows what the
client showed, as the machine it was written on kept it.`,
		Example: `  # Twice as fast, no pause longer than a second
  kubectl eshell replay ./incident-42.cast --speed 2 --idle-limit 1s`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			in := o.In
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("opening the recording: %w", err)
				}
				defer func() { _ = f.Close() }()
				in = f
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt)
			defer stop()
			if p.IdleLimit < 0 {
				return fmt.Errorf("--idle-limit %s is negative: use a positive duration like 2s, or 0 for the file's own limit", p.IdleLimit)
			}
			return p.Replay(ctx, in, o.Out)
		},
	}
	cmd.Flags().Float64Var(&p.Speed, "speed", 1, "play this many times as fast (0.5: half as fast)")
	cmd.Flags().DurationVar(&p.IdleLimit, "idle-limit", 0, "shorten every pause longer than this to this (default: the file's idle_time_limit, else none)")
	return cmd
}
