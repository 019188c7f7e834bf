package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sberz/kubectl-eshell/test/bench/results"
)

// TestReadmeMatchesSamples regenerates bench/README.md from the committed
// samples: the README must never carry a figure the samples do not give.
func TestReadmeMatchesSamples(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	d, err := results.Read(filepath.Join(root, "bench", "results"))
	if err != nil {
		t.Fatalf("reading the committed samples: %v", err)
	}
	want, err := os.ReadFile(filepath.Join(root, "bench", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if got := results.Render(d); got != string(want) {
		t.Errorf("bench/README.md differs from what the samples in bench/results give; regenerate it with: go run ./test/bench/report -in bench/results -out bench/README.md")
	}
}
