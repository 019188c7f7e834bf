package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Row is one line of the results table.
type Row struct {
	Metric, Eshell, Kubectl, Ratio string
}

func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// firsts are the times to the marker of the runs that showed it, in ms.
func firsts(ss []Sample) []float64 {
	var out []float64
	for _, s := range ss {
		if s.Seen() {
			out = append(out, float64(s.First)/float64(time.Millisecond))
		}
	}
	return out
}

// totals are the wall times of the runs that exited 0, in ms.
func totals(ss []Sample) []float64 {
	var out []float64
	for _, s := range ss {
		if s.OK() {
			out = append(out, float64(s.Total)/float64(time.Millisecond))
		}
	}
	return out
}

// anyTotals are the wall times of every run that finished (whatever its
// exit code: the picker without a terminal is meant to exit 1).
func anyTotals(ss []Sample) []float64 {
	var out []float64
	for _, s := range ss {
		if s.Err == nil {
			out = append(out, float64(s.Total)/float64(time.Millisecond))
		}
	}
	return out
}

func fmtMS(xs []float64) string {
	m, ok := median(xs)
	if !ok {
		return "—"
	}
	if m < 10 {
		return fmt.Sprintf("%.1f ms", m)
	}
	return fmt.Sprintf("%.0f ms", m)
}

// ratio is median(a)/median(b).
func ratio(a, b []float64) string {
	ma, okA := median(a)
	mb, okB := median(b)
	if !okA || !okB || mb == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", ma/mb)
}

func ratioN(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// lost says how many runs never showed the marker.
func lost(ss []Sample) string {
	n := 0
	for _, s := range ss {
		if !s.Seen() {
			n++
		}
	}
	return fmt.Sprintf("%d/%d", n, len(ss))
}

func failed(ss []Sample) int {
	n := 0
	for _, s := range ss {
		if !s.OK() {
			n++
		}
	}
	return n
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Table renders rows as a markdown table.
func Table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| metric | kubectl-eshell | kubectl | ratio eshell/kubectl |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", esc(r.Metric), esc(r.Eshell), esc(r.Kubectl), esc(r.Ratio))
	}
	return b.String()
}

func esc(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
