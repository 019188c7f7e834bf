// Command bench measures kubectl-eshell side by side with kubectl on the
// local cluster: time to first output and total time per mode, API
// requests per session, stream throughput, picker latency over many
// namespaces and workloads, start-up time and binary size. Every
// comparison runs interleaved (eshell, kubectl, kubectl, eshell, ...) so
// load from other work on the machine hits both sides alike.
//
// It is run by hack/bench.sh (make bench), which passes the binaries and
// the kubeconfig; settings come from the environment (see config).
package main

import (
	"context"
	"crypto/rand"
	"debug/buildinfo"
	"debug/elf"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type config struct {
	eshell, kubectl, kubeconfig, out string
	goVersion, commit                string

	quick                     bool
	sessions, clones, debugs  int
	debugBatch, streamPairs   int
	startups, pickers         int
	namespaces, workloads     int
	workloadSpread            int
	streamBytes               int64
	image                     string
	cleanupWait               time.Duration
	only                      map[string]bool
	sessionTimeout, streamTTL time.Duration
}

func envInt(name string, def int) int {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "bench: %s=%q is not a count; using %d\n", name, v, def)
			return def
		}
		return n
	}
	return def
}

func parseConfig() (*config, error) {
	c := &config{}
	flag.StringVar(&c.eshell, "eshell", "bin/kubectl-eshell", "kubectl-eshell binary")
	flag.StringVar(&c.kubectl, "kubectl", "bin/kubectl", "kubectl binary")
	flag.StringVar(&c.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	flag.StringVar(&c.out, "out", "bench/out", "directory for results")
	flag.StringVar(&c.goVersion, "go-version", runtime.Version(), "go version line for the report")
	flag.StringVar(&c.commit, "commit", "unknown", "commit for the report")
	flag.Parse()
	c.quick = os.Getenv("BENCH_QUICK") == "1"
	c.sessions, c.clones, c.debugs, c.debugBatch = 15, 10, 10, 5
	c.streamPairs, c.startups, c.pickers = 4, 20, 7
	c.namespaces, c.workloads = 1000, 5000
	if c.quick {
		c.sessions, c.clones, c.debugs, c.debugBatch = 6, 4, 4, 4
		c.streamPairs, c.startups, c.pickers = 2, 10, 5
		c.namespaces, c.workloads = 100, 500
	}
	if n := envInt("BENCH_ITER", 0); n > 0 {
		c.sessions, c.clones, c.debugs = n, n, n
	}
	c.startups = envInt("BENCH_STARTUP_ITER", c.startups)
	c.namespaces = envInt("BENCH_NAMESPACES", c.namespaces)
	c.workloads = envInt("BENCH_WORKLOADS", c.workloads)
	c.workloadSpread = 5
	c.streamBytes = int64(envInt("BENCH_STREAM_MIB", 100)) << 20
	c.image = "busybox:1.37"
	c.cleanupWait = time.Duration(envInt("BENCH_CLEANUP_WAIT", 180)) * time.Second
	c.sessionTimeout, c.streamTTL = 90*time.Second, 180*time.Second
	if v := strings.TrimSpace(os.Getenv("BENCH_ONLY")); v != "" {
		c.only = map[string]bool{}
		for _, p := range strings.Split(v, ",") {
			c.only[strings.TrimSpace(p)] = true
		}
	}
	for _, p := range []*string{&c.eshell, &c.kubectl, &c.out} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = abs
	}
	for _, b := range []string{c.eshell, c.kubectl} {
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("%s is missing: run make build tools (make bench does)", b)
		}
	}
	if c.kubeconfig == "" {
		return nil, errors.New("no kubeconfig: pass --kubeconfig or set KUBECONFIG")
	}
	return c, nil
}

// Bench is one run.
type Bench struct {
	cfg     *config
	run     string
	cl      *Cluster
	r       *Runner
	ns      string // the namespace of deploy/bench
	cache   string // kubectl's discovery cache, warmed before timing
	tmp     string
	rows    []Row
	notes   []string
	samples [][]string
	log     io.Writer
}

func (b *Bench) phase(name string) bool {
	if b.cfg.only != nil && !b.cfg.only[name] {
		return false
	}
	fmt.Fprintf(b.log, "== %s\n", name)
	return true
}

func (b *Bench) row(metric, eshell, kubectl, ratio string) {
	b.rows = append(b.rows, Row{metric, eshell, kubectl, ratio})
}

func (b *Bench) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.notes = append(b.notes, msg)
	fmt.Fprintf(b.log, "note: %s\n", msg)
}

func (b *Bench) eshell(args ...string) []string {
	return append([]string{b.cfg.eshell}, args...)
}

func (b *Bench) kubectl(args ...string) []string {
	return append([]string{b.cfg.kubectl, "--cache-dir", b.cache}, args...)
}

