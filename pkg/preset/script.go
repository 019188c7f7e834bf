package preset

import (
	"fmt"
	"strings"

	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Script returns a POSIX sh script that starts the first available command of
// the preset, or "" when the preset has no commands.
//
// A command is available when its program exists (found with command -v, or,
// for a path with a '/', an executable file relative to the working
// directory) and its When condition, if any, succeeds. The choice is made
// BEFORE anything starts, never by looking at how a command exited: a
// console is interactive, and its exit status is the user's (leaving a
// Django shell after a failed statement, or with exit(1), is not a reason to
// start another console). So "shell_plus is missing" has to be asked with a
// condition (django's is `python manage.py help shell_plus`), not inferred
// from shell_plus exiting 1.
//
// The chosen command is exec'ed, so it replaces the shell: it gets the
// signals and the terminal, and its exit status is the session's. When no
// command is available the script lists each command and why it was skipped
// on stderr and exits 127, the shell's status for "command not found".
//
// Each condition runs in its own `sh -c`, so whatever it contains cannot
// break the script around it or change its state, with stdin from /dev/null
// so it cannot eat what the user types, and stdout to /dev/null so it cannot
// print into the console. Its stderr is left alone: a broken condition
// should be visible rather than silently skip a command; conditions that fail
// noisily by design redirect their own stderr.
func (p *Preset) Script() string {
	if len(p.Commands) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("# kubectl-eshell preset: start the first available command\n")
	reasons := make([]string, len(p.Commands))
	for i, c := range p.Commands {
		reasons[i] = fmt.Sprintf(`"$eshell_skip_%d"`, i+1)
		if len(c.Argv) == 0 {
			// Load refuses these; a Preset built in code may still have one.
			fmt.Fprintf(&b, "eshell_skip_%d='  (empty command)'\n", i+1)
			continue
		}
		shown := "  " + shell.Quote(c.Argv) + ": "
		prog := c.Argv[0]
		var found, missing string
		if strings.Contains(prog, "/") {
			found = fmt.Sprintf("[ -f %[1]s ] && [ -x %[1]s ]", shell.Word(prog))
			// $PWD is left outside the quotes so the message shows where
			// the relative path was looked up.
			missing = shell.SingleQuote(shown+prog+" is not an executable file in ") + `"$PWD"`
		} else {
			found = fmt.Sprintf("command -v %s >/dev/null 2>&1", shell.Word(prog))
			missing = shell.SingleQuote(shown + prog + " is not on PATH")
		}
		exec := "exec " + shell.Quote(c.Argv)
		if c.When == "" {
			fmt.Fprintf(&b, "if %s; then\n\t%s\nfi\n", found, exec)
			fmt.Fprintf(&b, "eshell_skip_%d=%s\n", i+1, missing)
			continue
		}
		fmt.Fprintf(&b, "if %s; then\n", found)
		fmt.Fprintf(&b, "\tif sh -c %s </dev/null >/dev/null; then\n\t\t%s\n\tfi\n", shell.SingleQuote(c.When), exec)
		fmt.Fprintf(&b, "\teshell_skip_%d=%s\n", i+1, shell.SingleQuote(shown+"condition failed: "+c.When))
		fmt.Fprintf(&b, "else\n\teshell_skip_%d=%s\nfi\n", i+1, missing)
	}
	fmt.Fprintf(&b, "printf '%%s\\n' %s \\\n\t%s \\\n\t%s >&2\nexit 127\n",
		shell.SingleQuote(fmt.Sprintf("eshell: preset %q has no command that can run in this container; it tried:", p.Name)),
		strings.Join(reasons, " "),
		shell.SingleQuote("use the shell preset for a plain shell, or give the command to run explicitly"))
	return b.String()
}

// Argv returns the command that runs Script, or nil when the preset has no
// commands and the caller should start the container's shell.
func (p *Preset) Argv() []string {
	s := p.Script()
	if s == "" {
		return nil
	}
	return []string{"sh", "-c", s}
}

// quote returns s as one single-quoted shell word. Inside single quotes
// nothing is special except the quote itself, which is written as a closing
