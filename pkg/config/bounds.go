package config

import (
	"fmt"
	"time"

	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Bound is the range a duration setting may take, the same as a flag and
// in the config file. Outside it a value is a mistake, not a choice: a
// nanosecond idle timeout ends every session before its first byte (and
// used to panic), a year-long clone outlives whoever forgot it.
type Bound struct {
	// Flag and Field name the setting on the command line and in the file.
	Flag, Field string
	Min, Max    time.Duration
	// Off is true when 0 is allowed and switches the bound off.
	Off bool
}

// The bounds of the duration settings.
var (
	IdleTimeoutBound = Bound{Flag: "--idle-timeout", Field: fieldIdleTimeout, Min: time.Second, Max: 24 * time.Hour, Off: true}
	// MaxDuration's 0 is refused where the mode needs a bound (clone).
	MaxDurationBound       = Bound{Flag: "--max-duration", Field: fieldMaxDuration, Min: time.Second, Max: 7 * 24 * time.Hour, Off: true}
	PodRunningTimeoutBound = Bound{Flag: "--pod-running-timeout", Field: fieldPodRunningTimeout, Min: time.Second, Max: time.Hour}
	// A lifeline's heartbeat arrives every few seconds: a shorter timeout
	// would end healthy sessions on a busy link (see shell.MinHeartbeatTimeout).
	HeartbeatTimeoutBound = Bound{Flag: "--heartbeat-timeout", Field: fieldHeartbeatTimeout, Min: shell.MinHeartbeatTimeout, Max: shell.MaxHeartbeatTimeout}
)

// MaxEnvFile is the largest --set-env-file read: the values go into one
// Secret, which the API server caps at 1 MiB.
const MaxEnvFile = 1 << 20

// Check refuses d outside b, in the words of the flag.
func (b Bound) Check(d time.Duration) error {
	return b.check(b.Flag, d)
}

func (b Bound) check(name string, d time.Duration) error {
	switch {
	case d == 0 && b.Off:
		return nil
	case d < 0:
		return fmt.Errorf("%s %s is negative: use a duration from %s to %s%s", name, d, b.Min, b.Max, b.offHint())
	case d < b.Min:
		return fmt.Errorf("%s %s is too short: use a duration from %s to %s%s", name, d, b.Min, b.Max, b.offHint())
	case d > b.Max:
		return fmt.Errorf("%s %s is too long: use a duration from %s to %s%s", name, d, b.Min, b.Max, b.offHint())
	}
	return nil
}

func (b Bound) offHint() string {
	if b.Off {
		return ", or 0 for none"
	}
	return ""
}
