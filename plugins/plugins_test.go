package plugins

import (
	"io/fs"
	"slices"
	"testing"
)

// The presets themselves are validated by pkg/preset's tests; this only
// guards the embed pattern, so a renamed or added file is not silently left
// out of the binary.
func TestEmbedded(t *testing.T) {
	got, err := fs.Glob(FS, "*")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"django.yaml", "node.yaml", "rails.yaml", "shell.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("embedded files %q, want %q", got, want)
	}
}
