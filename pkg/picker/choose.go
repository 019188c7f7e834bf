package picker

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sberz/kubectl-eshell/pkg/escape"
)

// MaxListed is how many choices an error message lists before "and N more".
const MaxListed = 20

// Choice is one question: what is chosen, the flag that chooses it without
// asking, and the candidates as rows.
type Choice struct {
	// What is chosen, singular: "environment", "service", "container".
	What string
	// Message is the question shown above the rows.
	Message string
	// Flag tells how to give the answer on the command line, e.g.
	// "--env NAME (or -n NAMESPACE)".
	Flag string
	// Where qualifies the list in messages, e.g. `in namespace "shop"`.
	Where string
	// Rows are the candidates as shown, one per option.
	Rows []string
	// Default is the index preselected.
	Default int
	// Auto is what is said when the only candidate is taken without asking,
	// e.g. "Using environment demo (namespace demo-pr-42)"; "" says nothing.
	Auto func(i int) string
	// More is a last option that is no candidate, e.g. "show 2 hidden
	// failing environments": choosing it returns len(Rows). With More, a
	// single candidate is asked about too, so More stays in sight.
	More string
	// Note follows the candidates where there is no terminal to ask on,
	// e.g. "2 failing environments are hidden; --all-envs lists them".
	Note string
}

// Chooser asks questions. Without a Prompter (no terminal), a question with
// more than one candidate is a *ChoiceError.
type Chooser struct {
	Prompter Prompter
	// Info receives notes such as the automatic choice; nil discards them.
	Info io.Writer
}

// Choose returns the index of the chosen row. A single candidate is chosen
// without asking.
func (c *Chooser) Choose(ch Choice) (int, error) {
	ch = ch.escaped()
	switch {
	case len(ch.Rows) == 0:
		return -1, fmt.Errorf("no %s to choose from %s", ch.What, ch.Where)
	case len(ch.Rows) == 1 && ch.More == "":
		if ch.Auto != nil && c.Info != nil {
			if msg := ch.Auto(0); msg != "" {
				fmt.Fprintln(c.Info, msg)
			}
		}
		return 0, nil
	case c.Prompter == nil:
		return -1, &ChoiceError{What: ch.What, Flag: ch.Flag, Where: ch.Where, Choices: ch.Rows, Note: ch.Note}
	}
	opts := ch.Rows
	if ch.More != "" {
		opts = append(slices.Clip(opts), ch.More)
	}
	return c.Prompter.Select(ch.Message, opts, ch.Default)
}

// escaped is ch as it may be shown: its rows, question and notes name the
// cluster's objects and quote their annotations, which may hold escape
// sequences (see package escape).
func (ch Choice) escaped() Choice {
	rows := make([]string, len(ch.Rows))
	for i, r := range ch.Rows {
		rows[i] = escape.Line(r)
	}
	ch.Rows, ch.Message, ch.Where, ch.More, ch.Note = rows, escape.Line(ch.Message), escape.Line(ch.Where), escape.Line(ch.More), escape.Terminal(ch.Note)
	if auto := ch.Auto; auto != nil {
		ch.Auto = func(i int) string { return escape.Terminal(auto(i)) }
	}
	return ch
}

// Confirm asks a yes/no question with def the answer to Enter. Without a
// Prompter there is no one to ask: the caller says what to do instead.
func (c *Chooser) Confirm(question string, def bool) (bool, error) {
	if c.Prompter == nil {
		return false, errors.New("no terminal to ask on")
	}
	return c.Prompter.Confirm(question, def)
}

// ChoiceError says a choice is needed but there is no terminal to ask on; it
// lists the candidates and the flag that makes the choice.
type ChoiceError struct {
	What    string
	Flag    string
	Where   string
	Choices []string
	// Note follows the list.
	Note string
}

func (e *ChoiceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "which %s? There is no terminal to ask on, so choose it with %s.", e.What, e.Flag)
	what := pluralize(e.What)
	if e.Where != "" {
		what += " " + e.Where
	}
	fmt.Fprintf(&b, "\nThe %s:", what)
	for i, c := range e.Choices {
		if i == MaxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Choices)-MaxListed)
			break
		}
		b.WriteString("\n  " + c)
	}
	if e.Note != "" {
		b.WriteString("\n" + e.Note)
	}
	return b.String()
}

func pluralize(s string) string {
	if strings.HasSuffix(s, "s") {
		return s + "es"
	}
	return s + "s"
}

// Table aligns rows of cells into columns two spaces apart; trailing empty
// cells and spaces are dropped.
func Table(rows [][]string) []string {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	out := make([]string, len(rows))
	for n, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2))
			}
		}
		out[n] = strings.TrimRight(b.String(), " ")
	}
	return out
}
