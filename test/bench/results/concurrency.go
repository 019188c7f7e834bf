package results

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

const concurrencyPrefix = "concurrency-"

// ConcurrencyPhase is the phase of the sessions started n at once.
func ConcurrencyPhase(n int) string { return concurrencyPrefix + strconv.Itoa(n) }

// Percentile of xs (nearest rank); false when there are none.
func Percentile(xs []float64, p float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1], true
}

func fmtP(xs []float64, p float64) string {
	v, ok := Percentile(xs, p)
	if !ok {
		return "—"
	}
	return fmtV(v)
}

// concurrencyTable is the sessions started n at once, per mode and n; ""
// when the run measured none (an older run, or BENCH_ONLY without it).
func (d *Data) concurrencyTable() string {
	type key struct {
		command string
		n       int
	}
	groups := map[key][]Sample{}
	var keys []key
	for _, s := range d.Samples {
		n, err := strconv.Atoi(strings.TrimPrefix(s.Phase, concurrencyPrefix))
		if !strings.HasPrefix(s.Phase, concurrencyPrefix) || err != nil {
			continue
		}
		k := key{s.Command, n}
		if _, seen := groups[k]; !seen {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], s)
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].command != keys[j].command {
			return keys[i].command < keys[j].command
		}
		return keys[i].n < keys[j].n
	})
	t := newTable("sessions started at once", "ok", "first output p50", "p95", "total p50", "p95", "API requests per session (median)")
	for _, k := range keys {
		ss := groups[k]
		reqs := "—"
		mode := strings.TrimPrefix(k.command, "eshell --mode ")
		if r, ok := d.request(fmt.Sprintf("eshell-%s-x%d", mode, k.n)); ok {
			reqs = r.String()
		}
		t.row(fmt.Sprintf("%d × `%s`", k.n, k.command), fmt.Sprintf("%d/%d", len(ss)-failed(ss), len(ss)),
			fmtP(firsts(ss), 50), fmtP(firsts(ss), 95), fmtP(totals(ss), 50), fmtP(totals(ss), 95), reqs)
	}
	return "\n### Concurrent sessions\n\n" + concurrencyText + t.b.String()
}

const concurrencyText = "Sessions of one mode started at the same instant against deploy/bench (`-- echo ready`, each at\n" +
	"`-v=6` so its API requests are counted); first output is the time to `ready` on stdout. A failed\n" +
	"session counts in neither column (see ok).\n\n"