// kubectlCold is kubectl with an empty discovery cache.
func (b *Bench) kubectlCold(args ...string) []string {
	dir, err := os.MkdirTemp(b.tmp, "kube-cache-")
	if err != nil {
		dir = filepath.Join(b.tmp, "kube-cache-cold")
	}
	return append([]string{b.cfg.kubectl, "--cache-dir", dir}, args...)
}

func (b *Bench) record(phase string, i int, s Sample) {
	errS := ""
	if s.Err != nil {
		errS = s.Err.Error()
	} else if s.Code != 0 {
		errS = tail(s.Stderr, 2)
	}
	first := ""
	if s.Seen() {
		first = fmt.Sprintf("%.1f", float64(s.First)/float64(time.Millisecond))
	}
	b.samples = append(b.samples, []string{phase, s.Name, strconv.Itoa(i), first,
		fmt.Sprintf("%.1f", float64(s.Total)/float64(time.Millisecond)), strconv.Itoa(s.Code), strconv.FormatInt(s.Out, 10), errS})
}

// pairs runs a and k n times each, interleaved and alternating which goes
// first, and records every sample under phase.
func (b *Bench) pairs(ctx context.Context, phase string, n int, a, k func(i int) Sample) (es, ks []Sample) {
	for i := 0; i < n && ctx.Err() == nil; i++ {
		var sa, sk Sample
		if i%2 == 0 {
			sa = a(i)
			sk = k(i)
		} else {
			sk = k(i)
			sa = a(i)
		}
		b.record(phase, i, sa)
		b.record(phase, i, sk)
		es, ks = append(es, sa), append(ks, sk)
	}
	return es, ks
}

func randomName(n int) string {
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, n)
	for i := range out {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		out[i] = alnum[k.Int64()]
	}
	return string(out)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func main() { os.Exit(run()) }

func run() int {
	cfg, err := parseConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if err := os.MkdirAll(filepath.Join(cfg.out, "requests"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: kubeconfig:", err)
		return 1
	}
	rc.QPS, rc.Burst = 200, 400
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "eshell-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer func() {
		if err := os.RemoveAll(tmp); err != nil {
			fmt.Fprintln(os.Stderr, "bench: removing the scratch directory:", err)
		}
	}()
	xdg := filepath.Join(tmp, "xdg") // no user config file or presets
	_ = os.MkdirAll(xdg, 0o755)

	runID := randomName(5)
	b := &Bench{
		cfg: cfg, run: runID, tmp: tmp, log: os.Stderr,
		cl:    &Cluster{C: client, Run: runID, Image: cfg.image},
		r:     &Runner{Env: environ("KUBECONFIG="+cfg.kubeconfig, "XDG_CONFIG_HOME="+xdg), Log: os.Stderr},
		ns:    "eshell-bench-" + runID,
		cache: filepath.Join(tmp, "kube-cache"),
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	loadStart := loadavg()

	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	server, err := client.Discovery().ServerVersion()
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: the cluster does not answer (make cluster-up):", err)
		return 1
	}
	if n := b.cl.DeleteStale(sctx, time.Hour); n > 0 {
		b.note("deleted %d namespaces left by an earlier bench run that was killed", n)
	}
	eshellVersion := b.r.Run(ctx, "eshell version", 30*time.Second, nil, "", b.eshell("version")...)
	kubectlVersion := b.r.Run(ctx, "kubectl version", 30*time.Second, nil, "", b.kubectl("version", "--client")...)

	cleanupDone := false
	cleanup := func() {
		if cleanupDone {
			return
		}
		cleanupDone = true
		fmt.Fprintf(b.log, "== cleanup: deleting the namespaces labelled %s=%s (waiting up to %s)\n", runLabel, runID, cfg.cleanupWait)
		left, err := b.cl.Cleanup(cfg.cleanupWait)
		switch {
		case err != nil:
			b.note("cleanup: %v; remove them with: kubectl delete ns -l %s=%s", err, runLabel, runID)
		case left > 0:
			b.note("cleanup: %d bench namespaces were still terminating after %s; the namespace controller finishes them (kubectl get ns -l %s=%s)", left, cfg.cleanupWait, runLabel, runID)
		}
	}
	defer cleanup()

	b.startup(ctx)
	b.sizes()
	if err := b.setup(ctx); err != nil {
		b.note("setup failed, the session measurements were skipped: %v", err)
	} else {
		b.exec(ctx)
		b.stream(ctx)
		b.clone(ctx)
		b.debug(ctx)
		b.requests(ctx)
	}
	b.picker(ctx)
	cleanup()
	if ctx.Err() != nil {
		b.note("interrupted: the results are partial")
	}

	mode := "full"
	if cfg.quick {
		mode = "quick (BENCH_QUICK=1)"
	}
	var hdr strings.Builder
	fmt.Fprintf(&hdr, "# kubectl-eshell vs kubectl, side by side\n\n")
	fmt.Fprintf(&hdr, "- date: %s (run %s, %s, took %s)\n", started.UTC().Format("2006-01-02 15:04 MST"), runID, mode, time.Since(started).Round(time.Second))
	fmt.Fprintf(&hdr, "- machine: %d CPUs (nproc), %s/%s, load average %s at start, %s at end (other work was running)\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, loadStart, loadavg())
	fmt.Fprintf(&hdr, "- go: %s\n", strings.TrimSpace(cfg.goVersion))
	fmt.Fprintf(&hdr, "- commit: %s\n", cfg.commit)
	fmt.Fprintf(&hdr, "- kubectl-eshell: %s\n", firstLine(eshellVersion.Stdout()))
	fmt.Fprintf(&hdr, "- kubectl: bin/kubectl built from %s (go.mod's; it calls itself %q)\n", modules(cfg.kubectl, "k8s.io/kubectl", "k8s.io/client-go"), firstLine(kubectlVersion.Stdout()))
	fmt.Fprintf(&hdr, "- cluster: local kube-apiserver %s on 127.0.0.1, process-backed node agent; image %s\n", server.GitVersion, cfg.image)
	fmt.Fprintf(&hdr, "- iterations (pairs): sessions %d, clone %d, debug %d (fresh pod every %d), stream %d × %s, start-up %d, picker %d over %d namespaces / %d workloads\n",
		cfg.sessions, cfg.clones, cfg.debugs, cfg.debugBatch, cfg.streamPairs, mib(cfg.streamBytes), cfg.startups, cfg.pickers, cfg.namespaces, cfg.workloads)
	md := hdr.String() + "\n" + Table(b.rows)
	if len(b.notes) > 0 {
		md += "\nNotes:\n\n"
		for _, n := range b.notes {
			md += "- " + n + "\n"
		}
	}
	fmt.Print(md)
	if err := os.WriteFile(filepath.Join(cfg.out, "results.md"), []byte(md), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if err := writeCSV(filepath.Join(cfg.out, "samples.csv"), b.samples); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "bench: results in %s (every sample: samples.csv; request logs: requests/)\n", cfg.out)
	if ctx.Err() != nil {
		return 130
	}
	return 0
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"phase", "command", "iteration", "first_output_ms", "total_ms", "exit_code", "stdout_bytes", "error"})
	_ = w.WriteAll(rows)
	w.Flush()
	if err := w.Error(); err != nil {
		_ = f.Close() // the write error is the one worth reporting
		return err
	}
	return f.Close()
}

