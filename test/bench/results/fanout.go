package results

import "fmt"

// fanOutRows compares the total time of a command in every pod of a
// 50-pod Deployment: eshell --all-pods against a for loop over kubectl
// exec, and against xargs -P. Samples without these phases (runs made
// before the fan-out existed, partial runs) add no row.
func (d *Data) fanOutRows(t *table) {
	es, ks, xs := d.of(PhaseFanOut, ToolEshell), d.of(PhaseFanOut, ToolKubectl), d.of(PhaseFanOutXargs, ToolKubectl)
	if len(es)+len(ks) > 0 {
		t.row(fmt.Sprintf("fan-out: `echo ready` in 50 pods, `--all-pods` vs a `for` loop over `kubectl exec` (n=%d; failed runs: %d, %d)", len(es), failed(es), failed(ks)),
			fmtMS(totals(es)), fmtMS(totals(ks)), ratio(totals(es), totals(ks)))
	}
	if len(es)+len(xs) > 0 {
		t.row(fmt.Sprintf("fan-out: the same vs `xargs -P 10 kubectl exec` (n=%d; failed runs: %d, %d)", len(xs), failed(es), failed(xs)),
			fmtMS(totals(es)), fmtMS(totals(xs)), ratio(totals(es), totals(xs)))
	}
}
