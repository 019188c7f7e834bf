package picker

import (
	"fmt"

	"github.com/sberz/kubectl-eshell/pkg/target"
)

// BehindRows renders the workloads behind a Service as aligned rows:
// TYPE/NAME, kind, and how the Service leads to it (the pods of its ready
// endpoints, or, with none ready, the pod template its selector matches).
func BehindRows(b *target.Behind) []string {
	rows := make([][]string, len(b.Workloads))
	for i, w := range b.Workloads {
		how := "pod template matches the selector"
		if !b.ByTemplate {
			how = fmt.Sprintf("%d ready endpoints", b.ServingPods(w))
			if b.ServingPods(w) == 1 {
				how = "1 ready endpoint"
			}
		}
		rows[i] = []string{w.Ref().String(), string(w.Kind), how}
	}
	return Table(rows)
}
