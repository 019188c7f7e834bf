package filecopy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Runner runs script with `sh -c` in the helper container, stdin (nil:
// none) as its stdin and stdout as its stdout. It returns what the script
// wrote to stderr and a *session.ExitError for a non-zero exit.
type Runner func(ctx context.Context, script string, stdin io.Reader, stdout io.Writer) (stderr string, err error)

// Exit codes of the scripts below, for messages that say what to do.
const (
	exitNoRoot   = 3 // the target's filesystem cannot be reached
	exitLink     = 4 // a path component is a symbolic link
	exitMissing  = 5 // the path does not exist
	exitExists   = 6 // the destination exists and --force was not given
	exitNotDir   = 7 // a directory is needed
	exitChecksum = 8 // the received bytes differ
)

// Remote is the target container's filesystem, seen from the helper.
type Remote struct {
	Run Runner
	// PID is a process of the target container: /proc/PID/root is its root.
	PID int
	// UID and GID own what is written (the target process's effective ids).
	UID, GID int
}

// rel is the cleaned path p (absolute in the container) relative to the
// container's root, as the scripts use it after `cd /proc/PID/root/`:
// cleaning drops every "..", so nothing climbs out of the root.
func rel(p string) string {
	c := path.Clean("/" + p)
	if c == "/" {
		return "."
	}
	return "." + c
}

// prelude enters the target's root and refuses a symbolic link among the
// parents of p: through /proc/PID/root an absolute link would resolve in
// the helper's own filesystem, and a relative one could climb out.
func (r Remote) prelude(p string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cd /proc/%d/root/ || exit %d\n", r.PID, exitNoRoot)
	parts := strings.Split(strings.TrimPrefix(rel(p), "./"), "/")
	cur := "."
	for _, part := range parts[:len(parts)-1] {
		cur += "/" + part
		fmt.Fprintf(&b, "if [ -L %s ]; then echo %s >&2; exit %d; fi\n", shell.SingleQuote(cur),
			shell.SingleQuote(strings.TrimPrefix(cur, ".")), exitLink)
	}
	return b.String()
}

// run runs script and turns the scripts' exit codes into errors about p.
func (r Remote) run(ctx context.Context, p, script string, stdin io.Reader, stdout io.Writer) (string, error) {
	stderr, err := r.Run(ctx, script, stdin, stdout)
	var ee *session.ExitError
	if !errors.As(err, &ee) {
		if err != nil {
			return stderr, fmt.Errorf("copying %s: %w", p, err)
		}
		return stderr, nil
	}
	detail := strings.TrimSpace(stderr)
	switch ee.Code {
	case exitNoRoot:
		return stderr, errors.New("the helper container cannot reach the target container's files (/proc/PID/root); the debug profile the cluster admits runs as another user without CAP_SYS_PTRACE")
	case exitLink:
		return stderr, fmt.Errorf("%s is a symbolic link in the container: eshell cp never follows links in a path; name the path the link points to", detail)
	case exitMissing:
		return stderr, fmt.Errorf("%s does not exist in the container; check the path (kubectl eshell TARGET -- ls -l DIR)", p)
	case exitExists:
		return stderr, fmt.Errorf("%s exists in the container; pass --force to replace it", p)
	case exitNotDir:
		return stderr, fmt.Errorf("%s is not a directory in the container", p)
	case exitChecksum:
		return stderr, fmt.Errorf("%s: the received bytes differ from those sent; the copy was removed, try again", p)
	}
	if detail != "" {
		return stderr, fmt.Errorf("copying %s: %s (exit code %d)", p, detail, ee.Code)
	}
	return stderr, fmt.Errorf("copying %s: %w", p, err)
}

// List walks p without following links (find's default, the starting
// point included) and returns what it holds, p first.
func (r Remote) List(ctx context.Context, p string) ([]Entry, error) {
	q := shell.SingleQuote(rel(p))
	script := r.prelude(p) + fmt.Sprintf("if [ ! -e %s ] && [ ! -L %s ]; then exit %d; fi\nfind %s -exec stat -c '%%f %%Y %%s %%n' {} +\n",
		q, q, exitMissing, q)
	var out bytes.Buffer
	if _, err := r.run(ctx, p, script, nil, &out); err != nil {
		return nil, err
	}
	return ParseListing(out.String())
}

// Kind says what p is: "dir", "file" (anything else that exists) or ""
// when nothing is there. A link is "file": it is replaced, never entered.
func (r Remote) Kind(ctx context.Context, p string) (string, error) {
	q := shell.SingleQuote(rel(p))
	script := r.prelude(p) + fmt.Sprintf("if [ -L %s ]; then echo file; elif [ -d %s ]; then echo dir; elif [ -e %s ]; then echo file; fi\n", q, q, q)
	var out bytes.Buffer
	_, err := r.run(ctx, p, script, nil, &out)
	return strings.TrimSpace(out.String()), err
}

// Read writes the bytes of the regular file p to w and returns the
// sha256 the container computed of the file, to compare with what arrived.
func (r Remote) Read(ctx context.Context, p string, w io.Writer) (string, error) {
	q := shell.SingleQuote(rel(p))
	script := r.prelude(p) + fmt.Sprintf("cat %s && sha256sum %s >&2\n", q, q)
	stderr, err := r.run(ctx, p, script, nil, w)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	sum, _, _ := strings.Cut(lines[len(lines)-1], " ")
	if len(sum) != 64 {
		return "", fmt.Errorf("copying %s: no checksum came back from the container", p)
	}
	return sum, nil
}

// Readlink returns the target of the link p.
func (r Remote) Readlink(ctx context.Context, p string) (string, error) {
	script := r.prelude(p) + "readlink " + shell.SingleQuote(rel(p)) + "\n"
	var out bytes.Buffer
	if _, err := r.run(ctx, p, script, nil, &out); err != nil {
		return "", err
	}
	return strings.TrimSuffix(out.String(), "\n"), nil
}

// tmpName is the name a file is written under next to p until its
// checksum is known: never p itself, so a partial copy replaces nothing.
func tmpName(p, nonce string) string {
	return rel(path.Join(path.Dir(path.Clean("/"+p)), ".eshell-cp-"+nonce))
}

// Write stores the bytes of src as the file p with mode and mtime, owned by
// the target's user. They go to a new file next to p (noclobber: never
// through a link), whose sha256 must equal the sender's; only then is it
// renamed over p. With known (the sha256 of a local file, read before)
// that is one exec; without (stdin), a second one compares with sum()
// once src is drained. Without force an existing p is refused before any
// byte is sent.
func (r Remote) Write(ctx context.Context, p string, src io.Reader, known string, sum func() string, mode fs.FileMode, mtime int64, force bool, nonce string) error {
	q, tmp := shell.SingleQuote(rel(p)), shell.SingleQuote(tmpName(p, nonce))
	check := ""
	if !force {
		check = fmt.Sprintf("if [ -e %s ] || [ -L %s ]; then exit %d; fi\n", q, q, exitExists)
	}
	finish := func(want string) string {
		return fmt.Sprintf("s=$(sha256sum %s); s=${s%%%% *}\nif [ \"$s\" != %s ]; then rm -f %s; exit %d; fi\nchmod %s %s && touch -d @%d %s && { chown -h %d:%d %s 2>/dev/null || true; } && mv -f -T %s %s || { rm -f %s; exit 1; }\n",
			tmp, shell.SingleQuote(want), tmp, exitChecksum, unixMode(mode), tmp, mtime, tmp, r.UID, r.GID, tmp, tmp, q, tmp)
	}
	script := r.prelude(p) + check + fmt.Sprintf("if [ -d %s ] && [ ! -L %s ]; then echo %s is a directory >&2; exit 1; fi\nset -C\ncat > %s || { rm -f %s; exit 1; }\n",
		q, q, shell.SingleQuote(p), tmp, tmp)
	if known != "" {
		script += finish(known)
	}
	if _, err := r.run(ctx, p, script, src, io.Discard); err != nil {
		r.discard(ctx, p, nonce)
		return err
	}
	if known != "" {
		return nil
	}
	_, err := r.run(ctx, p, r.prelude(p)+finish(sum()), nil, io.Discard)
	return err
}

// discard removes what a failed Write left; best effort, as the
// connection that failed may be gone.
func (r Remote) discard(ctx context.Context, p, nonce string) {
	_, _ = r.Run(context.WithoutCancel(ctx), r.prelude(p)+"rm -f "+shell.SingleQuote(tmpName(p, nonce))+"\n", nil, io.Discard)
}

// Mkdir makes the directory p (an existing one is kept), owned by the
// target's user.
func (r Remote) Mkdir(ctx context.Context, p string, mode fs.FileMode) error {
	q := shell.SingleQuote(rel(p))
	script := r.prelude(p) + fmt.Sprintf("if [ -L %s ]; then echo %s >&2; exit %d; fi\nif [ ! -d %s ]; then mkdir %s || exit 1; chown %d:%d %s 2>/dev/null; fi\nchmod %s %s\n",
		q, shell.SingleQuote(p), exitLink, q, q, r.UID, r.GID, q, unixMode(mode), q)
	_, err := r.run(ctx, p, script, nil, io.Discard)
	return err
}

// Symlink makes p a link to target, replacing what p was without force
// only when nothing was there.
func (r Remote) Symlink(ctx context.Context, p, target string, force bool, nonce string) error {
	q, tmp := shell.SingleQuote(rel(p)), shell.SingleQuote(tmpName(p, nonce))
	check := ""
	if !force {
		check = fmt.Sprintf("if [ -e %s ] || [ -L %s ]; then exit %d; fi\n", q, q, exitExists)
	}
	script := r.prelude(p) + check + fmt.Sprintf("ln -s %s %s || exit 1\n{ chown -h %d:%d %s 2>/dev/null || true; }\nmv -f -T %s %s || { rm -f %s; exit 1; }\n",
		shell.SingleQuote(target), tmp, r.UID, r.GID, tmp, tmp, q, tmp)
	_, err := r.run(ctx, p, script, nil, io.Discard)
	return err
}

// Touch sets the modification times of directories, after what they hold
// was written (which changed them).
func (r Remote) Touch(ctx context.Context, times map[string]int64, order []string) error {
	if len(order) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.prelude("/"))
	for _, p := range order {
		fmt.Fprintf(&b, "[ -L %s ] || touch -d @%d %s\n", shell.SingleQuote(rel(p)), times[p], shell.SingleQuote(rel(p)))
	}
	_, err := r.run(ctx, "directory times", b.String(), nil, io.Discard)
	return err
}

