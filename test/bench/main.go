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
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sberz/kubectl-eshell/test/bench/results"
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
	// enforcerStop and enforcerStart are shell commands that stop and
	// start the cluster's NetworkPolicy enforcer ("": leave it alone).
	enforcerStop, enforcerStart string
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
	flag.StringVar(&c.enforcerStop, "enforcer-stop", "", "shell command that stops the NetworkPolicy enforcer while the picker fixture is made")
	flag.StringVar(&c.enforcerStart, "enforcer-start", "", "shell command that starts it again at the end of the run")
	flag.Parse()
	c.quick = os.Getenv("BENCH_QUICK") == "1"
	c.sessions, c.clones, c.debugs, c.debugBatch = 15, 10, 10, 5
	c.streamPairs, c.startups, c.pickers = 4, 20, 7
	c.namespaces, c.workloads = 1000, 5000 // 4 pods each: 20,000 pods
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
	cfg   *config
	run   string
	cl    *Cluster
	r     *Runner
	ns    string // the namespace of deploy/bench
	cache string // kubectl's discovery cache, warmed before timing
	tmp   string
	// enforcerStopped: stopEnforcer stopped it and startEnforcer has not run.
	enforcerStopped bool
	rc              *rest.Config
	meta            results.Meta
	samples         []results.Sample
	reqs            []results.Requests
	log             io.Writer
}

func (b *Bench) phase(name string) bool {
	if b.cfg.only != nil && !b.cfg.only[name] {
		return false
	}
	fmt.Fprintf(b.log, "== %s\n", name)
	return true
}

// stopEnforcer stops the cluster's NetworkPolicy enforcer (--enforcer-stop)
// before the picker fixture is made: it follows every pod event, and on a
// 2-core node its work on the fixture's 20,000 pods starved the API server
// until the fixture missed its 8-minute bound. The picker's rows time API
// reads, which the enforcer (a data-plane filter) takes no part in; kubectl
// and eshell are timed alike.
func (b *Bench) stopEnforcer(ctx context.Context) {
	if b.cfg.enforcerStop == "" {
		return
	}
	if err := b.shell(ctx, b.cfg.enforcerStop); err != nil {
		b.note("picker: stopping the NetworkPolicy enforcer failed, the fixture is made with it running: %v", err)
		return
	}
	b.enforcerStopped = true
}

// startEnforcer starts the enforcer again once the run's namespaces are
// gone (or the wait for them ended); a run that did not stop it does
// nothing.
func (b *Bench) startEnforcer() {
	if !b.enforcerStopped {
		return
	}
	b.enforcerStopped = false
	// Not the run's context: an interrupted run must still leave the
	// cluster as it found it.
	if err := b.shell(context.Background(), b.cfg.enforcerStart); err != nil {
		b.note("starting the NetworkPolicy enforcer again failed: %v; start it with: %s", err, b.cfg.enforcerStart)
	}
}

// shell runs a command of hack/bench.sh's, bounded, its output in the log.
func (b *Bench) shell(ctx context.Context, command string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", command)
	c.Stdout, c.Stderr = b.log, b.log
	return c.Run()
}

func (b *Bench) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.meta.Notes = append(b.meta.Notes, msg)
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

