// Package fanout runs one command in many pods (and containers) at once:
// the targets a selection gives, a bounded number at a time, each line of
// their output prefixed by where it came from, and a summary of the exit
// codes at the end. What runs in one target is a Runner, so this package
// needs no cluster: the command line hands it the engine of its mode.
package fanout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

// DefaultMaxParallel is how many targets run at once unless --max-parallel
// says otherwise: enough to cover a typical Deployment in one wave, few
// enough that the API server and the kubelets see no burst of streams.
const DefaultMaxParallel = 10

// MaxParallelBound is the most --max-parallel accepts: each running target
// holds a stream (two in debug mode, with the lifeline) through the API
// server, and the client's own connections are limited.
const MaxParallelBound = 100

// CheckMaxParallel refuses a --max-parallel outside 1..MaxParallelBound.
func CheckMaxParallel(n int) error {
	if n < 1 || n > MaxParallelBound {
		return fmt.Errorf("--max-parallel %d is out of range: give 1 to %d (default %d)", n, MaxParallelBound, DefaultMaxParallel)
	}
	return nil
}

// Target is one place the command runs.
type Target struct {
	Pod       *corev1.Pod
	Container string
}

// Skipped is a pod the selection matched but the command does not run in.
type Skipped struct {
	Pod string
	// Why is the cluster's word for it (Pending, Terminating, ...).
	Why string
}

// Runner runs the command in t with its output going to out and errOut,
// and returns what an engine returns: nil, a *session.ExitError with the
// remote exit code, a *session.LostError, or why it could not start.
type Runner func(ctx context.Context, t Target, out, errOut io.Writer) error

// Options are how Run runs and prints.
type Options struct {
	// MaxParallel bounds the targets running at once (at least 1).
	MaxParallel int
	// Out and ErrOut receive the targets' prefixed stdout and stderr.
	Out, ErrOut io.Writer
	// Color paints the prefixes (a terminal, and no NO_COLOR).
	Color bool
}

// Result is how the command ended in one target.
type Result struct {
	Target Target
	// Code is the exit code the target counts with (see Code).
	Code int
	// Note says why, when it is not the command's own exit code.
	Note string
}

// Run runs the command in every target, at most o.MaxParallel at a time,
// and returns each one's result in the order of targets. A target not yet
// started when ctx ends is not started, and counts as failed.
func Run(ctx context.Context, targets []Target, run Runner, o Options) []Result {
	p := newPrefixer(targets, o.Color)
	results := make([]Result, len(targets))
	limit := max(o.MaxParallel, 1)
	slots := make(chan struct{}, limit)
	var outMu, errMu sync.Mutex
	var wg sync.WaitGroup
	for i, t := range targets {
		results[i].Target = t
		if !acquire(ctx, slots) {
			results[i].Code, results[i].Note = 1, "not started: "+context.Cause(ctx).Error()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			prefix := p.prefix(i)
			out := &LineWriter{Mu: &outMu, Dst: o.Out, Prefix: prefix}
			errOut := &LineWriter{Mu: &errMu, Dst: o.ErrOut, Prefix: prefix}
			err := run(ctx, t, out, errOut)
			out.Flush()
			errOut.Flush()
			results[i].Code, results[i].Note = Code(err)
		}()
	}
	wg.Wait()
	return results
}

// acquire takes a slot, unless ctx ends first (or has ended: a free slot
// does not start a target after an interrupt).
func acquire(ctx context.Context, slots chan struct{}) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	if ctx.Err() != nil {
		<-slots
		return false
	}
	return true
}

// Code is the exit code a target's end counts with, and a note when it is
// not the command's own: 0 for nil; the remote code of a
// *session.ExitError; session.ExitLost (255) for a stream lost before the
// code arrived; 1, as for eshell's own errors, for a command that could
// not start (refused, no such program, the pod gone).
func Code(err error) (int, string) {
	var ee *session.ExitError
	var lost *session.LostError
	switch {
	case err == nil:
		return 0, ""
	case errors.As(err, &ee):
		return ee.Code, ""
	case errors.As(err, &lost):
		return session.ExitLost, escape.Line(err.Error())
	case errors.Is(err, session.ErrIdle):
		return 0, "ended by --idle-timeout"
	}
	return 1, escape.Line(err.Error())
}

// Worst is the exit code the whole run ends with: the highest of the
// results, so any failure shows, and a lost stream (255) outranks every
// code a command chose below it. 0 when all succeeded.
func Worst(results []Result) int {
	worst := 0
	for _, r := range results {
		worst = max(worst, r.Code)
	}
	return worst
}

// Summary writes the exit code of every target, the skipped pods and the
// worst code to w (stderr): after the output, so it is the last thing read.
func Summary(w io.Writer, results []Result, skipped []Skipped, color bool) {
	p := newPrefixer(targetsOf(results), color)
	failed := 0
	for _, r := range results {
		if r.Code != 0 {
			failed++
		}
	}
	fmt.Fprintf(w, "eshell: ran in %s: %d succeeded, %d failed; exit code %d (the highest)\n",
		count(len(results), "target"), len(results)-failed, failed, Worst(results))
	for i, r := range results {
		line := fmt.Sprintf("  %sexit %d", p.prefix(i), r.Code)
		if r.Note != "" {
			line += ": " + r.Note
		}
		fmt.Fprintln(w, line)
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "eshell: skipped %s\n", SkippedList(skipped))
	}
}

// SkippedList names the skipped pods and why: "web-1 (Pending), web-2
// (Terminating)".
func SkippedList(skipped []Skipped) string {
	parts := make([]string, len(skipped))
	for i, s := range skipped {
		parts[i] = fmt.Sprintf("%s (%s)", escape.Line(s.Pod), escape.Line(s.Why))
	}
	return strings.Join(parts, ", ")
}

func targetsOf(results []Result) []Target {
	ts := make([]Target, len(results))
	for i, r := range results {
		ts[i] = r.Target
	}
	return ts
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Select turns the pods a selection matched into targets, sorted by pod
// name so output and summary read the same on every run. A pod that is not
// Running, or is being deleted, is skipped with the reason. container
// names the container in each pod: all of them when all, else by pick
// (which returns why a pod lacks it, to skip it with that reason).
func Select(pods []corev1.Pod, all bool, pick func(*corev1.Pod) (string, error)) ([]Target, []Skipped) {
	sorted := slices.Clone(pods)
	slices.SortFunc(sorted, func(a, b corev1.Pod) int { return cmp.Compare(a.Name, b.Name) })
	var targets []Target
	var skipped []Skipped
	for i := range sorted {
		pod := &sorted[i]
		if why := notRunning(pod); why != "" {
			skipped = append(skipped, Skipped{Pod: pod.Name, Why: why})
			continue
		}
		if all {
			for _, c := range pod.Spec.Containers {
				targets = append(targets, Target{Pod: pod, Container: c.Name})
			}
			continue
		}
		c, err := pick(pod)
		if err != nil {
			skipped = append(skipped, Skipped{Pod: pod.Name, Why: err.Error()})
			continue
		}
		targets = append(targets, Target{Pod: pod, Container: c})
	}
	return targets, skipped
}

// notRunning says why a command cannot run in pod ("" when it can). An
// unready pod still runs its containers: exec and debug reach it, and a
// fan-out is often how one finds out why it is unready.
func notRunning(pod *corev1.Pod) string {
	switch {
	case pod.DeletionTimestamp != nil:
		return "Terminating"
	case pod.Status.Phase == corev1.PodRunning:
		return ""
	case pod.Status.Phase == "":
		return "Pending"
	}
	return string(pod.Status.Phase)
}