// locateScript prints "PID UID GID" of a process of the target container:
// one whose cgroup names the container's id, else the first whose root is
// not the helper's own (the target's main process, seen through the
// shared PID namespace). A process whose root cannot be read is skipped.
func locateScript(containerID string) string {
	return fmt.Sprintf(`self=$(stat -L -c %%d:%%i /proc/self/root/)
found=
for d in /proc/[0-9]*; do
  r=$(stat -L -c %%d:%%i "$d/root/" 2>/dev/null) || continue
  [ "$r" = "$self" ] && continue
  if [ -n %[1]s ] && grep -q %[1]s "$d/cgroup" 2>/dev/null; then found=$d; break; fi
  [ -z "$found" ] && found=$d
done
[ -n "$found" ] || exit %[2]d
u=$(awk '/^Uid:/{print $3}' "$found/status"); g=$(awk '/^Gid:/{print $3}' "$found/status")
echo "${found#/proc/} $u $g"
`, shell.SingleQuote(containerID), exitNoRoot)
}

// Locate finds the target's process and its user (see locateScript).
func Locate(ctx context.Context, run Runner, containerID string) (Remote, error) {
	var out bytes.Buffer
	r := Remote{Run: run}
	if _, err := r.run(ctx, "the target container", locateScript(containerID), nil, &out); err != nil {
		return Remote{}, err
	}
	f := strings.Fields(out.String())
	if len(f) != 3 {
		return Remote{}, fmt.Errorf("finding the target container's process: unexpected answer %q", out.String())
	}
	var ids [3]int
	for i, s := range f {
		n, err := strconv.Atoi(s)
		if err != nil {
			return Remote{}, fmt.Errorf("finding the target container's process: unexpected answer %q", out.String())
		}
		ids[i] = n
	}
	r.PID, r.UID, r.GID = ids[0], ids[1], ids[2]
	return r, nil
}
