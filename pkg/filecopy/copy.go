package filecopy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Job is one copy between a local side and Remote.
type Job struct {
	Remote Remote
	// Src and Dst are the two sides; exactly one is remote.
	Src, Dst Spec
	// Force replaces existing files (local and remote); without it they are refused.
	Force bool
	// Stdin and Stdout are the bytes of "-".
	Stdin  io.Reader
	Stdout io.Writer
	// Warn gets skipped entries; Progress (nil: none) the progress line.
	Warn     io.Writer
	Progress *Progress
	// Nonce names the temporary files of this copy.
	Nonce string
}

// Stats is what a copy moved, for the closing line.
type Stats struct {
	Files, Dirs, Links, Skipped int
	Bytes                       int64
}

func (j Job) warnf(format string, args ...any) {
	if j.Warn != nil {
		fmt.Fprintf(j.Warn, "Warning: "+format+"\n", args...)
	}
}

// Check refuses, before anything is created in the cluster, what the
// local side alone shows to be wrong: a missing source, a destination
// file that exists without Force, a destination whose directory is missing.
func (j Job) Check() error {
	if j.Src.Remote() {
		if j.Dst.Stdio {
			return nil
		}
		fi, err := os.Stat(j.Dst.Path)
		switch {
		case err == nil && fi.IsDir():
			return nil
		case err == nil && !j.Force:
			return fmt.Errorf("%s exists; pass --force to replace it", j.Dst.Path)
		case err == nil:
			return nil
		}
		if _, err := os.Stat(filepath.Dir(j.Dst.Path)); err != nil {
			return fmt.Errorf("the local directory %s cannot be written to: %w", filepath.Dir(j.Dst.Path), err)
		}
		return nil
	}
	if j.Src.Stdio {
		return nil
	}
	if _, err := os.Lstat(j.Src.Path); err != nil {
		return fmt.Errorf("nothing to copy: %w", err)
	}
	return nil
}

// Download copies Src (in the container) to Dst (local path or stdout).
func (j Job) Download(ctx context.Context) (Stats, error) {
	var st Stats
	list, err := j.Remote.List(ctx, j.Src.Path)
	if err != nil {
		return st, err
	}
	if len(list) == 0 {
		return st, fmt.Errorf("%s: nothing listed", j.Src.Path)
	}
	root := list[0]
	if j.Dst.Stdio {
		if !root.Mode.IsRegular() {
			return st, fmt.Errorf("%s is not a regular file; - takes one file's bytes: name a local directory instead", j.Src)
		}
		st.Files++
		return st, j.readTo(ctx, j.Src.Path, root.Size, j.Stdout, &st)
	}
	dest := j.Dst.Path
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		dest = filepath.Join(dest, path.Base(j.Src.Path))
	}
	// Every name is settled, and every existing file refused, before a
	// byte is written: a refusal leaves nothing half done.
	locals := make([]string, len(list))
	for i, e := range list {
		sub := strings.TrimPrefix(strings.TrimPrefix(e.Path, root.Path), "/")
		locals[i] = filepath.Join(dest, filepath.FromSlash(sub))
		fi, err := os.Lstat(locals[i])
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return st, err
		case e.Mode.IsDir() && fi.IsDir():
		case e.Mode.IsDir() || fi.IsDir():
			return st, fmt.Errorf("%s exists and is not of the type of %s in the container; move it away first", locals[i], e.Path[1:])
		case !j.Force:
			return st, fmt.Errorf("%s exists; pass --force to replace it", locals[i])
		}
	}
	var dirs []int
	for i, e := range list {
		remote := path.Join(j.Src.Path, strings.TrimPrefix(e.Path, root.Path))
		switch {
		case e.Mode.IsDir():
			if err := os.Mkdir(locals[i], 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return st, fmt.Errorf("creating %s: %w", locals[i], err)
			}
			dirs = append(dirs, i)
			st.Dirs++
		case e.Mode&fs.ModeSymlink != 0:
			target, err := j.Remote.Readlink(ctx, remote)
			if err != nil {
				return st, err
			}
			if escapes(remote, target) {
				j.warnf("skipped the link %s -> %s: it points outside the container's root", remote, target)
				st.Skipped++
				continue
			}
			if err := replaceWith(locals[i], func(tmp string) error { return os.Symlink(target, tmp) }); err != nil {
				return st, err
			}
			st.Links++
		case e.Mode.IsRegular():
			err := replaceWith(locals[i], func(tmp string) error {
				f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return err
				}
				err = j.readTo(ctx, remote, e.Size, f, &st)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err == nil {
					err = os.Chmod(tmp, e.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
				}
				if err == nil {
					err = os.Chtimes(tmp, time.Unix(e.MTime, 0), time.Unix(e.MTime, 0))
				}
				return err
			})
			if err != nil {
				return st, err
			}
			st.Files++
		default:
			j.warnf("skipped %s: not a regular file, directory or link", remote)
			st.Skipped++
		}
	}
	// Deepest first: setting a directory's mode may take away the right
	// to change what it holds.
	for k := len(dirs) - 1; k >= 0; k-- {
		e, p := list[dirs[k]], locals[dirs[k]]
		if err := os.Chmod(p, e.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return st, err
		}
		if err := os.Chtimes(p, time.Unix(e.MTime, 0), time.Unix(e.MTime, 0)); err != nil {
			return st, err
		}
	}
	return st, nil
}