// toolOf tells from a run's name which tool ran.
func toolOf(name string) string {
	switch {
	case strings.HasPrefix(name, "eshell"):
		return results.ToolEshell
	case strings.HasPrefix(name, "kubectl"):
		return results.ToolKubectl
	}
	return results.ToolGo
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (b *Bench) record(phase string, i int, s Sample) {
	errS := ""
	if s.Err != nil {
		errS = s.Err.Error()
	}
	first := -1.0
	if s.Seen() {
		first = msf(s.First)
	}
	b.samples = append(b.samples, results.Sample{Phase: phase, Command: s.Name, Tool: toolOf(s.Name), Iteration: i,
		FirstMS: first, TotalMS: msf(s.Total), ExitCode: s.Code, StdoutBytes: s.Out, CPUMS: msf(s.CPU), Error: errS})
}

// recordGo records one in-process measurement of phase.
func (b *Bench) recordGo(phase, name string, i int, d time.Duration, err error) {
	s := results.Sample{Phase: phase, Command: name, Tool: results.ToolGo, Iteration: i, FirstMS: -1, TotalMS: msf(d), CPUMS: -1}
	if err != nil {
		s.Error = err.Error()
		s.ExitCode = 1
		fmt.Fprintf(b.log, "  %-28s %v\n", name, err)
	} else {
		fmt.Fprintf(b.log, "  %-28s total %s\n", name, ms(d))
	}
	b.samples = append(b.samples, s)
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
		cfg: cfg, run: runID, tmp: tmp, log: os.Stderr, rc: rc,
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
	// Registered first, so it runs after the cleanup: the enforcer would
	// follow every deletion of the fixture's pods too.
	defer b.startEnforcer()
	defer cleanup()

	b.startup(ctx)
	b.sizes()
	if err := b.setup(ctx); err != nil {
		b.note("setup failed, the session measurements were skipped: %v", err)
	} else {
		b.limits(ctx)
		b.exec(ctx)
		b.stream(ctx)
		b.clone(ctx)
		b.debug(ctx)
		b.fanOut(ctx)
		b.requests(ctx)
		b.concurrency(ctx)
	}
	b.picker(ctx)
	cleanup()
	b.startEnforcer()
	if ctx.Err() != nil {
		b.note("interrupted: the results are partial")
	}

	m := &b.meta
	m.Date = started.UTC().Format("2006-01-02 15:04 MST")
	m.Run, m.Quick, m.TookS = runID, cfg.quick, time.Since(started).Round(time.Second).Seconds()
	m.CPUs, m.Platform = runtime.NumCPU(), runtime.GOOS+"/"+runtime.GOARCH
	m.LoadStart, m.LoadEnd = loadStart, loadavg()
	m.GoVersion, m.Commit = strings.TrimSpace(cfg.goVersion), cfg.commit
	m.EshellVersion = firstLine(eshellVersion.Stdout())
	m.KubectlModules = modules(cfg.kubectl, "k8s.io/kubectl", "k8s.io/client-go")
	m.KubectlVersion = firstLine(kubectlVersion.Stdout())
	m.Server, m.Node, m.Image = server.GitVersion, b.cl.NodeInfo(ctx), cfg.image
	m.Sessions, m.Clones, m.Debugs, m.DebugBatch = cfg.sessions, cfg.clones, cfg.debugs, cfg.debugBatch
	m.StreamPairs, m.StreamBytes, m.Startups, m.Pickers = cfg.streamPairs, cfg.streamBytes, cfg.startups, cfg.pickers
	if err := b.write(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "bench: results in %s (samples.csv, requests.csv, meta.json, README.md; request logs: requests/)\n", cfg.out)
	if ctx.Err() != nil {
		return 130
	}
	return 0
}

// write stores the raw data and the report rendered from it in out/.
func (b *Bench) write() error {
	out := b.cfg.out
	if err := results.WriteSamples(filepath.Join(out, results.SamplesFile), b.samples); err != nil {
		return err
	}
	if err := results.WriteRequests(filepath.Join(out, results.RequestsFile), b.reqs); err != nil {
		return err
	}
	if err := results.WriteMeta(filepath.Join(out, results.MetaFile), &b.meta); err != nil {
		return err
	}
	// Rendered from the files just written, as the committed README is.
	d, err := results.Read(out)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "README.md"), []byte(results.Render(d)), 0o644)
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
	b.pairs(ctx, results.PhaseStartup, b.cfg.startups,
		func(int) Sample {
			return b.r.Run(ctx, "eshell version", 30*time.Second, nil, "", b.eshell("version")...)
		},
		func(int) Sample {
			return b.r.Run(ctx, "kubectl version --client", 30*time.Second, nil, "", b.kubectl("version", "--client")...)
		})
}

// sizes records the binaries as built and both stripped alike.
func (b *Bench) sizes() {
	if !b.phase("size") {
		return
	}
	desc := func(path string) results.Binary {
		st, err := os.Stat(path)
		if err != nil {
			return results.Binary{}
		}
		bin := results.Binary{Bytes: st.Size(), Stripped: true}
		if f, err := elf.Open(path); err == nil {
			if f.Section(".symtab") != nil {
				bin.Stripped = false
			}
			_ = f.Close() // read only; the section table was already read
		}
		return bin
	}
	b.meta.Eshell, b.meta.Kubectl = desc(b.cfg.eshell), desc(b.cfg.kubectl)
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
	b.meta.Eshell.StrippedBytes, b.meta.Kubectl.StrippedBytes = stripped(b.cfg.eshell), stripped(b.cfg.kubectl)
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
		b.eshell("-n", b.ns, "deploy/bench", "--mode", "exec", "--", "echo", "ready"),
		b.kubectl("-n", b.ns, "exec", "deploy/bench", "--", "echo", "ready"),
	} {
		if s := b.r.Run(ctx, "warm-up", b.cfg.sessionTimeout, nil, "ready", argv...); !s.OK() || !s.Seen() {
			return fmt.Errorf("warm-up %s failed (exit %d, %v): %s", filepath.Base(argv[0]), s.Code, s.Err, tail(s.Stderr, 3))
		}
	}
	return nil
}

