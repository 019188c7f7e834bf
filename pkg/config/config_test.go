package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	want := Config{
		Mode:              "clone",
		DebugImage:        "busybox:1.37",
		EnvLabel:          "envs.sberz.de/name",
		Preset:            "",
		IdleTimeout:       30 * time.Minute,
		MaxDuration:       2 * time.Hour,
		PodRunningTimeout: 2 * time.Minute,
		HeartbeatTimeout:  20 * time.Second,
		Shells:            []string{"bash", "sh"},
	}
	if diff := cmp.Diff(want, Defaults()); diff != "" {
		t.Errorf("Defaults() (-want +got):\n%s", diff)
	}
}

func TestLoadMissing(t *testing.T) {
	for _, path := range []string{"", filepath.Join(t.TempDir(), "nope", "config.yaml")} {
		cfg, err := Load(path)
		if err != nil || !cmp.Equal(cfg, Defaults()) {
			t.Errorf("Load(%q) = %+v, %v; want Defaults(), nil", path, cfg, err)
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    func(*Config)
	}{
		{"empty file", "", func(*Config) {}},
		{"comments only", "# mode: exec\n", func(*Config) {}},
		{"everything", `
mode: debug
debugImage: nicolaka/netshoot:v0.13
envLabel: example.com/env
idleTimeout: 1h30m
maxDuration: 8h
podRunningTimeout: 45s
heartbeatTimeout: 1m
preset: django
`, func(c *Config) {
			*c = Config{Mode: "debug", DebugImage: "nicolaka/netshoot:v0.13", EnvLabel: "example.com/env", Preset: "django",
				IdleTimeout: 90 * time.Minute, MaxDuration: 8 * time.Hour, PodRunningTimeout: 45 * time.Second, HeartbeatTimeout: time.Minute,
				Shells: []string{"bash", "sh"}}
		}},
		{"some fields keep the others' defaults", "mode: exec\n", func(c *Config) { c.Mode = "exec" }},
		{"record the command line", "recordCommand: true\n", func(c *Config) { c.RecordCommand = true }},
		{"reasons", "requireReason: true\nreasonPattern: '^[A-Z]+-[0-9]+'\n", func(c *Config) { c.RequireReason, c.ReasonPattern = true, "^[A-Z]+-[0-9]+" }},
		{"recordings", "record:\n  dir: /var/rec\n  required: true\n", func(c *Config) { c.Record = Record{Dir: "/var/rec", Required: true} }},
		{"record null", "record:\n", func(*Config) {}},
		{"zero disables the timeouts", "idleTimeout: 0\nmaxDuration: 0s\n", func(c *Config) { c.IdleTimeout, c.MaxDuration = 0, 0 }},
		{"null and empty keep defaults", "mode:\ndebugImage: ''\nidleTimeout: ~\npreset:\nshells:\n", func(*Config) {}},
		{"environment status filter", "envStatus: 'deployed,!migrating'\n", func(c *Config) { c.EnvStatus = "deployed,!migrating" }},
		{"shells in order", "shells: [zsh, fish, /bin/ash]\n", func(c *Config) { c.Shells = []string{"zsh", "fish", "/bin/ash"} }},
		{"an empty list of shells keeps the default", "shells: []\n", func(*Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := Defaults()
			tt.want(&want)
			got, err := Load(write(t, tt.content))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // after "<file>:"
	}{
		{"syntax", "mode: clone\nidleTimeout: [1m\n", `2: invalid YAML`},
		{"unknown field", "mode: clone\n\nidle_timeout: 5m\n", `3: unknown field "idle_timeout" in config; known fields are debugImage, envLabel, envStatus, heartbeatTimeout, idleTimeout, maxDuration, mode, podRunningTimeout, preset, reasonPattern, record, recordCommand, requireReason, shells`},
		{"bad pattern", "reasonPattern: '[A-Z'\n", `1: reasonPattern: error parsing regexp: missing closing ]`},
		{"record not a mapping", "record: true\n", `1: expected record as a mapping of key: value, found the value "true"`},
		{"unknown record field", "record:\n  path: x\n", `2: unknown field "path" in record; known fields are dir, required`},
		{"bad record boolean", "record:\n  required: sometimes\n", `2: record.required: "sometimes" is not a boolean`},
		{"bad status filter", "envStatus: deployed,,x\n", `1: envStatus: status filter "deployed,,x": term "" is not a check name`},
		{"shells as one value", "shells: zsh\n", `1: shells must be a list like [a, b], found the value "zsh"`},
		{"a shell that is no program name", "shells: [zsh, 'fish; rm']\n", `1: shells: shell "fish; rm" is not a program name`},
		{"bad boolean", "recordCommand: yes please\n", `1: recordCommand: "yes please" is not a boolean; write true or false`},
		{"field twice", "mode: exec\nmode: debug\n", `2: field "mode" is set twice in config (first on line 1)`},
		{"bad mode", "# settings\nmode: attach\n", `2: mode: invalid mode "attach": use one of clone, debug or exec`},
		{"bad duration", "idleTimeout: 30\n", `1: idleTimeout: time: missing unit in duration "30"; write a duration like 90s, 30m or 1h30m`},
		{"bad unit", "maxDuration: 2 hours\n", `1: maxDuration: time: unknown unit`},
		{"negative duration", "maxDuration: -1h\n", `1: maxDuration: -1h0m0s is negative: use a duration from 1s to 168h0m0s, or 0 for none`},
		{"zero pod timeout", "podRunningTimeout: 0\n", `1: podRunningTimeout: 0s is too short: use a duration from 1s to 1h0m0s`},
		{"nanosecond idle timeout", "idleTimeout: 1ns\n", `1: idleTimeout: 1ns is too short: use a duration from 1s to 24h0m0s, or 0 for none`},
		{"year-long clone", "maxDuration: 8760h\n", `1: maxDuration: 8760h0m0s is too long: use a duration from 1s to 168h0m0s, or 0 for none`},
		{"duration as a list", "idleTimeout: [1m]\n", `1: idleTimeout must be a single value, found a list`},
		{"bad label", "envLabel: not a label\n", `1: envLabel: "not a label" is not a valid label key`},
		{"not a mapping", "- mode: exec\n", `1: expected config as a mapping of key: value, found a list`},
		{"two documents", "mode: exec\n---\nmode: clone\n", `3: config file holds 2 YAML documents; keep only one`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, tt.content)
			cfg, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", cfg)
			}
			if want := path + ":" + tt.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n  %v\ndoes not start with\n  %s", err, want)
			}
			if !cmp.Equal(cfg, Defaults()) {
				t.Errorf("with the error Load returned %+v, want Defaults()", cfg)
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir() // a directory where the file should be
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "reading config file") {
		t.Errorf("Load(directory) = %v, want a read error", err)
	}
}

func TestPaths(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	for _, tt := range []struct{ xdg, dir string }{
		{"/xdg", "/xdg/kubectl-eshell"},
		{"", "/home/u/.config/kubectl-eshell"},
		{"relative/ignored", "/home/u/.config/kubectl-eshell"}, // as the XDG spec says
	} {
		t.Setenv("XDG_CONFIG_HOME", tt.xdg)
		if got := Dir(); got != tt.dir {
			t.Errorf("XDG_CONFIG_HOME=%q: Dir() = %q, want %q", tt.xdg, got, tt.dir)
		}
		if got, want := DefaultPath(), tt.dir+"/config.yaml"; got != want {
			t.Errorf("XDG_CONFIG_HOME=%q: DefaultPath() = %q, want %q", tt.xdg, got, want)
		}
	}

	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "")
	if d, p := Dir(), DefaultPath(); d != "" || p != "" {
		t.Errorf("without XDG_CONFIG_HOME and HOME: Dir() = %q, DefaultPath() = %q; want both empty", d, p)
	}
}

// Whatever the file holds, Parse neither panics nor accepts a duration
// out of bounds, and a refusal is one line.
func FuzzParse(f *testing.F) {
	f.Add([]byte("mode: clone\nidleTimeout: 30m\nmaxDuration: 2h\npodRunningTimeout: 2m\nrecordCommand: true\n"))
	f.Add([]byte("idleTimeout: 1ns\n"))
	f.Add([]byte("- mode: exec\n---\nmode: [1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("config.yaml", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !reflect.DeepEqual(cfg, Defaults()) {
				t.Fatalf("refusal %q is not one line, or came with %+v", err, cfg)
			}
			return
		}
		for _, c := range []struct {
			b Bound
			d time.Duration
		}{{IdleTimeoutBound, cfg.IdleTimeout}, {MaxDurationBound, cfg.MaxDuration}, {PodRunningTimeoutBound, cfg.PodRunningTimeout},
			{HeartbeatTimeoutBound, cfg.HeartbeatTimeout}} {
			if err := c.b.Check(c.d); err != nil {
				t.Fatalf("accepted %v", err)
			}
		}
	})
}