// modules names the versions of the given modules a Go binary was built with.
func modules(path string, mods ...string) string {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return "unknown modules"
	}
	var out []string
	for _, m := range mods {
		for _, d := range info.Deps {
			if d.Path == m {
				out = append(out, m+" "+d.Version)
			}
		}
	}
	if len(out) == 0 {
		return "unknown modules"
	}
	return strings.Join(out, ", ")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "unknown"
	}
	return s
}

// startup times `kubectl-eshell version` against `kubectl version --client`.
func (b *Bench) startup(ctx context.Context) {
	if !b.phase("startup") {
		return
	}
	es, ks := b.pairs(ctx, "startup", b.cfg.startups,
		func(int) Sample {
			return b.r.Run(ctx, "eshell version", 30*time.Second, nil, "", b.eshell("version")...)
		},
		func(int) Sample {
			return b.r.Run(ctx, "kubectl version --client", 30*time.Second, nil, "", b.kubectl("version", "--client")...)
		})
	b.row(fmt.Sprintf("start-up: `version` (n=%d)", len(es)), fmtMS(totals(es)), fmtMS(totals(ks)), ratio(totals(es), totals(ks)))
}

// sizes compares the binaries as built and both stripped alike.
func (b *Bench) sizes() {
	if !b.phase("size") {
		return
	}
	desc := func(path string) (int64, string) {
		st, err := os.Stat(path)
		if err != nil {
			return 0, "?"
		}
		state := "stripped"
		if f, err := elf.Open(path); err == nil {
			if f.Section(".symtab") != nil {
				state = "not stripped"
			}
			_ = f.Close() // read only; the section table was already read
		}
		return st.Size(), state
	}
	es, estate := desc(b.cfg.eshell)
	ks, kstate := desc(b.cfg.kubectl)
	b.row("binary size, as built", fmt.Sprintf("%s (%s)", mib(es), estate), fmt.Sprintf("%s (%s)", mib(ks), kstate), ratioN(float64(es), float64(ks)))
	strip, err := exec.LookPath("strip")
	if err != nil {
		b.note("no strip on PATH: only the sizes as built are shown")
		return
	}
	stripped := func(path string) int64 {
		dst := filepath.Join(b.tmp, filepath.Base(path)+".stripped")
		if out, err := exec.Command(strip, "-o", dst, path).CombinedOutput(); err != nil {
			b.note("strip %s: %v %s", path, err, out)
			return 0
		}
		st, err := os.Stat(dst)
		if err != nil {
			return 0
		}
		_ = os.Remove(dst)
		return st.Size()
	}
	se, sk := stripped(b.cfg.eshell), stripped(b.cfg.kubectl)
	if se > 0 && sk > 0 {
		b.row("binary size, both stripped (`strip`)", mib(se), mib(sk), ratioN(float64(se), float64(sk)))
	}
}

