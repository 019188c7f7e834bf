package preset

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sandbox is a directory with a bin/ of fake programs, used as the whole
// PATH so that whatever the test machine has installed cannot interfere.
type sandbox struct {
	t    *testing.T
	bin  string // the PATH
	work string // the working directory
	env  []string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	sh, err := exec.LookPath("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh:", err)
	}
	root := t.TempDir()
	s := &sandbox{t: t, bin: filepath.Join(root, "bin"), work: filepath.Join(root, "work")}
	for _, d := range []string{s.bin, s.work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Script runs each condition with "sh -c", found on PATH.
	if err := os.Symlink(sh, filepath.Join(s.bin, "sh")); err != nil {
		t.Fatal(err)
	}
	return s
}

// program adds an executable shell script to dir (s.bin when dir is "").
func (s *sandbox) program(dir, name, body string) {
	s.t.Helper()
	if dir == "" {
		dir = s.bin
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

// echoer adds a program that prints its name and arguments.
func (s *sandbox) echoer(name string) {
	s.program("", name, `printf '%s' "${0##*/}"; for a; do printf ' <%s>' "$a"; done; echo`)
}

type result struct {
	stdout, stderr string
	code           int
	pid            int
}

func (s *sandbox) run(p *Preset, stdin string) result {
	s.t.Helper()
	argv := p.Argv()
	if len(argv) != 3 || argv[0] != "sh" || argv[1] != "-c" || argv[2] != p.Script() {
		s.t.Fatalf("Argv() = %q, want [sh -c <Script()>]", argv)
	}
	cmd := exec.Command("/bin/sh", "-c", argv[2])
	cmd.Dir = s.work
	cmd.Env = append([]string{"PATH=" + s.bin, "HOME=" + s.work}, s.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), pid: cmd.Process.Pid}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		s.t.Fatalf("running the script: %v", err)
	}
	return r
}

func preset(cmds ...Command) *Preset { return &Preset{Name: "test", Commands: cmds} }

func cmdline(argv ...string) Command { return Command{Argv: argv} }

func when(cond string, argv ...string) Command { return Command{Argv: argv, When: cond} }

func TestScriptChoosesFirstAvailable(t *testing.T) {
	tests := []struct {
		name  string
		p     *Preset
		stdin string
		want  string
	}{
		{"first when its condition succeeds", preset(when("true", "tool-a", "x"), cmdline("tool-b")), "", "tool-a <x>\n"},
		{"next when the condition fails", preset(when("exit 3", "tool-a", "x"), cmdline("tool-b", "y")), "", "tool-b <y>\n"},
		{"next when the program is not on PATH", preset(cmdline("no-such-tool"), cmdline("tool-b")), "", "tool-b\n"},
		{"condition with quotes", preset(when(`[ "$(printf '%s' "it's")" = "it's" ]`, "tool-a")), "", "tool-a\n"},
		{"relative path in the working directory", preset(cmdline("bin/tool-rel", "c"), cmdline("tool-b")), "", "tool-rel <c>\n"},
		{
			// A condition neither prints into the console nor reads what
			// the user types: stdin reaches the chosen command intact.
			"condition output and stdin are kept away", preset(when(`echo noise; read line && [ -n "$line" ]`, "tool-a"), cmdline("cat")),
			"typed\n", "typed\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			s.echoer("tool-a")
			s.echoer("tool-b")
			s.program(filepath.Join(s.work, "bin"), "tool-rel", `printf '%s' "${0##*/}"; for a; do printf ' <%s>' "$a"; done; echo`)
			s.program("", "cat", `while IFS= read -r l; do printf '%s\n' "$l"; done`)
			r := s.run(tt.p, tt.stdin)
			if r.code != 0 || r.stdout != tt.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 0, stdout %q\nscript:\n%s", r.code, r.stdout, r.stderr, tt.want, tt.p.Script())
			}
		})
	}
}

func TestScriptSkipsConditionOfMissingProgram(t *testing.T) {
	s := newSandbox(t)
	s.echoer("tool-b")
	r := s.run(preset(when("echo probe-ran >&2", "no-such-tool"), cmdline("tool-b")), "")
	if strings.Contains(r.stderr, "probe-ran") || r.stdout != "tool-b\n" {
		t.Errorf("stdout %q, stderr %q; want tool-b to run without the condition of the missing program", r.stdout, r.stderr)
	}
}

