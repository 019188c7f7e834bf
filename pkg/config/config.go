// Package config reads the user's kubectl-eshell settings from
// $XDG_CONFIG_HOME/kubectl-eshell/config.yaml (~/.config/... when the
// variable is unset). The file only changes defaults; command-line flags,
// applied by the caller on top of the result of Load, always win.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/validate/content"

	"github.com/sberz/kubectl-eshell/pkg/config/yamlfile"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/picker"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Config holds the settings of config.yaml, with defaults filled in.
type Config struct {
	// Mode is the session mode used when neither a flag nor a preset picks one.
	Mode mode.Mode
	// DebugImage is the image of ephemeral containers in debug mode.
	DebugImage string
	// EnvLabel is the namespace label that marks an ephemeral environment.
	EnvLabel string
	// Preset is the default preset name; "" means the built-in default.
	Preset string
	// IdleTimeout ends a session without input for this long; 0 disables it.
	IdleTimeout time.Duration
	// MaxDuration ends a session after this long in any case; 0 disables it.
	MaxDuration time.Duration
	// PodRunningTimeout bounds the wait for a clone pod to start running.
	PodRunningTimeout time.Duration
	// HeartbeatTimeout ends a clone or debug session on the server once
	// its client sent no heartbeat for this long.
	HeartbeatTimeout time.Duration
	// RecordCommand writes the whole command line, arguments included,
	// into the clone's annotations and the audit Events; by default only
	// the program and the number of arguments, since arguments may hold
	// secrets that anyone who may read pods or Events would see.
	RecordCommand bool
	// RequireReason refuses a session without a stated reason (--reason,
	// asked on a terminal).
	RequireReason bool
	// ReasonPattern is a regular expression every reason must match (a
	// ticket id, say); "" accepts any. It is checked to compile on Load.
	ReasonPattern string
	// EnvStatus filters the environments the picker shows by their
	// status checks, as --env-status does ("deployed,!migrating").
	EnvStatus string
	// Shells is the order in which a shell is looked for in the image
	// when no command is given; sh is the last resort in any case.
	Shells []string
	// Record is where and whether terminal sessions are recorded.
	Record Record
}

// Record is the config's record: mapping.
type Record struct {
	// Dir receives a recording of every terminal session when set (a file
	// named after the session), unless --record names another file.
	Dir string
	// Required refuses a terminal session that would not be recorded.
	Required bool
}

// Defaults returns the settings used when config.yaml is absent or leaves a
// field out.
func Defaults() Config {
	return Config{
		Mode:              mode.Clone,
		DebugImage:        "busybox:1.37",
		EnvLabel:          keys.EnvNameLabel,
		Preset:            "",
		IdleTimeout:       30 * time.Minute,
		MaxDuration:       2 * time.Hour,
		PodRunningTimeout: 2 * time.Minute,
		HeartbeatTimeout:  20 * time.Second,
		Shells:            slices.Clone(shell.DefaultShells),
	}
}

// Dir returns kubectl-eshell's configuration directory:
// $XDG_CONFIG_HOME/kubectl-eshell, or ~/.config/kubectl-eshell. It is
// ~/.config on every OS, not os.UserConfigDir, so that one set of
// instructions fits Linux and macOS users alike. It returns "" when neither
// the variable nor the home directory is known; there is then no user
// configuration.
func Dir() string {
	// The XDG spec says to ignore a relative XDG_CONFIG_HOME.
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "kubectl-eshell")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".config", "kubectl-eshell")
}

// DefaultPath returns where config.yaml is looked for, or "" if there is no
// configuration directory (see Dir).
func DefaultPath() string {
	d := Dir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, "config.yaml")
}

// Path is the config file to read: flag (--config) when given, else
// DefaultPath.
func Path(flag string) string {
	if flag != "" {
		return flag
	}
	return DefaultPath()
}

