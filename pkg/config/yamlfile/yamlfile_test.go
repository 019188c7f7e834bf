package yamlfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

var yamlNode7 = yaml.Node{Line: 7}

func TestDocumentsSyntaxErrorLines(t *testing.T) {
	// The parser itself would report most of these one line early.
	tests := []struct {
		in   string
		want string
	}{
		{"a: b\nc: [d\n", "f.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		{"a: b\n  c: d\n", "f.yaml:2: invalid YAML: mapping values are not allowed in this context"},
		{"a:\n  - x\n  y: z\n", "f.yaml:3: invalid YAML: did not find expected '-' indicator"},
		{"- a\nb: c\n", "f.yaml:2: invalid YAML: did not find expected '-' indicator"},
		{"a: 'never closed\nb: c\n", "f.yaml:1: invalid YAML: found unexpected end of stream"},
		{"\tfoo: bar\n", "f.yaml:1: invalid YAML: found character that cannot start any token"},
		{"a: *nope\n", "f.yaml:1: invalid YAML: unknown anchor 'nope' referenced"},
		{"a: b\n---\nc: [\n", "f.yaml:3: invalid YAML: did not find expected node content"},
	}
	for _, tt := range tests {
		_, err := Documents("f.yaml", []byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Documents(%q) error\n  %v\nwant\n  %s", tt.in, err, tt.want)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Documents(%q) error is %T, want *Error", tt.in, err)
		}
	}
}

func TestDocuments(t *testing.T) {
	docs, err := Documents("f.yaml", []byte("# only a comment\n---\na: 1\n---\n---\nb: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].Line != 3 || docs[1].Line != 6 {
		t.Errorf("got %d documents, want the 2 non-empty ones at lines 3 and 6", len(docs))
	}
}

func TestFields(t *testing.T) {
	docs, err := Documents("f.yaml", []byte("base: &b hello\nname: *b\nlist: [x, 2, true]\nempty:\n"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Fields("f.yaml", docs[0], "thing", "base", "name", "list", "empty")
	if err != nil {
		t.Fatal(err)
	}
	if name, err := String("f.yaml", f["name"].Value, "name"); err != nil || name != "hello" {
		t.Errorf("aliased name = %q, %v; want hello", name, err)
	}
	if f["name"].Key.Line != 2 {
		t.Errorf("name key on line %d, want 2", f["name"].Key.Line)
	}
	if list, err := Strings("f.yaml", f["list"].Value, "list"); err != nil || !cmp.Equal(list, []string{"x", "2", "true"}) {
		t.Errorf("list = %q, %v; want the items as written", list, err)
	}
	if !IsNull(f["empty"].Value) {
		t.Error("empty: is not null")
	}
	if s, err := String("f.yaml", f["empty"].Value, "empty"); err != nil || s != "" {
		t.Errorf("String(null) = %q, %v; want empty", s, err)
	}
	if _, err := String("f.yaml", f["list"].Value, "list"); err == nil || err.Error() != "f.yaml:3: list must be a single value, found a list" {
		t.Errorf("String(list) error = %v", err)
	}

	_, err = Fields("f.yaml", docs[0], "thing", "base", "name")
	if err == nil || err.Error() != `f.yaml:3: unknown field "list" in thing; known fields are base, name` {
		t.Errorf("Fields with unknown keys: %v", err)
	}
}

func TestErrorf(t *testing.T) {
	inner := errors.New("inner")
	err := Errorf("f.yaml", nil, "wrapped: %w", inner)
	if !errors.Is(err, inner) || err.Error() != "f.yaml: wrapped: inner" {
		t.Errorf("Errorf = %v; want it to wrap inner and show no line", err)
	}
	if !strings.HasPrefix(Errorf("f.yaml", &yamlNode7, "x").Error(), "f.yaml:7: ") {
		t.Error("Errorf does not show the node's line")
	}
}
