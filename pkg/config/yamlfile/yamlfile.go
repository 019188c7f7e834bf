// Package yamlfile reads the small, hand-written YAML files of kubectl-eshell
// (config.yaml and preset files) strictly, and reports every problem as
// "file:line: message", the way compilers do, so a user can jump straight to
// the spot that needs fixing.
//
// It works on yaml.Node rather than decoding into structs: the struct decoder
// of go.yaml.in/yaml/v3 is not strict when reached through a custom
// unmarshaler and loses positions, while nodes carry a line number for every
// key and value.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a problem at a place in a file. Line is 0 when the YAML parser
// could not say where the problem is.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error at n's line; format and args work as in fmt.Errorf,
// %w included.
func Errorf(file string, n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: file, Line: line, Err: fmt.Errorf(format, args...)}
}

// Documents parses every document in data and returns the root node of each
// non-empty one; a file holding only comments has none. A syntax error is an
// *Error with the line of the mistake.
func Documents(file string, data []byte) ([]*yaml.Node, error) {
	docs, err := parse(data)
	if err == nil {
		return docs, nil
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := firstBadLine(data)
	if m := parserLine.FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if line == 0 { // better roughly right than nothing
			line, _ = strconv.Atoi(m[1])
		}
	}
	return nil, &Error{File: file, Line: line, Err: fmt.Errorf("invalid YAML: %s", msg)}
}

func parse(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		// "---" followed by nothing is a document holding null.
		if len(doc.Content) == 0 || doc.Content[0].Kind == 0 || IsNull(doc.Content[0]) {
			continue
		}
		docs = append(docs, doc.Content[0])
	}
}

// parserLine matches the parser's own "line N: " in a message; firstBadLine
// usually gives a better one.
var parserLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// maxScanLines bounds firstBadLine, which parses the file once per line.
const maxScanLines = 2000

// firstBadLine returns the first line at which data stops being valid YAML,
// or 0 when that cannot be told. The parser's own line numbers are not good
// enough: it often reports the line where the enclosing construct started,
// counted from 0, so it points one line above the mistake or at an
// unrelated line. Parsing growing prefixes of the file finds the line where
// things go wrong; for an unclosed quote or bracket that is the line that
// opens it, which is where the fix is.
func firstBadLine(data []byte) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxScanLines {
		return 0
	}
	end := 0
	for i, l := range lines {
		end += len(l)
		if _, err := parse(data[:end]); err != nil {
			return i + 1
		}
	}
	return 0
}

// resolve follows an alias (*name) to the node it stands for, so anchors work
// the way a YAML user expects.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is an explicit or implied null ("key:" with no
// value), which callers treat as "not set".
func IsNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	default:
		return "nothing"
	}
}

// Field is one key of a mapping: the key node (for its line) and the value.
type Field struct {
	Key   *yaml.Node
	Value *yaml.Node
}

// Fields checks that n is a mapping whose keys are all among known, each at
// most once, and returns the fields present by name. what names the object
// for messages ("preset", "config").
func Fields(file string, n *yaml.Node, what string, known ...string) (map[string]Field, error) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, Errorf(file, n, "expected %s as a mapping of key: value, found %s", what, kindName(n))
	}
	fields := make(map[string]Field, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, Errorf(file, k, "expected a field name in %s, found %s", what, kindName(k))
		}
		if !slices.Contains(known, k.Value) {
			sorted := slices.Sorted(slices.Values(known))
			return nil, Errorf(file, k, "unknown field %q in %s; known fields are %s", k.Value, what, strings.Join(sorted, ", "))
		}
		if prev, dup := fields[k.Value]; dup {
			return nil, Errorf(file, k, "field %q is set twice in %s (first on line %d); remove one", k.Value, what, prev.Key.Line)
		}
		fields[k.Value] = Field{Key: k, Value: v}
	}
	return fields, nil
}

// String returns the text of a scalar value; null gives "". Numbers and
// booleans are taken as written, so "version: 3" reads as "3".
func String(file string, n *yaml.Node, field string) (string, error) {
	n = resolve(n)
	if IsNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", Errorf(file, n, "%s must be a single value, found %s", field, kindName(n))
	}
	return n.Value, nil
}

// Strings returns the items of a list of scalars. A null item is refused
// rather than read as the word "null": in an argument list that is almost
// always a mistake, and quoting ("null" or "") says what was meant.
func Strings(file string, n *yaml.Node, field string) ([]string, error) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		return nil, Errorf(file, n, "%s must be a list like [a, b], found %s", field, kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode {
			return nil, Errorf(file, item, "%s item %d must be a single value, found %s", field, i+1, kindName(item))
		}
		if item.ShortTag() == "!!null" {
			return nil, Errorf(file, item, "%s item %d is null; quote it (\"\" or %q) if that is what you mean", field, i+1, item.Value)
		}
		out = append(out, item.Value)
	}
	return out, nil
}