func TestScriptNothingAvailable(t *testing.T) {
	s := newSandbox(t)
	s.echoer("tool-a")
	p := preset(
		cmdline("nope1", "with space"),
		when("true", "nope2"),
		when("echo broken condition >&2; false", "tool-a", "it's"),
		cmdline("./missing"),
	)
	r := s.run(p, "")
	want := strings.Join([]string{
		"broken condition", // a condition's stderr stays visible
		`eshell: preset "test" has no command that can run in this container; it tried:`,
		"  nope1 'with space': nope1 is not on PATH",
		"  nope2: nope2 is not on PATH",
		`  tool-a 'it'\''s': condition failed: echo broken condition >&2; false`,
		"  ./missing: ./missing is not an executable file in " + s.work,
		"use the shell preset for a plain shell, or give the command to run explicitly",
	}, "\n") + "\n"
	if r.code != 127 {
		t.Errorf("exit %d, want 127", r.code)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
	if diff := cmp.Diff(want, r.stderr); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

// The chosen command replaces the shell: it has the shell's pid, and its
// exit status, even 1 from a console the user left, is final.
func TestScriptExecs(t *testing.T) {
	s := newSandbox(t)
	s.program("", "console", `echo $$; exit 1`)
	s.echoer("tool-b")
	r := s.run(preset(cmdline("console"), cmdline("tool-b")), "")
	if r.code != 1 {
		t.Errorf("exit %d, want the console's 1", r.code)
	}
	if strings.Contains(r.stdout, "tool-b") {
		t.Errorf("the next command ran after the console exited 1: %q", r.stdout)
	}
	if got := strings.TrimSpace(r.stdout); got != strconv.Itoa(r.pid) {
		t.Errorf("console ran as pid %s, not as the shell's pid %d: it was not exec'ed", got, r.pid)
	}
}

func TestScriptQuotesArguments(t *testing.T) {
	args := []string{"a b", "it's", `"double"`, "$HOME", "", "*", `back\slash`, "new\nline", "-n", "`id`", "ä €", "a'b\"c$(d)", "\t"}
	s := newSandbox(t)
	s.program("", "printargs", `for a; do printf '<%s>\n' "$a"; done`)
	r := s.run(preset(cmdline(append([]string{"printargs"}, args...)...)), "")
	var want strings.Builder
	for _, a := range args {
		want.WriteString("<" + a + ">\n")
	}
	if diff := cmp.Diff(want.String(), r.stdout); diff != "" || r.code != 0 {
		t.Errorf("exit %d, stderr %q; arguments (-want +got):\n%s", r.code, r.stderr, diff)
	}
}

func TestBuiltinScripts(t *testing.T) {
	reg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range reg.List() {
		if p.Script() == "" {
			continue
		}
		if out, err := exec.Command("/bin/sh", "-n", "-c", p.Script()).CombinedOutput(); err != nil {
			t.Errorf("%s: script does not parse: %v\n%s\n%s", p.Name, err, out, p.Script())
		}
	}

	django, _ := reg.Get("django")
	t.Run("django with django-extensions", func(t *testing.T) {
		s := newSandbox(t)
		s.program("", "python", `[ "$2" = help ] && { [ -n "$HAS_EXT" ]; exit; }; printf 'python'; for a; do printf ' <%s>' "$a"; done; echo`)
		s.env = []string{"HAS_EXT=1"}
		if r := s.run(django, ""); r.stdout != "python <manage.py> <shell_plus>\n" {
			t.Errorf("stdout %q, stderr %q; want shell_plus", r.stdout, r.stderr)
		}
	})
	t.Run("django without django-extensions", func(t *testing.T) {
		s := newSandbox(t)
		s.program("", "python", `[ "$2" = help ] && { echo "Unknown command: 'shell_plus'" >&2; exit 1; }; printf 'python'; for a; do printf ' <%s>' "$a"; done; echo`)
		if r := s.run(django, ""); r.stdout != "python <manage.py> <shell>\n" || r.stderr != "" {
			t.Errorf("stdout %q, stderr %q; want a quiet fallback to shell", r.stdout, r.stderr)
		}
	})

	rails, _ := reg.Get("rails")
	t.Run("rails binstub", func(t *testing.T) {
		s := newSandbox(t)
		s.echoer("bundle")
		s.program(filepath.Join(s.work, "bin"), "rails", `printf 'bin/rails'; for a; do printf ' <%s>' "$a"; done; echo`)
		if r := s.run(rails, ""); r.stdout != "bin/rails <console>\n" {
			t.Errorf("stdout %q, stderr %q; want bin/rails console", r.stdout, r.stderr)
		}
	})
	t.Run("rails through bundler", func(t *testing.T) {
		s := newSandbox(t)
		s.echoer("bundle")
		if r := s.run(rails, ""); r.stdout != "bundle <exec> <rails> <console>\n" {
			t.Errorf("stdout %q, stderr %q; want bundle exec rails console", r.stdout, r.stderr)
		}
	})
}

func TestScriptEmptyCommandDoesNotPanic(t *testing.T) {
	s := newSandbox(t)
	s.echoer("tool-b")
	if r := s.run(preset(Command{}, cmdline("tool-b")), ""); r.stdout != "tool-b\n" {
		t.Errorf("stdout %q, stderr %q; want the empty command skipped", r.stdout, r.stderr)
	}
}