// Field names in config.yaml.
const (
	fieldMode              = "mode"
	fieldDebugImage        = "debugImage"
	fieldEnvLabel          = "envLabel"
	fieldPreset            = "preset"
	fieldIdleTimeout       = "idleTimeout"
	fieldMaxDuration       = "maxDuration"
	fieldPodRunningTimeout = "podRunningTimeout"
	fieldRecordCommand     = "recordCommand"
	fieldRequireReason     = "requireReason"
	fieldReasonPattern     = "reasonPattern"
	fieldRecord            = "record"
	fieldRecordDir         = "dir"
	fieldRecordRequired    = "required"
	fieldHeartbeatTimeout  = "heartbeatTimeout"
	fieldShells            = "shells"
	fieldEnvStatus         = "envStatus"
)

// Load reads the config file at path on top of Defaults. A missing file (or
// path "") is not an error: most users never write one. Fields left out, or
// set to null or "", keep their defaults. Any problem in the file is an
// error naming file and line, never silently ignored, because a setting that
// quietly does not apply (a typo in "idleTimeout", say) is worse than a
// refusal to start. Along with an error it returns Defaults().
func Load(path string) (Config, error) {
	cfg := Defaults()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("reading config file: %w; fix its permissions or remove it", err)
	}
	return Parse(path, data)
}

// Parse reads the config file data, named path in errors, on top of
// Defaults (see Load).
func Parse(path string, data []byte) (Config, error) {
	cfg := Defaults()
	docs, err := yamlfile.Documents(path, data)
	if err != nil {
		return cfg, err
	}
	switch len(docs) {
	case 0:
		return cfg, nil
	case 1:
	default:
		return cfg, yamlfile.Errorf(path, docs[1], "config file holds %d YAML documents; keep only one", len(docs))
	}
	fields, err := yamlfile.Fields(path, docs[0], "config",
		fieldMode, fieldDebugImage, fieldEnvLabel, fieldPreset,
		fieldIdleTimeout, fieldMaxDuration, fieldPodRunningTimeout, fieldRecordCommand,
		fieldRequireReason, fieldReasonPattern, fieldRecord, fieldHeartbeatTimeout, fieldShells, fieldEnvStatus)
	if err != nil {
		return cfg, err
	}
	// The record: mapping's keys join the others as record.dir and
	// record.required, which is also how messages name them.
	if f, ok := fields[fieldRecord]; ok && !yamlfile.IsNull(f.Value) {
		sub, err := yamlfile.Fields(path, f.Value, fieldRecord, fieldRecordDir, fieldRecordRequired)
		if err != nil {
			return Defaults(), err
		}
		for name, v := range sub {
			fields[fieldRecord+"."+name] = v
		}
	}

	str := func(name string, dst *string, check func(string) error) error {
		f, ok := fields[name]
		if !ok {
			return nil
		}
		v, err := yamlfile.String(path, f.Value, name)
		if err != nil {
			return err
		}
		v = strings.TrimSpace(v)
		if v == "" {
			return nil
		}
		if check != nil {
			if err := check(v); err != nil {
				return yamlfile.Errorf(path, f.Value, "%s: %w", name, err)
			}
		}
		*dst = v
		return nil
	}
	// scalar is the text of field name; ok is false when it is absent or
	// null, which keeps the default.
	scalar := func(name string) (f yamlfile.Field, v string, ok bool, err error) {
		f, ok = fields[name]
		if !ok || yamlfile.IsNull(f.Value) {
			return f, "", false, nil
		}
		v, err = yamlfile.String(path, f.Value, name)
		return f, v, err == nil, err
	}
	dur := func(b Bound, dst *time.Duration) error {
		f, v, ok, err := scalar(b.Field)
		if !ok {
			return err
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return yamlfile.Errorf(path, f.Value, "%s: %w; write a duration like 90s, 30m or 1h30m", b.Field, err)
		}
		if err := b.check(b.Field+":", d); err != nil {
			return yamlfile.Errorf(path, f.Value, "%w", err)
		}
		*dst = d
		return nil
	}

	boolean := func(name string, dst *bool) error {
		f, v, ok, err := scalar(name)
		if !ok {
			return err
		}
		switch strings.TrimSpace(v) {
		case "true":
			*dst = true
		case "false":
			*dst = false
		default:
			return yamlfile.Errorf(path, f.Value, "%s: %q is not a boolean; write true or false", name, v)
		}
		return nil
	}

	for _, err := range []error{
		str(fieldMode, (*string)(&cfg.Mode), func(s string) error { return mode.Mode(s).Check() }),
		str(fieldDebugImage, &cfg.DebugImage, nil),
		str(fieldEnvLabel, &cfg.EnvLabel, checkLabelKey),
		str(fieldPreset, &cfg.Preset, nil),
		str(fieldEnvStatus, &cfg.EnvStatus, checkStatusFilter),
		dur(IdleTimeoutBound, &cfg.IdleTimeout),
		dur(MaxDurationBound, &cfg.MaxDuration),
		// Zero would mean waiting forever for a pod that may never start.
		dur(PodRunningTimeoutBound, &cfg.PodRunningTimeout),
		dur(HeartbeatTimeoutBound, &cfg.HeartbeatTimeout),
		boolean(fieldRecordCommand, &cfg.RecordCommand),
		boolean(fieldRequireReason, &cfg.RequireReason),
		str(fieldReasonPattern, &cfg.ReasonPattern, checkPattern),
		str(fieldRecord+"."+fieldRecordDir, &cfg.Record.Dir, nil),
		boolean(fieldRecord+"."+fieldRecordRequired, &cfg.Record.Required),
		shells(path, fields, &cfg.Shells),
	} {
		if err != nil {
			return Defaults(), err
		}
	}
	return cfg, nil
}