func (b *Bench) execArgs(cmd ...string) []string {
	return b.eshell(append([]string{"-n", b.ns, "deploy/bench", "--mode", "exec", "--"}, cmd...)...)
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
	b.sessionNotes("exec mode vs `kubectl exec`", es, ks)
}

// sessionNotes notes failed runs of one comparison (the figures come
// from the samples).
func (b *Bench) sessionNotes(what string, es, ks []Sample) {
	if n := failed(es) + failed(ks); n > 0 {
		b.note("%s: %d of eshell's and %d of kubectl's runs failed (see samples.csv)%s", what, failed(es), failed(ks), firstFailure(append(append([]Sample{}, es...), ks...)))
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
	// wc -c, not cat >/dev/null: on the real node busybox's cat into
	// /dev/null ends long before its stdin does, and the run then times
	// nothing. The count it prints proves every byte arrived.
	counted := func(s Sample) Sample {
		if got := strings.TrimSpace(s.Stdout()); s.Err == nil && s.Code == 0 && got != size {
			s.Err = fmt.Errorf("the container received %q of %s bytes", got, size)
		}
		return s
	}
	ein, kin := b.pairs(ctx, results.PhaseStreamIn, b.cfg.streamPairs,
		func(int) Sample {
			return counted(b.r.Run(ctx, "eshell exec stdin→wc -c", b.cfg.streamTTL, zeroStream(n), "", b.execArgs("sh", "-c", "wc -c")...))
		},
		func(int) Sample {
			return counted(b.r.Run(ctx, "kubectl exec -i stdin→wc -c", b.cfg.streamTTL, zeroStream(n), "", b.kubectlExecArgs(true, "sh", "-c", "wc -c")...))
		})
	eout, kout := b.pairs(ctx, results.PhaseStreamOut, b.cfg.streamPairs,
		func(int) Sample {
			return b.r.Run(ctx, "eshell exec head→stdout", b.cfg.streamTTL, nil, "", b.execArgs("head", "-c", size, "/dev/zero")...)
		},
		func(int) Sample {
			return b.r.Run(ctx, "kubectl exec head→stdout", b.cfg.streamTTL, nil, "", b.kubectlExecArgs(false, "head", "-c", size, "/dev/zero")...)
		})
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
	b.r.Run(ctx, "warm-up eshell clone", b.cfg.sessionTimeout, nil, "ready", b.eshell("-n", b.ns, "deploy/bench", "--mode", "clone", "--", "echo", "ready")...)
	b.r.Run(ctx, "warm-up kubectl run", b.cfg.sessionTimeout, nil, "ready", b.kubectl("-n", b.ns, "run", "--rm", "-i", "--restart=Never", "--image="+b.cfg.image, "bench-run-warm", "--", "echo", "ready")...)
	es, ks := b.pairs(ctx, "clone", b.cfg.clones,
		func(int) Sample {
			return b.r.Run(ctx, "eshell --mode clone", b.cfg.sessionTimeout, nil, "ready", b.eshell("-n", b.ns, "deploy/bench", "--mode", "clone", "--", "echo", "ready")...)
		},
		func(i int) Sample {
			return b.r.Run(ctx, "kubectl run --rm -i", b.cfg.sessionTimeout, nil, "ready", b.kubectl("-n", b.ns, "run", "--rm", "-i", "--restart=Never", "--image="+b.cfg.image, fmt.Sprintf("bench-run-%d", i), "--", "echo", "ready")...)
		})
	b.sessionNotes("clone mode vs `kubectl run --rm -i`", es, ks)
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
			// Each run starts once the node has reported the previous
			// debug container ended: kubectl debug exits without waiting
			// for that, and a run right after it would pay for the
			// kubelet's work on the same pod.
			e, k := b.pairs(ctx, "debug", n,
				func(int) Sample {
					b.settled(ctx, pod)
					return b.r.Run(ctx, "eshell --mode debug", b.cfg.sessionTimeout, nil, "ready", b.eshellDebug(pod)...)
				},
				func(int) Sample {
					b.settled(ctx, pod)
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
	b.sessionNotes("debug mode vs `kubectl debug -i`", es, ks)
}

// settled waits (at most 10 s) until every ephemeral container of pod is
// reported terminated.
func (b *Bench) settled(ctx context.Context, pod string) {
	err := b.cl.waitFor(ctx, 10*time.Second, "the debug containers of "+pod+" to end", func(ctx context.Context) (bool, error) {
		p, err := b.cl.C.CoreV1().Pods(b.ns).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if len(p.Status.EphemeralContainerStatuses) < len(p.Spec.EphemeralContainers) {
			return false, nil
		}
		for _, st := range p.Status.EphemeralContainerStatuses {
			if st.State.Terminated == nil {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		b.note("debug: %v", err)
	}
}

func (b *Bench) eshellDebug(pod string) []string {
	return b.eshell("-n", b.ns, "pod/"+pod, "--mode", "debug", "--image", b.cfg.image, "--", "echo", "ready")
}

func (b *Bench) kubectlDebug(pod string) []string {
	return b.kubectl("-n", b.ns, "debug", "-i", pod, "--image="+b.cfg.image, "--target=bench", "--", "sh", "-c", "echo ready")
}

// count runs argv once at -v=6 and counts its API requests; the log, the
// request list and a timeline are kept under out/requests/.
func (b *Bench) count(ctx context.Context, name string, stdin io.Reader, marker string, argv []string) (Requests, Sample) {
	argv = append([]string{argv[0], "-v=6"}, argv[1:]...)
	s := b.r.Run(ctx, "-v=6 "+name, b.cfg.sessionTimeout, stdin, marker, argv...)
	req := CountRequests(s.Stderr)
	file := filepath.Join(b.cfg.out, "requests", name+".txt")
	content := fmt.Sprintf("# %s\n# exit %d; %s\n%s\n\n# timeline (from the process start)\n%s\n# full log\n%s",
		strings.Join(argv, " "), s.Code, req.String(), strings.Join(req.Lines, "\n"), Timeline(s, marker), s.Stderr)
	_ = os.WriteFile(file, []byte(content), 0o644)
	b.reqs = append(b.reqs, results.Requests{Name: name, Tool: toolOf(name), OK: s.Err == nil && (s.Code == 0 || marker == ""),
		Total: req.Total, By: req.By, ToStream: req.ToStream, Rounds: req.Rounds, BeforeCreate: req.BeforeCreate})
	return req, s
}

// requests counts the API requests of one session of each mode.
func (b *Bench) requests(ctx context.Context) {
	if !b.phase("requests") {
		return
	}
	b.count(ctx, "eshell-exec", nil, "ready", b.execArgs("echo", "ready"))
	b.count(ctx, "kubectl-exec", nil, "ready", b.kubectlExecArgs(false, "echo", "ready"))
	b.count(ctx, "kubectl-exec-cold", nil, "ready", b.kubectlCold("-n", b.ns, "exec", "deploy/bench", "--", "echo", "ready"))

	b.count(ctx, "eshell-clone", nil, "ready", b.eshell("-n", b.ns, "deploy/bench", "--mode", "clone", "--", "echo", "ready"))
	b.count(ctx, "kubectl-run", nil, "ready", b.kubectl("-n", b.ns, "run", "--rm", "-i", "--restart=Never", "--image="+b.cfg.image, "bench-run-v6", "--", "echo", "ready"))
	b.count(ctx, "kubectl-run-cold", nil, "ready", b.kubectlCold("-n", b.ns, "run", "--rm", "-i", "--restart=Never", "--image="+b.cfg.image, "bench-run-v6c", "--", "echo", "ready"))

	pod := "dbg-requests"
	if err := b.cl.Pod(ctx, b.ns, pod); err != nil {
		b.note("requests: %v", err)
		return
	}
	defer b.cl.DeletePod(ctx, b.ns, pod)
	b.count(ctx, "kubectl-debug", nil, "ready", b.kubectlDebug(pod))
	b.count(ctx, "kubectl-debug-cold", nil, "ready", b.kubectlCold("-n", b.ns, "debug", "-i", pod, "--image="+b.cfg.image, "--target=bench", "--", "sh", "-c", "echo ready"))
	if ok, _ := b.debugProbe(ctx, pod); ok {
		b.count(ctx, "eshell-debug", nil, "ready", b.eshellDebug(pod))
	}
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
	fmt.Fprintf(b.log, "== picker: creating %d namespaces (label %s), %d workloads with ReplicaSets and %d pods\n",
		b.cfg.namespaces, envLabel, b.cfg.workloads, b.cfg.workloads*fixtureReplicas)
	// A client of its own with a high rate limit: the fixture is tens of
	// thousands of small writes, bounded by the worker pool instead.
	fastCfg := rest.CopyConfig(b.rc)
	fastCfg.QPS, fastCfg.Burst = 2000, 4000
	fast, err := kubernetes.NewForConfig(fastCfg)
	if err != nil {
		b.note("picker: %v", err)
		return
	}
	b.stopEnforcer(ctx)
	cctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
	po, err := b.cl.CreatePickerObjects(cctx, fast, b.cfg.namespaces, b.cfg.workloads, b.cfg.workloadSpread, envLabel)
	cancel()
	b.meta.Picker = results.Picker{Namespaces: b.cfg.namespaces, Workloads: b.cfg.workloads, ReplicaSets: po.ReplicaSets, Pods: po.Pods,
		Spread: len(po.WorkloadNS), BigCount: po.BigCount, BigPods: po.BigPods, Workers: fixtureWorkers,
		CreatedS: po.Created.Seconds(), SettledS: po.Settled.Seconds(), Extra: po.Extra, Built: built, EnforcerStopped: b.enforcerStopped}
	if err != nil {
		b.note("picker: %v", err)
		return
	}
	big := po.WorkloadNS[0]
	kinds := results.WorkloadKinds

	goList := func(phase, name string, i int, f func(context.Context) (int, error), want int) {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		t := time.Now()
		n, err := f(lctx)
		d := time.Since(t)
		if err == nil && n < want {
			err = fmt.Errorf("listed %d objects, want at least %d", n, want)
		}
		b.recordGo(phase, name, i, d, err)
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
	envArgs := b.eshell("--env-label", envLabel, "--mode", "exec")
	wlArgs := b.eshell("-n", big, "--mode", "exec")
	both := func(i int, e, k func()) {
		if i%2 == 0 {
			e()
			k()
		} else {
			k()
			e()
		}
	}
	for i := 0; i < b.cfg.pickers && ctx.Err() == nil; i++ {
		both(i, func() {
			if built {
				b.record(results.PhasePickerEnv, i, envCheck(b.r.Run(ctx, "eshell env question", 60*time.Second, nil, "", envArgs...)))
			}
		}, func() {
			b.record(results.PhasePickerEnv, i, b.r.Run(ctx, "kubectl get ns -l", 60*time.Second, nil, "", b.kubectl("get", "ns", "-l", envLabel)...))
		})
		goList(results.PhaseGoEnv, "go list namespaces", i, func(c context.Context) (int, error) { return b.cl.ListEnvironments(c, envLabel) }, b.cfg.namespaces)
		both(i, func() {
			if built {
				b.record(results.PhasePickerWl, i, wlCheck(b.r.Run(ctx, "eshell service question", 60*time.Second, nil, "", wlArgs...)))
			}
		}, func() {
			b.record(results.PhasePickerWl, i, b.r.Run(ctx, "kubectl get "+kinds, 60*time.Second, nil, "", b.kubectl("-n", big, "get", kinds)...))
		})
		goList(results.PhaseGoWl, "go list workloads", i, func(c context.Context) (int, error) { return b.cl.ListWorkloads(c, big) }, po.BigCount)
	}
	if !built {
		b.note("picker: this kubectl-eshell has no --env-label (the picker is not built); only kubectl and the in-process lists were timed")
		return
	}
	b.count(ctx, "eshell-picker-env", nil, "", envArgs)
	b.count(ctx, "kubectl-get-ns", nil, "", b.kubectl("get", "ns", "-l", envLabel))
	b.count(ctx, "kubectl-get-ns-cold", nil, "", b.kubectlCold("get", "ns", "-l", envLabel))
	b.count(ctx, "eshell-picker-services", nil, "", wlArgs)
	b.count(ctx, "kubectl-get-workloads", nil, "", b.kubectl("-n", big, "get", kinds))
	b.count(ctx, "kubectl-get-workloads-cold", nil, "", b.kubectlCold("-n", big, "get", kinds))
}
