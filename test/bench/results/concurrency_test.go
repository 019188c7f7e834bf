package results

import (
	"strings"
	"testing"
)

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for p, want := range map[float64]float64{50: 5, 95: 10, 10: 1, 100: 10} {
		if got, _ := Percentile(xs, p); got != want {
			t.Errorf("p%.0f = %v, want %v", p, got, want)
		}
	}
	if _, ok := Percentile(nil, 50); ok {
		t.Error("no samples has no percentile")
	}
}

func TestConcurrencyTable(t *testing.T) {
	if got := (&Data{Samples: []Sample{{Phase: PhaseClone, Command: "eshell --mode clone"}}}).concurrencyTable(); got != "" {
		t.Errorf("a run without concurrent sessions renders no section, got %q", got)
	}
	d := &Data{Requests: []Requests{{Name: "eshell-clone-x10", Tool: ToolEshell, OK: true, Total: 9, By: map[string]int{"POST": 9}}}}
	for i := range 10 {
		s := Sample{Phase: ConcurrencyPhase(10), Command: "eshell --mode clone", Tool: ToolEshell, Iteration: i, FirstMS: float64(100 * (i + 1)), TotalMS: float64(200 * (i + 1))}
		if i == 9 {
			s.ExitCode, s.FirstMS = 1, -1
		}
		d.Samples = append(d.Samples, s)
	}
	d.Samples = append(d.Samples, Sample{Phase: ConcurrencyPhase(1), Command: "eshell --mode clone", Tool: ToolEshell, FirstMS: 50, TotalMS: 80})
	got := d.concurrencyTable()
	for _, want := range []string{
		"| 1 × `eshell --mode clone` | 1/1 | 50 ms | 50 ms | 80 ms | 80 ms | — |",
		"| 10 × `eshell --mode clone` | 9/10 | 500 ms | 900 ms | 1000 ms | 1800 ms | 9: 9 POST |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing row %q in:\n%s", want, got)
		}
	}
	if strings.Index(got, "| 1 ×") > strings.Index(got, "| 10 ×") {
		t.Error("levels should be in ascending order")
	}
}