// replaceWith makes the file p by write(tmp) on a new name in p's
// directory, renamed over p only when write succeeded: a partial copy is
// removed, and nothing is written through a link at p.
func replaceWith(p string, write func(tmp string) error) error {
	tmp := filepath.Join(filepath.Dir(p), fmt.Sprintf(".%s.eshell-cp-%d", filepath.Base(p), time.Now().UnixNano()))
	if err := write(tmp); err != nil {
		// The partial file goes; the copy's own error is the one to report.
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}

// readTo copies the remote file p to w, checking the sha256 of what
// arrived against the container's.
func (j Job) readTo(ctx context.Context, p string, size int64, w io.Writer, st *Stats) error {
	h := sha256.New()
	out := io.MultiWriter(w, h)
	if j.Progress != nil {
		out = j.Progress.Writer(out, size)
	}
	sum, err := j.Remote.Read(ctx, p, out)
	if j.Progress != nil {
		j.Progress.Done()
	}
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("%s: the bytes received have sha256 %s, the container's file %s; nothing was kept, try again", p, got, sum)
	}
	st.Bytes += size
	return nil
}

// Upload copies Src (local path or stdin) to Dst in the container.
func (j Job) Upload(ctx context.Context) (Stats, error) {
	var st Stats
	kind, err := j.Remote.Kind(ctx, j.Dst.Path)
	if err != nil {
		return st, err
	}
	dest := j.Dst.Path
	if j.Src.Stdio {
		if kind == "dir" {
			return st, fmt.Errorf("%s is a directory in the container; name the file to write, e.g. %s:%s", j.Dst, j.Dst.Target, path.Join(dest, "FILE"))
		}
		err := j.write(ctx, dest, j.Stdin, "", -1, 0o644, time.Now().Unix(), &st)
		return st, err
	}
	fi, err := os.Lstat(j.Src.Path)
	if err != nil {
		return st, fmt.Errorf("reading %s: %w", j.Src.Path, err)
	}
	if kind == "dir" {
		dest = path.Join(dest, filepath.Base(filepath.Clean(j.Src.Path)))
	} else if fi.IsDir() && kind == "file" {
		return st, fmt.Errorf("%s exists in the container and is not a directory; name another destination", j.Dst)
	}
	type dirTime struct {
		p     string
		mtime int64
	}
	var dirs []dirTime
	err = filepath.WalkDir(j.Src.Path, func(local string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		sub, err := filepath.Rel(j.Src.Path, local)
		if err != nil {
			return err
		}
		remote := path.Join(dest, filepath.ToSlash(sub))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dirs = append(dirs, dirTime{remote, info.ModTime().Unix()})
			st.Dirs++
			return j.Remote.Mkdir(ctx, remote, info.Mode())
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(local)
			if err != nil {
				return err
			}
			if escapes(remote, target) {
				j.warnf("skipped the link %s -> %s: it would point outside the container's root", local, target)
				st.Skipped++
				return nil
			}
			st.Links++
			return j.Remote.Symlink(ctx, remote, target, j.Force, j.Nonce)
		case info.Mode().IsRegular():
			f, err := os.Open(local)
			if err != nil {
				return err
			}
			defer func() { _ = f.Close() }() // read only: nothing to flush
			st.Files++
			// Hashed first, so the container checks the copy in the same
			// exec that receives it: one exec per file, not two.
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				return fmt.Errorf("reading %s: %w", local, err)
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("reading %s: %w", local, err)
			}
			return j.write(ctx, remote, f, hex.EncodeToString(h.Sum(nil)), info.Size(), info.Mode(), info.ModTime().Unix(), &st)
		}
		j.warnf("skipped %s: not a regular file, directory or link", local)
		st.Skipped++
		return nil
	})
	if err != nil {
		return st, err
	}
	times, order := map[string]int64{}, make([]string, 0, len(dirs))
	for k := len(dirs) - 1; k >= 0; k-- {
		times[dirs[k].p] = dirs[k].mtime
		order = append(order, dirs[k].p)
	}
	return st, j.Remote.Touch(ctx, times, order)
}

// write sends src (size bytes, -1: unknown; known: its sha256 when read
// before) to the file p.
func (j Job) write(ctx context.Context, p string, src io.Reader, known string, size int64, mode fs.FileMode, mtime int64, st *Stats) error {
	h := sha256.New()
	var n countingWriter
	in := io.TeeReader(src, io.MultiWriter(h, &n))
	if j.Progress != nil {
		in = j.Progress.Reader(in, size)
	}
	err := j.Remote.Write(ctx, p, in, known, func() string { return hex.EncodeToString(h.Sum(nil)) }, mode, mtime, j.Force, j.Nonce)
	if j.Progress != nil {
		j.Progress.Done()
	}
	st.Bytes += int64(n)
	return err
}

type countingWriter int64

func (c *countingWriter) Write(b []byte) (int, error) {
	*c += countingWriter(len(b))
	return len(b), nil
}