// checkPattern rejects a reasonPattern that does not compile, here with its
// line rather than at the first session.
func checkPattern(p string) error {
	if _, err := regexp.Compile(p); err != nil {
		return fmt.Errorf("%w; write a Go regular expression, e.g. ^[A-Z]+-[0-9]+", err)
	}
	return nil
}

// shells reads the shells: list; null or an empty list keep the default.
func shells(path string, fields map[string]yamlfile.Field, dst *[]string) error {
	f, ok := fields[fieldShells]
	if !ok || yamlfile.IsNull(f.Value) {
		return nil
	}
	names, err := yamlfile.Strings(path, f.Value, fieldShells)
	if err != nil {
		return err
	}
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
		if err := shell.CheckName(names[i]); err != nil {
			return yamlfile.Errorf(path, f.Value, "%s: %w", fieldShells, err)
		}
	}
	if len(names) > 0 {
		*dst = names
	}
	return nil
}

// checkStatusFilter rejects an envStatus --env-status would refuse.
func checkStatusFilter(s string) error {
	_, err := picker.ParseStatusFilter(s)
	return err
}

// EnvLabelOr is the namespace label that marks an environment: flag
// (--env-label) when given, else the file's envLabel, which Load checked.
// Both go through checkLabelKey, so the label is settled in one place.
func (c Config) EnvLabelOr(flag string) (string, error) {
	flag = strings.TrimSpace(flag)
	if flag == "" {
		return c.EnvLabel, nil
	}
	if err := checkLabelKey(flag); err != nil {
		return "", fmt.Errorf("--env-label %w", err)
	}
	return flag, nil
}

// checkLabelKey rejects an envLabel the API server would refuse in a label
// selector, so the mistake shows up here, with a line number, rather than as
// a server error later.
func checkLabelKey(key string) error {
	if msgs := content.IsLabelKey(key); len(msgs) > 0 {
		return fmt.Errorf("%q is not a valid label key: %s", key, strings.Join(msgs, "; "))
	}
	return nil
}
