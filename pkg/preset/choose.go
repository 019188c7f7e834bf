package preset

import (
	"fmt"
	"strings"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Inputs is everything that may choose a session's console.
type Inputs struct {
	// UserCommand is the user's own command (after -- or --command).
	UserCommand []string
	// Flag is --preset.
	Flag string
	// Workload names the workload in messages (deploy/web).
	Workload string
	// Annotations are the workload's annotations that choose a preset; see
	// WorkloadAnnotations.
	Annotations map[string]string
	// Config is the preset of the config file.
	Config string
}

// Choice is what the preset decided. Empty fields decide nothing.
type Choice struct {
	// Command runs instead of the shell; nil keeps the user's command, or
	// the shell.
	Command []string
	// Mode is the preset's mode, to use unless --mode was given.
	Mode mode.Mode
	// DebugImage is the preset's debug image, to use unless --image was given.
	DebugImage string
	// Note tells the user where the choice came from; "" says nothing.
	Note string
}

// Choose applies the precedence of presets: --preset, else the workload's
// annotations (a command line before a preset name), else the config file's
// preset, else the shell. A command of the user's is never replaced, and
// then only a preset named with --preset still brings its mode and debug
// image: the workload's or the config file's choice of console no longer
// applies.
func Choose(r *Registry, in Inputs) (Choice, error) {
	userCmd := len(in.UserCommand) > 0
	if userCmd && in.Flag == "" {
		return Choice{}, nil
	}
	var p *Preset
	var command []string
	var err error
	from := ""
	switch {
	case in.Flag != "":
		if p, err = r.Get(in.Flag); err != nil {
			return Choice{}, fmt.Errorf("--preset: %w", err)
		}
	default:
		if p, command, err = ForWorkload(in.Annotations, r); err != nil {
			return Choice{}, fmt.Errorf("%s: %w", in.Workload, err)
		}
		switch {
		case command != nil:
			from = fmt.Sprintf(" (from the annotation %s of %s)", keys.WorkloadCommandAnnotation, in.Workload)
		case p != nil:
			from = fmt.Sprintf(" (from the annotation %s of %s)", keys.PresetAnnotation, in.Workload)
		case in.Config != "":
			if p, err = r.Get(in.Config); err != nil {
				return Choice{}, fmt.Errorf("preset in the config file: %w", err)
			}
			from = " (from the config file)"
		default:
			if p, err = r.Get(DefaultName); err != nil {
				return Choice{}, err
			}
		}
	}
	var c Choice
	if !userCmd {
		switch {
		case command != nil:
			c.Command = command
			c.Note = "Running " + shell.Quote(command) + from
		case p != nil:
			c.Command = p.Argv()
			if from != "" {
				c.Note = "Using preset " + p.Name + from
			}
		}
	}
	if p != nil {
		c.Mode, c.DebugImage = p.Mode, p.DebugImage
	}
	return c, nil
}

// WorkloadAnnotations are the annotations that choose a workload's preset:
// the object's own, or, when they choose nothing, its pod template's.
func WorkloadAnnotations(object, template map[string]string) map[string]string {
	chooses := func(a map[string]string) bool {
		return strings.TrimSpace(a[keys.PresetAnnotation]) != "" || strings.TrimSpace(a[keys.WorkloadCommandAnnotation]) != ""
	}
	if chooses(object) {
		return object
	}
	return template
}