// setup creates the bench namespace and deploy/bench, and warms both
// tools (kubectl's discovery cache, the API server's caches).
func (b *Bench) setup(ctx context.Context) error {
	fmt.Fprintf(b.log, "== setup: namespace %s, deploy/bench (%s)\n", b.ns, b.cfg.image)
	if err := b.cl.namespace(ctx, b.ns, nil, nil); err != nil {
		return fmt.Errorf("creating namespace %s: %w", b.ns, err)
	}
	// Pods are refused until the namespace's default ServiceAccount exists.
	err := b.cl.waitFor(ctx, 60*time.Second, "the default ServiceAccount of "+b.ns, func(ctx context.Context) (bool, error) {
		_, err := b.cl.C.CoreV1().ServiceAccounts(b.ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		return err
	}
	if err := b.cl.Deployment(ctx, b.ns, "bench"); err != nil {
		return err
	}
	for _, argv := range [][]string{
		b.eshell("-n", b.ns, "deploy/bench", "--mode", "exec", "-q", "--no-audit", "--", "echo", "ready"),
		b.kubectl("-n", b.ns, "exec", "deploy/bench", "--", "echo", "ready"),
	} {
		if s := b.r.Run(ctx, "warm-up", b.cfg.sessionTimeout, nil, "ready", argv...); !s.OK() || !s.Seen() {
			return fmt.Errorf("warm-up %s failed (exit %d, %v): %s", filepath.Base(argv[0]), s.Code, s.Err, tail(s.Stderr, 3))
		}
	}
	return nil
}

func (b *Bench) execArgs(cmd ...string) []string {
	return b.eshell(append([]string{"-n", b.ns, "deploy/bench", "--mode", "exec", "-q", "--no-audit", "--"}, cmd...)...)
}

func (b *Bench) kubectlExecArgs(stdin bool, cmd ...string) []string {
	args := []string{"-n", b.ns, "exec"}
	if stdin {
		args = append(args, "-i")
	}
	return b.kubectl(append(append(args, "deploy/bench", "--"), cmd...)...)
}

// exec: kubectl-eshell --mode exec against kubectl exec.
func (b *Bench) exec(ctx context.Context) {
	if !b.phase("exec") {
		return
	}
	es, ks := b.pairs(ctx, "exec", b.cfg.sessions,
		func(int) Sample {
			return b.r.Run(ctx, "eshell --mode exec", b.cfg.sessionTimeout, nil, "ready", b.execArgs("echo", "ready")...)
		},
		func(int) Sample {
			return b.r.Run(ctx, "kubectl exec", b.cfg.sessionTimeout, nil, "ready", b.kubectlExecArgs(false, "echo", "ready")...)
		})
	b.sessionRows("exec mode vs `kubectl exec`", es, ks, false)
}

// sessionRows adds the first-output and total rows of one comparison.
func (b *Bench) sessionRows(what string, es, ks []Sample, showLost bool) {
	e1, k1 := fmtMS(firsts(es)), fmtMS(firsts(ks))
	if showLost {
		e1 += fmt.Sprintf(" (output lost %s)", lost(es))
		k1 += fmt.Sprintf(" (output lost %s)", lost(ks))
	}
	b.row(fmt.Sprintf("%s: first output (n=%d)", what, len(es)), e1, k1, ratio(firsts(es), firsts(ks)))
	b.row(fmt.Sprintf("%s: total", what), fmtMS(totals(es)), fmtMS(totals(ks)), ratio(totals(es), totals(ks)))
	if n := failed(es) + failed(ks); n > 0 {
		b.note("%s: %d of eshell's and %d of kubectl's runs failed (see samples.csv)%s", what, failed(es), failed(ks), firstFailure(append(append([]Sample{}, es...), ks...)))
	}
	if !showLost {
		if l := lost(es) + lost(ks); l != fmt.Sprintf("0/%d0/%d", len(es), len(ks)) {
			b.note("%s: the output was missing in %s of eshell's and %s of kubectl's runs", what, lost(es), lost(ks))
		}
	}
}

func firstFailure(ss []Sample) string {
	for _, s := range ss {
		if !s.OK() {
			msg := tail(s.Stderr, 2)
			if s.Err != nil {
				msg = s.Err.Error() + " " + msg
			}
			return fmt.Sprintf("; first: %s: exit %d: %s", s.Name, s.Code, msg)
		}
	}
	return ""
}

// stream pushes streamBytes through cat, and pulls them out of head.
func (b *Bench) stream(ctx context.Context) {
	if !b.phase("stream") {
		return
	}
	n := b.cfg.streamBytes
	size := strconv.FormatInt(n, 10)
	rate := func(ss []Sample, check func(Sample) bool) []float64 {
		var out []float64
		for _, s := range ss {
			if s.OK() && check(s) {
				out = append(out, float64(n)/s.Total.Seconds()/1e6)
			}
		}
		return out
	}
	mbps := func(xs []float64) string {
		m, ok := median(xs)
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.0f MB/s", m)
	}
	all := func(Sample) bool { return true }
	full := func(s Sample) bool { return s.Out == n }

	ein, kin := b.pairs(ctx, "stream-in", b.cfg.streamPairs,
		func(int) Sample {
			return b.r.Run(ctx, "eshell exec stdin→cat", b.cfg.streamTTL, zeroStream(n), "", b.execArgs("sh", "-c", "cat >/dev/null")...)
		},
		func(int) Sample {
			return b.r.Run(ctx, "kubectl exec -i stdin→cat", b.cfg.streamTTL, zeroStream(n), "", b.kubectlExecArgs(true, "sh", "-c", "cat >/dev/null")...)
		})
	b.row(fmt.Sprintf("stream in: %s stdin → `cat >/dev/null` (n=%d)", mib(n), len(ein)), mbps(rate(ein, all)), mbps(rate(kin, all)), ratio(rate(ein, all), rate(kin, all)))
	eout, kout := b.pairs(ctx, "stream-out", b.cfg.streamPairs,
		func(int) Sample {
			return b.r.Run(ctx, "eshell exec head→stdout", b.cfg.streamTTL, nil, "", b.execArgs("head", "-c", size, "/dev/zero")...)
		},
		func(int) Sample {
			return b.r.Run(ctx, "kubectl exec head→stdout", b.cfg.streamTTL, nil, "", b.kubectlExecArgs(false, "head", "-c", size, "/dev/zero")...)
		})
	b.row(fmt.Sprintf("stream out: `head -c %s /dev/zero` (%s) → stdout (n=%d)", size, mib(n), len(eout)), mbps(rate(eout, full)), mbps(rate(kout, full)), ratio(rate(eout, full), rate(kout, full)))
	cpu := func(ss []Sample) []float64 {
		var out []float64
		for _, s := range ss {
			if s.OK() {
				out = append(out, float64(s.CPU)/float64(time.Millisecond))
			}
		}
		return out
	}
	b.row("stream in: client CPU time (user+sys) per run", fmtMS(cpu(ein)), fmtMS(cpu(kin)), ratio(cpu(ein), cpu(kin)))
	b.row("stream out: client CPU time (user+sys) per run", fmtMS(cpu(eout)), fmtMS(cpu(kout)), ratio(cpu(eout), cpu(kout)))
	for _, s := range append(append([]Sample{}, eout...), kout...) {
		if s.OK() && s.Out != n {
			b.note("stream out: %s delivered %d of %d bytes", s.Name, s.Out, n)
		}
	}
	if f := failed(ein) + failed(kin) + failed(eout) + failed(kout); f > 0 {
		b.note("stream: %d runs failed%s", f, firstFailure(append(append(append(append([]Sample{}, ein...), kin...), eout...), kout...)))
	}
}

// clone: a clone of deploy/bench against kubectl run --rm -i of the same image.
func (b *Bench) clone(ctx context.Context) {
	if !b.phase("clone") {
		return
	}
	b.r.Run(ctx, "warm-up eshell clone", b.cfg.sessionTimeout, nil, "ready", b.eshell("-n", b.ns, "deploy/bench", "--mode", "clone", "-q", "--no-audit", "--", "echo", "ready")...)
	b.r.Run(ctx, "warm-up kubectl run", b.cfg.sessionTimeout, nil, "ready", b.kubectl("-n", b.ns, "run", "--rm", "-i", "--restart=Never", "--image="+b.cfg.image, "bench-run-warm", "--", "echo", "ready")...)
	es, ks := b.pairs(ctx, "clone", b.cfg.clones,
		func(int) Sample {
			return b.r.Run(ctx, "eshell --mode clone", b.cfg.sessionTimeout, nil, "ready", b.eshell("-n", b.ns, "deploy/bench", "--mode", "clone", "-q", "--no-audit", "--", "echo", "ready")...)
		},
		func(i int) Sample {
			return b.r.Run(ctx, "kubectl run --rm -i", b.cfg.sessionTimeout, nil, "ready", b.kubectl("-n", b.ns, "run", "--rm", "-i", "--restart=Never", "--image="+b.cfg.image, fmt.Sprintf("bench-run-%d", i), "--", "echo", "ready")...)
		})
	b.sessionRows("clone mode vs `kubectl run --rm -i`", es, ks, true)
}

// debugProbe reports whether this kubectl-eshell has --mode debug, without
// touching any pod (--dry-run=client).
func (b *Bench) debugProbe(ctx context.Context, pod string) (bool, string) {
	s := b.r.Run(ctx, "probe --mode debug", 60*time.Second, nil, "", b.eshell("-n", b.ns, "pod/"+pod, "--mode", "debug", "--dry-run=client", "--", "true")...)
	if s.OK() {
		return true, ""
	}
	return false, tail(s.Stderr, 2)
}

// debug: --mode debug against kubectl debug -i, on the same fresh pod.
func (b *Bench) debug(ctx context.Context) {
	if !b.phase("debug") {
		return
	}
	var es, ks []Sample
	supported, why := true, ""
	batch := max(1, b.cfg.debugBatch)
	for start := 0; start < b.cfg.debugs && ctx.Err() == nil; start += batch {
		pod := fmt.Sprintf("dbg-%d", start/batch)
		if err := b.cl.Pod(ctx, b.ns, pod); err != nil {
			b.note("debug: %v", err)
			break
		}
		if start == 0 {
			supported, why = b.debugProbe(ctx, pod)
			if !supported {
				b.note("debug: --mode debug is not available in this build (%s); only kubectl debug was measured", why)
			}
			// Warm-up on the first pod.
			if supported {
				b.r.Run(ctx, "warm-up eshell debug", b.cfg.sessionTimeout, nil, "ready", b.eshellDebug(pod)...)
			}
			b.r.Run(ctx, "warm-up kubectl debug", b.cfg.sessionTimeout, nil, "ready", b.kubectlDebug(pod)...)
		}
		n := min(batch, b.cfg.debugs-start)
		if supported {
			e, k := b.pairs(ctx, "debug", n,
				func(int) Sample {
					return b.r.Run(ctx, "eshell --mode debug", b.cfg.sessionTimeout, nil, "ready", b.eshellDebug(pod)...)
				},
				func(int) Sample {
					return b.r.Run(ctx, "kubectl debug -i", b.cfg.sessionTimeout, nil, "ready", b.kubectlDebug(pod)...)
				})
			es, ks = append(es, e...), append(ks, k...)
		} else {
			for i := 0; i < n && ctx.Err() == nil; i++ {
				s := b.r.Run(ctx, "kubectl debug -i", b.cfg.sessionTimeout, nil, "ready", b.kubectlDebug(pod)...)
				b.record("debug", start+i, s)
				ks = append(ks, s)
			}
		}
		b.cl.DeletePod(ctx, b.ns, pod)
	}
	what := "debug mode vs `kubectl debug -i`"
	if supported {
		b.sessionRows(what, es, ks, true)
		return
	}
	b.row(fmt.Sprintf("%s: first output (n=%d)", what, len(ks)), "n/a (not built)", fmtMS(firsts(ks))+fmt.Sprintf(" (output lost %s)", lost(ks)), "—")
	b.row(what+": total", "n/a (not built)", fmtMS(totals(ks)), "—")
}

func (b *Bench) eshellDebug(pod string) []string {
	return b.eshell("-n", b.ns, "pod/"+pod, "--mode", "debug", "--image", b.cfg.image, "-q", "--no-audit", "--", "echo", "ready")
}

func (b *Bench) kubectlDebug(pod string) []string {
	return b.kubectl("-n", b.ns, "debug", "-i", pod, "--image="+b.cfg.image, "--target=bench", "--", "sh", "-c", "echo ready")
}

// count runs argv once at -v=6 and counts its API requests; the log and
// the request list are kept under out/requests/.
func (b *Bench) count(ctx context.Context, name string, stdin io.Reader, argv []string) (Requests, Sample) {
	argv = append([]string{argv[0], "-v=6"}, argv[1:]...)
	s := b.r.Run(ctx, "-v=6 "+name, b.cfg.sessionTimeout, stdin, "", argv...)
	req := CountRequests(s.Stderr)
	file := filepath.Join(b.cfg.out, "requests", name+".txt")
	content := fmt.Sprintf("# %s\n# exit %d; %s\n%s\n\n# timeline (from the process start)\n%s\n# full log\n%s",
		strings.Join(argv, " "), s.Code, req.String(), strings.Join(req.Lines, "\n"), Timeline(s.Stderr, s.Started, s.Total), s.Stderr)
	_ = os.WriteFile(file, []byte(content), 0o644)
	return req, s
}

// requestRow adds one row of request counts: eshell, kubectl with a warm
// discovery cache, and the kubectl count with an empty cache.
func (b *Bench) requestRow(what string, e Requests, eok bool, k, kcold Requests) {
	ecell := e.String()
	if !eok {
		ecell += " (failed)"
	}
	kcell := k.String()
	if kcold.Total != k.Total {
		kcell += fmt.Sprintf("; empty discovery cache: %d", kcold.Total)
	}
	r := ratioN(float64(e.Total), float64(k.Total))
	switch {
	case e.ToStream > 0 && k.ToStream > 0:
		r += " (in sequence to the stream: " + ratioN(float64(e.ToStream), float64(k.ToStream)) + ")"
	case e.ToStream == 0 && k.ToStream == 0 && e.Rounds > 0 && k.Rounds > 0:
		r += " (in sequence: " + ratioN(float64(e.Rounds), float64(k.Rounds)) + ")"
	}
	b.row(what, ecell, kcell, r)
}

// requests counts the API requests of one session of each mode.
func (b *Bench) requests(ctx context.Context) {
	if !b.phase("requests") {
		return
	}
	e, es := b.count(ctx, "eshell-exec", nil, b.execArgs("echo", "ready"))
	k, _ := b.count(ctx, "kubectl-exec", nil, b.kubectlExecArgs(false, "echo", "ready"))
	kc, _ := b.count(ctx, "kubectl-exec-cold", nil, b.kubectlCold("-n", b.ns, "exec", "deploy/bench", "--", "echo", "ready"))
	b.requestRow("API requests: exec session (`-q --no-audit`)", e, es.OK(), k, kc)
	ea, eas := b.count(ctx, "eshell-exec-audit", nil, b.eshell("-n", b.ns, "deploy/bench", "--mode", "exec", "-q", "--", "echo", "ready"))
	b.requestRow("API requests: exec session with audit Events (eshell's default)", ea, eas.OK(), k, kc)

	e, es = b.count(ctx, "eshell-clone", nil, b.eshell("-n", b.ns, "deploy/bench", "--mode", "clone", "-q", "--no-audit", "--", "echo", "ready"))
	k, _ = b.count(ctx, "kubectl-run", nil, b.kubectl("-n", b.ns, "run", "--rm", "-i", "--restart=Never", "--image="+b.cfg.image, "bench-run-v6", "--", "echo", "ready"))
	kc, _ = b.count(ctx, "kubectl-run-cold", nil, b.kubectlCold("-n", b.ns, "run", "--rm", "-i", "--restart=Never", "--image="+b.cfg.image, "bench-run-v6c", "--", "echo", "ready"))
	b.requestRow("API requests: clone session vs `kubectl run --rm -i`", e, es.OK(), k, kc)

	pod := "dbg-requests"
	if err := b.cl.Pod(ctx, b.ns, pod); err != nil {
		b.note("requests: %v", err)
		return
	}
	defer b.cl.DeletePod(ctx, b.ns, pod)
	k, _ = b.count(ctx, "kubectl-debug", nil, b.kubectlDebug(pod))
	kc, _ = b.count(ctx, "kubectl-debug-cold", nil, b.kubectlCold("-n", b.ns, "debug", "-i", pod, "--image="+b.cfg.image, "--target=bench", "--", "sh", "-c", "echo ready"))
	if ok, _ := b.debugProbe(ctx, pod); !ok {
		b.row("API requests: debug session vs `kubectl debug -i`", "n/a (not built)", k.String()+fmt.Sprintf("; empty discovery cache: %d", kc.Total), "—")
		return
	}
	e, es = b.count(ctx, "eshell-debug", nil, b.eshellDebug(pod))
	b.requestRow("API requests: debug session vs `kubectl debug -i`", e, es.OK(), k, kc)
}

// picker times the environment and service questions (without a terminal
// they end in an error listing the choices) against kubectl get.
func (b *Bench) picker(ctx context.Context) {
	if !b.phase("picker") || b.cfg.namespaces == 0 {
		return
	}
	help := b.r.Run(ctx, "eshell --help", 30*time.Second, nil, "", b.eshell("--help")...)
	built := strings.Contains(help.Stdout()+help.Stderr, "--env-label")
	envLabel := fmt.Sprintf("bench-%s.eshell.sberz.de/env", b.run)
	fmt.Fprintf(b.log, "== picker: creating %d namespaces (label %s) and %d workloads\n", b.cfg.namespaces, envLabel, b.cfg.workloads)
	cctx, cancel := context.WithTimeout(ctx, 6*time.Minute)
	po, err := b.cl.CreatePickerObjects(cctx, b.cfg.namespaces, b.cfg.workloads, b.cfg.workloadSpread, envLabel)
	cancel()
	if err != nil {
		b.note("picker: %v", err)
		return
	}
	objs := b.cfg.namespaces + b.cfg.workloads
	b.note("picker: created %d namespaces and %d paused Deployments with 0 replicas (no pods, no ReplicaSets; %d in namespace %s, the one timed) in %s, %.0f objects/s with 16 concurrent clients",
		b.cfg.namespaces, b.cfg.workloads, po.BigCount, po.WorkloadNS[0], po.Created.Round(100*time.Millisecond), float64(objs)/po.Created.Seconds())
	big := po.WorkloadNS[0]
	kinds := "deployments,statefulsets,daemonsets,cronjobs,jobs,pods"

	var goEnv, goWl []float64
	goList := func(f func(context.Context) (int, error), want int, into *[]float64) {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		t := time.Now()
		n, err := f(lctx)
		d := time.Since(t)
		if err == nil && n >= want {
			*into = append(*into, float64(d)/float64(time.Millisecond))
		}
	}
	envCheck := func(s Sample) Sample {
		// Without a terminal the question is an error listing the choices.
		if s.Err == nil && !strings.Contains(s.Stderr, "env-0") {
			s.Err = fmt.Errorf("no environment listed: %s", tail(s.Stderr, 2))
		}
		return s
	}
	wlCheck := func(s Sample) Sample {
		if s.Err == nil && !strings.Contains(s.Stderr, "svc-") {
			s.Err = fmt.Errorf("no workload listed: %s", tail(s.Stderr, 2))
		}
		return s
	}
	envArgs := b.eshell("--env-label", envLabel, "--mode", "exec", "-q")
	wlArgs := b.eshell("-n", big, "--mode", "exec", "-q")
	var eEnv, kEnv, eWl, kWl []Sample
	for i := 0; i < b.cfg.pickers && ctx.Err() == nil; i++ {
		runE := func() {
			if built {
				s := envCheck(b.r.Run(ctx, "eshell env question", 60*time.Second, nil, "", envArgs...))
				b.record("picker-env", i, s)
				eEnv = append(eEnv, s)
			}
		}
		runK := func() {
			s := b.r.Run(ctx, "kubectl get ns -l", 60*time.Second, nil, "", b.kubectl("get", "ns", "-l", envLabel)...)
			b.record("picker-env", i, s)
			kEnv = append(kEnv, s)
		}
		if i%2 == 0 {
			runE()
			runK()
		} else {
			runK()
			runE()
		}
		goList(func(c context.Context) (int, error) { return b.cl.ListEnvironments(c, envLabel) }, b.cfg.namespaces, &goEnv)

		runE = func() {
			if built {
				s := wlCheck(b.r.Run(ctx, "eshell service question", 60*time.Second, nil, "", wlArgs...))
				b.record("picker-workloads", i, s)
				eWl = append(eWl, s)
			}
		}
		runK = func() {
			s := b.r.Run(ctx, "kubectl get "+kinds, 60*time.Second, nil, "", b.kubectl("-n", big, "get", kinds)...)
			b.record("picker-workloads", i, s)
			kWl = append(kWl, s)
		}
		if i%2 == 0 {
			runE()
			runK()
		} else {
			runK()
			runE()
		}
		goList(func(c context.Context) (int, error) { return b.cl.ListWorkloads(c, big) }, po.BigCount, &goWl)
	}
	envWhat := fmt.Sprintf("picker: environments, %d labelled namespaces (n=%d)", b.cfg.namespaces, len(kEnv))
	wlWhat := fmt.Sprintf("picker: services, %d workloads in one namespace (n=%d)", po.BigCount, len(kWl))
	goCell := func(xs []float64) string { return fmt.Sprintf("in-process Go lists: %s", fmtMS(xs)) }
	if built {
		b.row(envWhat+" — eshell: to the error listing them; kubectl: `get ns -l`", fmtMS(anyTotals(eEnv)), fmtMS(totals(kEnv)), ratio(anyTotals(eEnv), totals(kEnv)))
		b.row(wlWhat+" — eshell: to the error listing them; kubectl: `get "+kinds+"`", fmtMS(anyTotals(eWl)), fmtMS(totals(kWl)), ratio(anyTotals(eWl), totals(kWl)))
		if f := failed(kEnv) + failed(kWl); f > 0 {
			b.note("picker: %d kubectl runs failed%s", f, firstFailure(append(append([]Sample{}, kEnv...), kWl...)))
		}
		for _, s := range append(append([]Sample{}, eEnv...), eWl...) {
			if s.Err != nil {
				b.note("picker: %s did not end in the list of choices: %v", s.Name, s.Err)
				break
			}
		}
	} else {
		b.row(envWhat+" — kubectl: `get ns -l`", "n/a (picker not built); "+goCell(goEnv), fmtMS(totals(kEnv)), "—")
		b.row(wlWhat+" — kubectl: `get "+kinds+"`", "n/a (picker not built); "+goCell(goWl), fmtMS(totals(kWl)), "—")
		b.note("picker: this kubectl-eshell has no --env-label (the picker is not built yet); the eshell column shows the picker's API work done in-process from Go (one namespace list; one list per kind, concurrently) on a warm connection")
	}
	if built {
		b.row("picker: the same lists from Go in-process (warm connection; the API server's share)", fmt.Sprintf("environments %s, services %s", fmtMS(goEnv), fmtMS(goWl)), "—", "—")
		e, es := b.count(ctx, "eshell-picker-env", nil, envArgs)
		k, _ := b.count(ctx, "kubectl-get-ns", nil, b.kubectl("get", "ns", "-l", envLabel))
		kc, _ := b.count(ctx, "kubectl-get-ns-cold", nil, b.kubectlCold("get", "ns", "-l", envLabel))
		b.requestRow("API requests: environment question vs `kubectl get ns -l`", e, es.Err == nil, k, kc)
		e, es = b.count(ctx, "eshell-picker-services", nil, wlArgs)
		k, _ = b.count(ctx, "kubectl-get-workloads", nil, b.kubectl("-n", big, "get", kinds))
		kc, _ = b.count(ctx, "kubectl-get-workloads-cold", nil, b.kubectlCold("-n", big, "get", kinds))
		b.requestRow("API requests: service question vs `kubectl get "+kinds+"`", e, es.Err == nil, k, kc)
	}
}
