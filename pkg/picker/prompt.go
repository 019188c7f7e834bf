// Package picker asks the questions `kubectl eshell` needs answered when the
// user did not say on the command line: which environment (namespace), which
// service (workload) and which container. It finds the candidates in the
// cluster, renders them as aligned rows, and asks through a Prompter, or,
// without a terminal, explains which flag would have answered the question.
package picker

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/terminal"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/session"
)

// Prompter asks the user to choose one of options.
type Prompter interface {
	// Select shows message and options, with options[defaultIndex]
	// preselected, and returns the index of the chosen option.
	Select(message string, options []string, defaultIndex int) (int, error)
	// Confirm asks a yes/no question; Enter answers def.
	Confirm(question string, def bool) (bool, error)
}

// ErrInterrupted is returned when the user pressed Ctrl-C at a question.
var ErrInterrupted = errors.New("interrupted while choosing")

// PageSize is how many options a question shows at once; longer lists
// scroll, and typing filters them.
const PageSize = 15

// Survey is the Prompter on a terminal. It is the only user of
// github.com/AlecAivazis/survey/v2 (archived upstream), so replacing that
// library means replacing this type alone.
type Survey struct {
	In  terminal.FileReader
	Out terminal.FileWriter
	Err io.Writer
}

// NewSurvey returns a Survey reading keys from in and drawing on out, or nil
// when in or out is not a file (the caller checks that both are terminals).
func NewSurvey(in io.Reader, out io.Writer) *Survey {
	fin, ok := in.(terminal.FileReader)
	if !ok {
		return nil
	}
	fout, ok := out.(terminal.FileWriter)
	if !ok {
		return nil
	}
	return &Survey{In: fin, Out: fout, Err: fout}
}

// Select asks with survey's Select: arrows move, typing filters (by
// substring, ignoring case), Enter chooses.
func (s *Survey) Select(message string, options []string, defaultIndex int) (int, error) {
	if len(options) == 0 {
		return -1, errors.New("nothing to choose from")
	}
	if defaultIndex < 0 || defaultIndex >= len(options) {
		defaultIndex = 0
	}
	var idx int
	p := &survey.Select{Message: message, Options: options, Default: defaultIndex, PageSize: PageSize}
	err := survey.AskOne(p, &idx, survey.WithStdio(s.In, s.Out, s.Err))
	if errors.Is(err, terminal.InterruptErr) {
		return -1, ErrInterrupted
	}
	if err != nil {
		return -1, err
	}
	return idx, nil
}

// Confirm asks on one line, "question [Y/n] ", and reads the answer up to
// the end of the line: y or yes is yes, Enter is def, anything else no.
// survey's own Confirm asks the terminal for the cursor position first and
// hangs where no answer comes.
func (s *Survey) Confirm(question string, def bool) (bool, error) {
	hint := " [y/N] "
	if def {
		hint = " [Y/n] "
	}
	fmt.Fprint(s.Out, question+hint)
	switch a := readLine(s.In); a {
	case "":
		return def, nil
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// Question is one question a Scripted prompter was asked.
type Question struct {
	Message string
	Options []string
	Default int
}

// Scripted is a Prompter for tests. Each answer chooses the first option
// that contains it, ignoring case, as typing it into the filter and pressing
// Enter would; "" accepts the preselected option. A yes/no question takes
// "y" or "n", "" for its default. It records every question.
type Scripted struct {
	Answers []string
	Asked   []Question
}

// Select answers with the next scripted answer.
func (s *Scripted) Select(message string, options []string, defaultIndex int) (int, error) {
	s.Asked = append(s.Asked, Question{Message: message, Options: append([]string(nil), options...), Default: defaultIndex})
	if len(s.Answers) == 0 {
		return -1, fmt.Errorf("unexpected question %q (no scripted answer left)", message)
	}
	a := s.Answers[0]
	s.Answers = s.Answers[1:]
	if a == "" {
		return defaultIndex, nil
	}
	for i, o := range options {
		if strings.Contains(strings.ToLower(o), strings.ToLower(a)) {
			return i, nil
		}
	}
	return -1, fmt.Errorf("question %q: no option contains %q", message, a)
}

// Confirm answers a yes/no question with the next scripted answer; it is
// recorded with the options y and n.
func (s *Scripted) Confirm(question string, def bool) (bool, error) {
	d := 1
	if def {
		d = 0
	}
	i, err := s.Select(question, []string{"y", "n"}, d)
	return i == 0, err
}

// Confirm asks a yes/no question; only y or yes is yes. It reads byte by
// byte up to the end of the line, so no input meant for the session that
// follows is swallowed.
func Confirm(in io.Reader, out io.Writer, question string) bool {
	fmt.Fprint(out, question)
	switch readLine(in) {
	case "y", "yes":
		return true
	}
	return false
}

// Terminal asks questions on a terminal: In is where answers are typed,
// Out where questions are shown. Its methods are what an engine is given
// to ask with, so the asking needs nothing of the command line.
type Terminal struct {
	In  io.Reader
	Out io.Writer
}

// Confirm asks a yes/no question (see Confirm).
func (t Terminal) Confirm(question string) bool { return Confirm(t.In, t.Out, question) }

// Ask asks question on out and returns the line typed on in, trimmed,
// its case kept. It reads as Confirm does, so no input meant for the
// session that follows is swallowed; a terminal in its usual (cooked)
// mode echoes and edits the line.
func Ask(in io.Reader, out io.Writer, question string) string {
	fmt.Fprint(out, question)
	return strings.TrimSpace(rawLine(in))
}

// readLine reads up to the end of the line and returns it trimmed and in
// lower case.
func readLine(in io.Reader) string {
	return strings.ToLower(strings.TrimSpace(rawLine(in)))
}

// rawLine reads up to the end of the line, byte by byte so that nothing
// after it is consumed.
func rawLine(in io.Reader) string {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := in.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if err != nil {
			break
		}
	}
	return string(line)
}

// NewChooser asks on the terminal when s.In and s.Out are terminals; the
// questions are drawn on s.ErrOut when it is a terminal too, so s.Out stays
// the session's. Without terminals it asks nothing and explains which flag
// answers the question. info receives notes; nil discards them.
func NewChooser(s genericiooptions.IOStreams, info io.Writer) *Chooser {
	ch := &Chooser{Info: info}
	if session.IsTerminal(s.In) && session.IsTerminal(s.Out) {
		out := s.Out
		if session.IsTerminal(s.ErrOut) {
			out = s.ErrOut
		}
		if sv := NewSurvey(s.In, out); sv != nil {
			ch.Prompter = sv
		}
	}
	return ch
}
