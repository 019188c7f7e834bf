// Package mode names the ways eshell opens a shell. It is a leaf package so
// that flags, the config file, presets, permission checks and the engines
// all agree on one spelling.
package mode

import "fmt"

// Mode is how a session reaches the workload.
type Mode string

const (
	// Clone runs a disposable copy of the workload's pod.
	Clone Mode = "clone"
	// Debug adds an ephemeral container to a running pod.
	Debug Mode = "debug"
	// Exec runs in the running container itself.
	Exec Mode = "exec"
)

// All lists the modes in the order help texts name them.
func All() []Mode { return []Mode{Clone, Debug, Exec} }

// Parse returns the mode s names, or an error that lists the valid ones.
func Parse(s string) (Mode, error) {
	m := Mode(s)
	if err := m.Check(); err != nil {
		return "", err
	}
	return m, nil
}

// Check returns an error unless m is one of the modes.
func (m Mode) Check() error {
	switch m {
	case Clone, Debug, Exec:
		return nil
	}
	return fmt.Errorf("invalid mode %q: use one of %s, %s or %s", string(m), Clone, Debug, Exec)
}

// Description is the one-line summary shown in completions.
func (m Mode) Description() string {
	switch m {
	case Clone:
		return "a disposable copy of the workload's pod"
	case Debug:
		return "a debug container in a running pod"
	case Exec:
		return "the running container itself"
	}
	return ""
}

// String is the name as typed on the command line.
func (m Mode) String() string { return string(m) }
