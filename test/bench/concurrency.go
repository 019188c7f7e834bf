package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sberz/kubectl-eshell/test/bench/results"
)

// concurrencyLevels are the numbers of sessions started at once
// (BENCH_CONCURRENCY, default 1,10,50).
func concurrencyLevels() []int {
	levels := []int{1, 10, 50}
	if v := strings.TrimSpace(os.Getenv("BENCH_CONCURRENCY")); v != "" {
		levels = nil
		for _, p := range strings.Split(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && n > 0 {
				levels = append(levels, n)
			}
		}
	}
	return levels
}

// concurrency starts n sessions of each mode at the same instant, for
// each level n, and records every session's time to first output and
// total time under results.ConcurrencyPhase(n), and the median session's
// API requests (each session runs at -v=6, so the count is of the same
// sessions that were timed).
func (b *Bench) concurrency(ctx context.Context) {
	if !b.phase("concurrency") {
		return
	}
	for _, mode := range []string{"clone", "exec"} {
		for _, n := range concurrencyLevels() {
			if ctx.Err() != nil {
				return
			}
			b.concurrent(ctx, mode, n)
		}
	}
}

func (b *Bench) concurrent(ctx context.Context, mode string, n int) {
	name := "eshell --mode " + mode
	argv := b.eshell("-v=6", "-n", b.ns, "deploy/bench", "--mode", mode, "--", "echo", "ready")
	// Fifty clones at once on a small node take minutes: each session's
	// bound grows with the level.
	timeout := b.cfg.sessionTimeout + time.Duration(n)*3*time.Second
	samples := make([]Sample, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range samples {
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples[i] = b.r.Run(ctx, name, timeout, nil, results.FirstOutputMark, argv...)
		}()
	}
	wg.Wait()
	reqs := make([]Requests, 0, n)
	ok := 0
	for i, s := range samples {
		b.record(results.ConcurrencyPhase(n), i, s)
		if s.OK() {
			ok++
			reqs = append(reqs, CountRequests(s.Stderr))
		}
	}
	fmt.Fprintf(b.log, "  %d × %s: %d ok, all done after %s\n", n, name, ok, ms(time.Since(start)))
	if ok < n {
		b.note("%d concurrent %s sessions: %d of %d failed%s", n, mode, n-ok, n, firstFailure(samples))
	}
	if len(reqs) == 0 {
		return
	}
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].Total < reqs[j].Total })
	med := reqs[len(reqs)/2]
	file := fmt.Sprintf("eshell-%s-x%d", mode, n)
	_ = os.WriteFile(filepath.Join(b.cfg.out, "requests", file+".txt"), []byte(fmt.Sprintf("# the median of %d concurrent sessions\n%s\n%s\n", len(reqs), med.String(), strings.Join(med.Lines, "\n"))), 0o644)
	b.reqs = append(b.reqs, results.Requests{Name: file, Tool: results.ToolEshell, OK: true,
		Total: med.Total, By: med.By, ToStream: med.ToStream, Rounds: med.Rounds, BeforeCreate: med.BeforeCreate})
}
