package results

import (
	"fmt"
	"sort"
	"strings"
)

// Phases the driver records and the renderer reads.
const (
	PhaseStartup     = "startup"
	PhaseExec        = "exec"
	PhaseStreamIn    = "stream-in-counted" // stdin into wc -c, its count checked
	PhaseStreamOut   = "stream-out"
	PhaseClone       = "clone"
	PhaseDebug       = "debug"
	PhaseLimitExec   = "limit-exec"
	PhaseLimitPod    = "limit-pod"
	PhaseLimitEph    = "limit-ephemeral"
	PhasePickerEnv   = "picker-env"
	PhasePickerWl    = "picker-workloads"
	PhaseGoEnv       = "picker-go-env"
	PhaseGoWl        = "picker-go-workloads"
	PhaseFanOut      = "fanout"       // eshell --all-pods vs a for loop over kubectl exec
	PhaseFanOutXargs = "fanout-xargs" // xargs -P over kubectl exec
	WorkloadKinds    = "deployments,statefulsets,daemonsets,cronjobs,jobs,pods"
	targetOverhead   = 150.0 // ms over the physical limit the project aims for
	FirstOutputMark  = "ready"
)

// Median of xs; false when there are none.
func Median(xs []float64) (float64, bool) {
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

func (d *Data) of(phase, tool string) []Sample {
	var out []Sample
	for _, s := range d.Samples {
		if s.Phase == phase && s.Tool == tool {
			out = append(out, s)
		}
	}
	return out
}

// values are v of the samples keep accepts, in order.
func values(ss []Sample, keep func(Sample) bool, v func(Sample) float64) []float64 {
	var out []float64
	for _, s := range ss {
		if keep(s) {
			out = append(out, v(s))
		}
	}
	return out
}

func firstMS(s Sample) float64 { return s.FirstMS }
func totalMS(s Sample) float64 { return s.TotalMS }

// firsts are the times to the marker of the runs that showed it.
func firsts(ss []Sample) []float64 { return values(ss, Sample.Seen, firstMS) }

// totals are the wall times of the runs that exited 0.
func totals(ss []Sample) []float64 { return values(ss, Sample.OK, totalMS) }

// finished are the wall times of every run the driver saw end as
// expected, whatever the exit code (the picker without a terminal is
// meant to exit 1).
func finished(ss []Sample) []float64 {
	return values(ss, func(s Sample) bool { return s.Error == "" }, totalMS)
}

// cpu is the client CPU time of the runs that exited 0 and recorded it.
func cpu(ss []Sample) []float64 {
	return values(ss, func(s Sample) bool { return s.OK() && s.CPUMS >= 0 }, func(s Sample) float64 { return s.CPUMS })
}

func fmtMS(xs []float64) string {
	m, ok := Median(xs)
	if !ok {
		return "—"
	}
	return fmtV(m)
}

func fmtV(m float64) string {
	if m < 10 && m > -10 {
		return fmt.Sprintf("%.1f ms", m)
	}
	return fmt.Sprintf("%.0f ms", m)
}

func ratio(a, b []float64) string {
	ma, okA := Median(a)
	mb, okB := Median(b)
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

func esc(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

type table struct {
	b    strings.Builder
	cols int
}

func newTable(cols ...string) *table {
	t := &table{cols: len(cols)}
	t.b.WriteString("| " + strings.Join(cols, " | ") + " |\n|" + strings.Repeat("---|", len(cols)) + "\n")
	return t
}

func (t *table) row(cells ...string) {
	for i := range cells {
		cells[i] = esc(cells[i])
	}
	t.b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

func (r Requests) String() string {
	if r.Total == 0 {
		return "0"
	}
	var parts []string
	for _, c := range Categories {
		if n := r.By[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	out := fmt.Sprintf("%d: %s", r.Total, strings.Join(parts, ", "))
	if r.ToStream > 0 {
		out += fmt.Sprintf("; %d in sequence up to the stream, %d in all", r.ToStream, r.Rounds)
		if r.BeforeCreate > 0 {
			out += fmt.Sprintf(", %d before the create", r.BeforeCreate)
		}
	} else if r.Rounds > 0 {
		out += fmt.Sprintf("; %d in sequence", r.Rounds)
	}
	if !r.OK {
		out += " (failed)"
	}
	return out
}

func (d *Data) request(name string) (Requests, bool) {
	for _, r := range d.Requests {
		if r.Name == name {
			return r, true
		}
	}
	return Requests{}, false
}

// Render is bench/README.md for d.
func Render(d *Data) string {
	m := &d.Meta
	var b strings.Builder
	b.WriteString(intro)
	fmt.Fprintf(&b, howToRead, m.Image, mib(m.StreamBytes), m.StreamBytes, m.Picker.Namespaces, m.Picker.Workloads, m.Picker.ReplicaSets, m.Picker.Pods,
		m.Picker.Spread, m.Picker.Workers, WorkloadKinds)

	mode := "full"
	if m.Quick {
		mode = "quick (BENCH_QUICK=1)"
	}
	b.WriteString("\n## Last results\n\n")
	b.WriteString("Generated by `go run ./test/bench/report` from the samples in `bench/results/` (every figure below is\ncomputed from them).\n\n")
	fmt.Fprintf(&b, "- date: %s (run %s, %s, took %.0f s)\n", m.Date, m.Run, mode, m.TookS)
	fmt.Fprintf(&b, "- machine: %d CPUs (nproc), %s, load average %s at start, %s at end\n", m.CPUs, m.Platform, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "- go: %s\n- commit: %s\n", m.GoVersion, m.Commit)
	fmt.Fprintf(&b, "- kubectl-eshell: %s\n", m.EshellVersion)
	fmt.Fprintf(&b, "- kubectl: bin/kubectl built from %s (go.mod's; it calls itself %q)\n", m.KubectlModules, m.KubectlVersion)
	fmt.Fprintf(&b, "- cluster: kube-apiserver %s on 127.0.0.1, node: %s; image %s\n", m.Server, m.Node, m.Image)
	fmt.Fprintf(&b, "- iterations (pairs): sessions %d, clone %d, debug %d (fresh pod every %d), stream %d × %s, start-up %d, picker %d\n",
		m.Sessions, m.Clones, m.Debugs, m.DebugBatch, m.StreamPairs, mib(m.StreamBytes), m.Startups, m.Pickers)

	b.WriteString("\n### Against the physical limit\n\n")
	b.WriteString(limitText)
	b.WriteString(d.limitTable())
	b.WriteString("\n### Side by side\n\n")
	b.WriteString(d.mainTable())
	b.WriteString(d.concurrencyTable())
	if len(m.Notes) > 0 {
		b.WriteString("\nNotes from the run:\n\n")
		for _, n := range m.Notes {
			b.WriteString("- " + n + "\n")
		}
	}
	return b.String()
}

func (d *Data) limitTable() string {
	rtt := totals(d.of(PhaseLimitExec, ToolGo))
	pod := totals(d.of(PhaseLimitPod, ToolGo))
	eph := totals(d.of(PhaseLimitEph, ToolGo))
	t := newTable("measure (median)", "value", "n")
	t.row("exec round trip: `true` in the running container (in-process, warm connection)", fmtMS(rtt), fmt.Sprint(len(rtt)))
	t.row("pod start: create a bare busybox pod until its container is Running", fmtMS(pod), fmt.Sprint(len(pod)))
	t.row("ephemeral container start: PATCH until it is Running", fmtMS(eph), fmt.Sprint(len(eph)))
	out := t.b.String() + "\n"

	mRTT, okR := Median(rtt)
	mPod, okP := Median(pod)
	mEph, okE := Median(eph)
	modes := []struct {
		name, kubectl, phase string
		limit                float64
		ok                   bool
	}{
		{"exec", "`kubectl exec`", PhaseExec, mRTT, okR},
		{"clone", "`kubectl run --rm -i`", PhaseClone, mPod + mRTT, okR && okP},
		{"debug", "`kubectl debug -i`", PhaseDebug, mEph + mRTT, okR && okE},
	}
	t = newTable("mode", "what", "kubectl-eshell", "kubectl", "physical limit", "eshell over the limit", "kubectl over the limit", "target met")
	for _, md := range modes {
		es, ks := d.of(md.phase, ToolEshell), d.of(md.phase, ToolKubectl)
		ef, eok := Median(firsts(es))
		kf, kok := Median(firsts(ks))
		et, etok := Median(totals(es))
		kt, ktok := Median(totals(ks))
		lim, over, kover, met := "—", "—", "—", "—"
		if md.ok {
			lim = fmtV(md.limit)
		}
		if md.ok && eok {
			over = fmtV(ef - md.limit)
		}
		if md.ok && kok {
			kover = fmtV(kf - md.limit)
		}
		if md.ok && eok && kok {
			met = yesNo(ef <= kf && ef-md.limit <= targetOverhead)
			met += fmt.Sprintf(" (≤ kubectl: %s, ≤ %.0f ms over: %s)", yesNo(ef <= kf), targetOverhead, yesNo(ef-md.limit <= targetOverhead))
		}
		t.row(md.name, "first output", opt(ef, eok), opt(kf, kok), lim, over, kover, met)
		tmet := "—"
		if etok && ktok {
			tmet = yesNo(et <= kt) + " (≤ kubectl)"
		}
		t.row(md.name, "total session", opt(et, etok), opt(kt, ktok)+"", "—", "—", "—", tmet)
	}
	return out + t.b.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func opt(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmtV(v)
}

func (d *Data) mainTable() string {
	m := &d.Meta
	t := newTable("metric", "kubectl-eshell", "kubectl", "ratio eshell/kubectl")
	es, ks := d.of(PhaseStartup, ToolEshell), d.of(PhaseStartup, ToolKubectl)
	if len(es)+len(ks) > 0 {
		t.row(fmt.Sprintf("start-up: `version` (n=%d)", len(es)), fmtMS(totals(es)), fmtMS(totals(ks)), ratio(totals(es), totals(ks)))
	}
	if m.Eshell.Bytes > 0 && m.Kubectl.Bytes > 0 {
		state := func(s bool) string {
			if s {
				return "stripped"
			}
			return "not stripped"
		}
		t.row("binary size, as built", fmt.Sprintf("%s (%s)", mib(m.Eshell.Bytes), state(m.Eshell.Stripped)),
			fmt.Sprintf("%s (%s)", mib(m.Kubectl.Bytes), state(m.Kubectl.Stripped)), ratioN(float64(m.Eshell.Bytes), float64(m.Kubectl.Bytes)))
		if m.Eshell.StrippedBytes > 0 && m.Kubectl.StrippedBytes > 0 {
			t.row("binary size, both stripped (`strip`)", mib(m.Eshell.StrippedBytes), mib(m.Kubectl.StrippedBytes),
				ratioN(float64(m.Eshell.StrippedBytes), float64(m.Kubectl.StrippedBytes)))
		}
	}
	session := func(what, phase string) {
		es, ks := d.of(phase, ToolEshell), d.of(phase, ToolKubectl)
		if len(es)+len(ks) == 0 {
			return
		}
		t.row(fmt.Sprintf("%s: first output (n=%d)", what, len(es)), fmtMS(firsts(es))+" (output lost "+lost(es)+")",
			fmtMS(firsts(ks))+" (output lost "+lost(ks)+")", ratio(firsts(es), firsts(ks)))
		t.row(fmt.Sprintf("%s: total (failed runs: %d, %d)", what, failed(es), failed(ks)), fmtMS(totals(es)), fmtMS(totals(ks)), ratio(totals(es), totals(ks)))
	}
	session("exec mode vs `kubectl exec`", PhaseExec)
	rate := func(ss []Sample, full bool) []float64 {
		var out []float64
		for _, s := range ss {
			if s.OK() && s.TotalMS > 0 && (!full || s.StdoutBytes == m.StreamBytes) {
				out = append(out, float64(m.StreamBytes)/(s.TotalMS/1000)/1e6)
			}
		}
		return out
	}
	mbps := func(xs []float64) string {
		v, ok := Median(xs)
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.0f MB/s", v)
	}
	ein, kin := d.of(PhaseStreamIn, ToolEshell), d.of(PhaseStreamIn, ToolKubectl)
	eout, kout := d.of(PhaseStreamOut, ToolEshell), d.of(PhaseStreamOut, ToolKubectl)
	if len(ein)+len(kin) > 0 {
		t.row(fmt.Sprintf("stream in: %s stdin → `wc -c`, every byte counted (n=%d)", mib(m.StreamBytes), len(ein)), mbps(rate(ein, false)), mbps(rate(kin, false)), ratio(rate(ein, false), rate(kin, false)))
		t.row("stream in: client CPU time (user+sys) per run", fmtMS(cpu(ein)), fmtMS(cpu(kin)), ratio(cpu(ein), cpu(kin)))
	}
	if len(eout)+len(kout) > 0 {
		t.row(fmt.Sprintf("stream out: `head -c %d /dev/zero` → stdout, every byte arrived (n=%d)", m.StreamBytes, len(eout)), mbps(rate(eout, true)), mbps(rate(kout, true)), ratio(rate(eout, true), rate(kout, true)))
		t.row("stream out: client CPU time (user+sys) per run", fmtMS(cpu(eout)), fmtMS(cpu(kout)), ratio(cpu(eout), cpu(kout)))
	}
	session("clone mode vs `kubectl run --rm -i`", PhaseClone)
	session("debug mode vs `kubectl debug -i`", PhaseDebug)
	d.fanOutRows(t)

	reqRow := func(what, e, k, kcold string) {
		er, eok := d.request(e)
		kr, kok := d.request(k)
		if !eok && !kok {
			return
		}
		kcell := kr.String()
		if c, ok := d.request(kcold); ok && c.Total != kr.Total {
			kcell += fmt.Sprintf("; empty discovery cache: %d", c.Total)
		}
		ecell, r := "—", "—"
		if eok {
			ecell = er.String()
		}
		if eok && kok {
			r = ratioN(float64(er.Total), float64(kr.Total))
			switch {
			case er.ToStream > 0 && kr.ToStream > 0:
				r += " (in sequence to the stream: " + ratioN(float64(er.ToStream), float64(kr.ToStream)) + ")"
			case er.ToStream == 0 && kr.ToStream == 0 && er.Rounds > 0 && kr.Rounds > 0:
				r += " (in sequence: " + ratioN(float64(er.Rounds), float64(kr.Rounds)) + ")"
			}
		}
		t.row(what, ecell, kcell, r)
	}
	reqRow("API requests: exec session vs `kubectl exec`", "eshell-exec", "kubectl-exec", "kubectl-exec-cold")
	reqRow("API requests: clone session vs `kubectl run --rm -i`", "eshell-clone", "kubectl-run", "kubectl-run-cold")
	reqRow("API requests: debug session vs `kubectl debug -i`", "eshell-debug", "kubectl-debug", "kubectl-debug-cold")

	p := m.Picker
	env, kenv := d.of(PhasePickerEnv, ToolEshell), d.of(PhasePickerEnv, ToolKubectl)
	wl, kwl := d.of(PhasePickerWl, ToolEshell), d.of(PhasePickerWl, ToolKubectl)
	if len(kenv)+len(kwl) > 0 {
		t.row(fmt.Sprintf("picker: environments, %d labelled namespaces (n=%d) — eshell: to the error listing them; kubectl: `get ns -l`", p.Namespaces, len(kenv)),
			fmtMS(finished(env)), fmtMS(totals(kenv)), ratio(finished(env), totals(kenv)))
		t.row(fmt.Sprintf("picker: services, %d workloads and %d pods in one namespace (n=%d) — eshell: to the error listing them; kubectl: `get %s`", p.BigCount, p.BigPods, len(kwl), WorkloadKinds),
			fmtMS(finished(wl)), fmtMS(totals(kwl)), ratio(finished(wl), totals(kwl)))
		t.row("picker: the same lists from Go in-process (warm connection; the API server's share)",
			fmt.Sprintf("environments %s, services %s", fmtMS(totals(d.of(PhaseGoEnv, ToolGo))), fmtMS(totals(d.of(PhaseGoWl, ToolGo)))), "—", "—")
	}
	reqRow("API requests: environment question vs `kubectl get ns -l`", "eshell-picker-env", "kubectl-get-ns", "kubectl-get-ns-cold")
	reqRow("API requests: service question vs `kubectl get "+WorkloadKinds+"`", "eshell-picker-services", "kubectl-get-workloads", "kubectl-get-workloads-cold")
	out := t.b.String()
	switch {
	case p.Workloads > 0 && p.Extra == "":
		// The driver fills Extra once the fixture stood; without it the
		// fixture was not built and no picker row was timed.
		out += fmt.Sprintf("\nPicker fixture: not built (%d namespaces and %d Deployments asked for, given up after %.1f s: see the notes from the run); no picker row was timed in this run.\n",
			p.Namespaces, p.Workloads, p.CreatedS)
	case p.Workloads > 0:
		out += fmt.Sprintf("\nPicker fixture: %d namespaces, %d paused Deployments, %d ReplicaSets, %d pods (%d workloads and %d pods in the namespace timed), created in %.1f s by %d workers; counts stable after %.1f s more; made or removed by the controllers on their own: %s.\n",
			p.Namespaces, p.Workloads, p.ReplicaSets, p.Pods, p.BigCount, p.BigPods, p.CreatedS, p.Workers, p.SettledS, p.Extra)
	}
	if p.EnforcerStopped {
		out += "The NetworkPolicy enforcer (kube-router) was stopped from the fixture's creation to the end of the run: it follows every pod event, and the picker rows time API reads only.\n"
	}
	return out
}
