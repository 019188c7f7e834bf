package filecopy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sberz/kubectl-eshell/pkg/session"
)

// localBusybox runs the scripts with the host's busybox, the applets the
// helper image has, against this process's own /proc/PID/root ("/"): the
// scripts run for real, only the exec transport is left out.
func localBusybox(t *testing.T) Remote {
	t.Helper()
	if _, err := exec.LookPath("busybox"); err != nil {
		t.Skip("busybox is not installed")
	}
	run := func(ctx context.Context, script string, stdin io.Reader, stdout io.Writer) (string, error) {
		var stderr bytes.Buffer
		c := exec.CommandContext(ctx, "busybox", "sh", "-c", script)
		c.Stdin, c.Stdout, c.Stderr = stdin, stdout, &stderr
		err := c.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return stderr.String(), &session.ExitError{Code: ee.ExitCode()}
		}
		return stderr.String(), err
	}
	return Remote{Run: run, PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid()}
}

func writeTree(t *testing.T, dir string) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub", "deep"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o640))
	must(os.WriteFile(filepath.Join(dir, "sub", "run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "sub", "deep", "big"), bytes.Repeat([]byte("x"), 5<<20), 0o600))
	must(os.Symlink("../a.txt", filepath.Join(dir, "sub", "link")))
	must(os.Symlink("../../../../../../../../etc/passwd", filepath.Join(dir, "sub", "escape")))
	old := time.Unix(1600000000, 0)
	must(os.Chtimes(filepath.Join(dir, "a.txt"), old, old))
	must(os.Chmod(filepath.Join(dir, "sub"), 0o750))
	must(os.Chtimes(filepath.Join(dir, "sub"), old, old))
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	fa, err := os.Lstat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Lstat(b)
	if err != nil {
		t.Fatal(err)
	}
	if fa.Mode() != fb.Mode() {
		t.Errorf("%s: mode %v, want %v", b, fb.Mode(), fa.Mode())
	}
	if fa.Mode().IsRegular() || fa.IsDir() {
		if !fa.ModTime().Equal(fb.ModTime().Truncate(time.Second)) && fa.ModTime().Unix() != fb.ModTime().Unix() {
			t.Errorf("%s: mtime %v, want %v", b, fb.ModTime(), fa.ModTime())
		}
	}
	if fa.Mode().IsRegular() {
		da, _ := os.ReadFile(a)
		db, _ := os.ReadFile(b)
		if !bytes.Equal(da, db) {
			t.Errorf("%s: contents differ", b)
		}
	}
}

func TestUploadAndDownloadTree(t *testing.T) {
	r := localBusybox(t)
	ctx := context.Background()
	src, remoteDir, back := t.TempDir(), t.TempDir(), t.TempDir()
	writeTree(t, src)
	var warn bytes.Buffer
	up := Job{Remote: r, Src: Spec{Path: src}, Dst: Spec{Target: "pod/x", Path: remoteDir}, Warn: &warn, Nonce: "n1"}
	st, err := up.Upload(ctx)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if st.Files != 3 || st.Links != 1 || st.Skipped != 1 || st.Dirs != 3 {
		t.Errorf("upload stats %+v", st)
	}
	if !strings.Contains(warn.String(), "outside the container's root") {
		t.Errorf("no warning for the escaping link: %q", warn.String())
	}
	there := filepath.Join(remoteDir, filepath.Base(src))
	for _, p := range []string{"", "a.txt", "sub", "sub/run.sh", "sub/deep/big", "sub/link"} {
		sameFile(t, filepath.Join(src, p), filepath.Join(there, p))
	}
	if _, err := os.Lstat(filepath.Join(there, "sub", "escape")); err == nil {
		t.Error("the escaping link was recreated")
	}

	down := Job{Remote: r, Src: Spec{Target: "pod/x", Path: there}, Dst: Spec{Path: back}, Warn: &warn}
	if _, err := down.Download(ctx); err != nil {
		t.Fatalf("Download: %v", err)
	}
	for _, p := range []string{"", "a.txt", "sub", "sub/run.sh", "sub/deep/big", "sub/link"} {
		sameFile(t, filepath.Join(src, p), filepath.Join(back, filepath.Base(src), p))
	}
	// Again: every file exists now, refused before anything is written.
	if _, err := down.Download(ctx); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second Download = %v, want a refusal naming --force", err)
	}
	down.Force = true
	if _, err := down.Download(ctx); err != nil {
		t.Errorf("Download --force: %v", err)
	}
	// The same upload again is refused without --force, accepted with it.
	if _, err := up.Upload(ctx); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second Upload = %v, want a refusal naming --force", err)
	}
	up.Force = true
	if _, err := up.Upload(ctx); err != nil {
		t.Errorf("Upload --force: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(there, "*", ".eshell-cp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestStdioAndMissing(t *testing.T) {
	r := localBusybox(t)
	ctx := context.Background()
	dir := t.TempDir()
	up := Job{Remote: r, Src: Spec{Stdio: true}, Dst: Spec{Target: "p", Path: filepath.Join(dir, "in")}, Stdin: strings.NewReader("piped\n"), Nonce: "n2"}
	if _, err := up.Upload(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	down := Job{Remote: r, Src: Spec{Target: "p", Path: filepath.Join(dir, "in")}, Dst: Spec{Stdio: true}, Stdout: &out}
	if _, err := down.Download(ctx); err != nil || out.String() != "piped\n" {
		t.Fatalf("Download to stdout = %q, %v", out.String(), err)
	}
	down.Src.Path = filepath.Join(dir, "nope")
	if _, err := down.Download(ctx); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing source: %v", err)
	}
	up.Dst.Path = dir
	if _, err := up.Upload(ctx); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("stdin into a directory: %v", err)
	}
}

func TestLinkInPathRefused(t *testing.T) {
	r := localBusybox(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(dir, "via")); err != nil {
		t.Fatal(err)
	}
	up := Job{Remote: r, Src: Spec{Stdio: true}, Dst: Spec{Target: "p", Path: filepath.Join(dir, "via", "f")}, Stdin: strings.NewReader("x"), Nonce: "n3"}
	_, err := up.Upload(ctx)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("upload through a link = %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "real", "f")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file was written through the link: %v", err)
	}
}

func TestChecksumMismatchRemovesPartial(t *testing.T) {
	r := localBusybox(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	wrong := strings.Repeat("0", 64)
	// Both ways: the sum known before (a local file), and after (stdin).
	for _, known := range []string{wrong, ""} {
		err := r.Write(context.Background(), p, strings.NewReader("abc"), known, func() string { return wrong }, 0o644, 1, false, "n4")
		if err == nil || !strings.Contains(err.Error(), "differ") {
			t.Fatalf("Write with a wrong checksum (known %q) = %v", known, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestProgressLine(t *testing.T) {
	now := time.Unix(0, 0)
	var out bytes.Buffer
	p := &Progress{Out: &out, Now: func() time.Time { return now }}
	w := p.Writer(io.Discard, 100<<20)
	now = now.Add(2 * time.Second)
	if _, err := w.Write(make([]byte, 20<<20)); err != nil {
		t.Fatal(err)
	}
	if got := p.Line(now); got != "20.0 MiB / 100.0 MiB  10.0 MiB/s  ETA 8s   " {
		t.Errorf("Line = %q", got)
	}
	small := &Progress{Out: &out}
	if _, err := small.Writer(io.Discard, 1<<20).Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	small.Done()
	if strings.Count(out.String(), "\r") != 1 {
		t.Errorf("output %q: want one line, none for the small transfer", out.String())
	}
}

func TestCheckBeforeTheCluster(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "f")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	remote := Spec{Target: "pod/x", Path: "/f"}
	for _, tc := range []struct {
		job  Job
		want string
	}{
		{Job{Src: remote, Dst: Spec{Path: existing}}, "--force"},
		{Job{Src: remote, Dst: Spec{Path: filepath.Join(dir, "no", "f")}}, "cannot be written"},
		{Job{Src: Spec{Path: filepath.Join(dir, "none")}, Dst: remote}, "nothing to copy"},
		{Job{Src: remote, Dst: Spec{Path: existing}, Force: true}, ""},
		{Job{Src: remote, Dst: Spec{Path: dir}}, ""},
		{Job{Src: Spec{Stdio: true}, Dst: remote}, ""},
	} {
		err := tc.job.Check()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Check(%v -> %v) = %v, want %q", tc.job.Src, tc.job.Dst, err, tc.want)
		}
	}
}

// A transfer that breaks halfway leaves no partial file on either side
// and reports the error.
func TestBrokenTransferLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	var scripts []string
	broken := func(ctx context.Context, script string, stdin io.Reader, stdout io.Writer) (string, error) {
		scripts = append(scripts, script)
		switch {
		case strings.Contains(script, "find "):
			_, err := io.WriteString(stdout, "81a4 1 100 ./data/f\n")
			return "", err
		case strings.Contains(script, "cat '"):
			_, _ = io.WriteString(stdout, "half of it")
			return "", errors.New("connection lost")
		case strings.Contains(script, "cat > "):
			_, _ = io.CopyN(io.Discard, stdin, 3)
			return "", errors.New("connection lost")
		}
		return "", nil
	}
	r := Remote{Run: broken, PID: 1}
	down := Job{Remote: r, Src: Spec{Target: "p", Path: "/data/f"}, Dst: Spec{Path: dir}}
	if _, err := down.Download(context.Background()); err == nil || !strings.Contains(err.Error(), "connection lost") {
		t.Fatalf("Download = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a partial download was left: %v", entries)
	}
	up := Job{Remote: r, Src: Spec{Stdio: true}, Dst: Spec{Target: "p", Path: "/data/g"}, Stdin: strings.NewReader("some bytes"), Nonce: "n5"}
	if _, err := up.Upload(context.Background()); err == nil || !strings.Contains(err.Error(), "connection lost") {
		t.Fatalf("Upload = %v", err)
	}
	if last := scripts[len(scripts)-1]; !strings.Contains(last, "rm -f './data/.eshell-cp-n5'") {
		t.Errorf("the partial upload was not removed; last script:\n%s", last)
	}
}

func TestDownloadSkipsEscapingLink(t *testing.T) {
	r := localBusybox(t)
	remote, back := t.TempDir(), t.TempDir()
	up := strings.Repeat("../", strings.Count(remote, "/")+2)
	if err := os.Symlink(up+"etc/passwd", filepath.Join(remote, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(remote, "abs")); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	st, err := Job{Remote: r, Src: Spec{Target: "p", Path: remote}, Dst: Spec{Path: back}, Warn: &warn}.Download(context.Background())
	if err != nil || st.Skipped != 1 || st.Links != 1 || !strings.Contains(warn.String(), "outside the container's root") {
		t.Fatalf("Download = %+v, %v; warnings %q", st, err, warn.String())
	}
	got := filepath.Join(back, filepath.Base(remote))
	if _, err := os.Lstat(filepath.Join(got, "out")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the escaping link was recreated: %v", err)
	}
	if l, err := os.Readlink(filepath.Join(got, "abs")); err != nil || l != "/etc/passwd" {
		t.Errorf("an absolute link (inside the root by definition): %q %v", l, err)
	}
}
