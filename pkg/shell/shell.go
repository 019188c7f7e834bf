// Package shell builds the commands eshell runs remotely: the shell
// auto-detection, and the lifeline that bounds a session's container to
// its client.
package shell

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultShells is the preference when neither --shell nor the config
// file's shells: gives one: bash where the image has it, else sh.
var DefaultShells = []string{"bash", "sh"}

// Detect is the argv that starts the default shell (see Choose).
func Detect() []string { return Choose(DefaultShells, false) }

// Choose is the argv that starts the first shell of prefs the image has,
// decided inside the container by sh in the same exec, so the choice
// costs no round trip. sh is the last resort whatever prefs say: every
// image a shell can be opened in has it. With note, the script says on
// stderr which shell it started and which preferred ones the image
// lacks: "eshell: starting sh (not in the image: zsh)". No prefs are
// DefaultShells.
func Choose(prefs []string, note bool) []string {
	if len(prefs) == 0 {
		prefs = DefaultShells
	}
	var b strings.Builder
	b.WriteString("m=; for s in")
	for _, p := range prefs {
		b.WriteString(" " + SingleQuote(p))
	}
	b.WriteString("; do if command -v \"$s\" >/dev/null 2>&1; then ")
	if note {
		b.WriteString(`echo "eshell: starting $s${m:+ (not in the image:$m)}" >&2; `)
	}
	b.WriteString(`exec "$s"; fi; m="$m $s"; done; `)
	if note {
		b.WriteString(`echo "eshell: starting sh${m:+ (not in the image:$m)}" >&2; `)
	}
	b.WriteString("exec sh")
	return []string{"sh", "-c", b.String()}
}

// CheckName refuses a shell name that is not a plain program name or
// path (letters, digits and -_./+), before it reaches a command line.
func CheckName(name string) error {
	if name == "" {
		return errors.New("a shell name is empty: give a program such as zsh, bash, fish, ash or sh")
	}
	for _, r := range name {
		if !isPlain(r) || strings.ContainsRune(":,@%", r) {
			return fmt.Errorf("shell %q is not a program name: use letters, digits and -_./+ only, e.g. zsh or /bin/zsh", name)
		}
	}
	return nil
}

// Gate is what a client sends once attached. A Lifeline waits for it, so
// a client that never connects is told apart from one that did. On a
// terminal it is Ctrl-D: read sees end of input and the terminal does not
// echo it. Through a pipe it is a newline.
func Gate(tty bool) string {
	if tty {
		return "\x04"
	}
	return "\n"
}

// ContainerArgv escapes argv for a container's command: the kubelet expands
// $(VAR) and turns $$ into $ there (not in exec), so every $ is doubled to
// reach the process unchanged.
func ContainerArgv(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = strings.ReplaceAll(a, "$", "$$")
	}
	return out
}

// NoShell reports whether a failure means the image has no shell (the
// runtime could not find the program); callers suggest --mode debug.
func NoShell(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "executable file not found") || strings.Contains(s, "no such file or directory")
}

// Quote renders argv as one command line that sh reads back as exactly
// argv: plain words stay as they are, anything else is single-quoted, and a
// first word sh would take for a keyword ("if", "{") is quoted so it stays a
// program. It is the one quoting eshell uses, for messages, annotations,
// Events and the scripts of presets.
func Quote(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = Word(a)
		if i == 0 && IsReserved(a) {
			words[i] = SingleQuote(a)
		}
	}
	return strings.Join(words, " ")
}

// Word quotes s for sh only when needed, to keep what humans read readable.
func Word(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !isPlain(r) {
			return SingleQuote(s)
		}
	}
	return s
}

// SingleQuote always quotes s: the one form in which sh expands nothing.
func SingleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isPlain reports whether r never needs quoting in a shell word, wherever it
// appears in the word. "=" is not plain: a first word with it would be read
// as an assignment.
func isPlain(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("-_./:,+@%", r)
}

// IsReserved reports whether sh would read w, as the first word, as part of
// its grammar rather than as a program name.
func IsReserved(w string) bool {
	switch w {
	case "!", "{", "}", "if", "then", "else", "elif", "fi", "while", "until", "for", "do", "done", "case", "esac":
		return true
	}
	return false
}
