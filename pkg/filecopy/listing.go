// Package filecopy is `kubectl eshell cp`: files in and out of a
// container, also one without tar or a shell (distroless). The copying runs
// in an ephemeral debug container (busybox) that shares the target's
// processes and reaches its filesystem through /proc/PID/root, one exec per
// file: the exec's stdin or stdout is the file's bytes, so no framing has to
// be parsed by a shell, and the end of a file is the end of its stream.
package filecopy

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Entry is one line of a remote listing: what `stat -c '%f %Y %s %n'`
// prints for each path `find` walks.
type Entry struct {
	// Mode holds the type bits and the permission bits (io/fs form).
	Mode fs.FileMode
	// MTime is the modification time, in seconds since the epoch.
	MTime int64
	Size  int64
	// Path is as find printed it: "./" and the path under the root.
	Path string
}

// Unix file type bits as stat's %f prints them (in hex).
const (
	sIFMT   = 0o170000
	sIFDIR  = 0o040000
	sIFREG  = 0o100000
	sIFLNK  = 0o120000
	permBit = 0o7777
)

// ParseEntry reads one listing line. A file name with a newline splits
// into two lines, the second of which is refused here: such names cannot
// be copied (the README says so).
func ParseEntry(line string) (Entry, error) {
	f := strings.SplitN(line, " ", 4)
	if len(f) != 4 || !strings.HasPrefix(f[3], "./") {
		return Entry{}, fmt.Errorf("unreadable listing line %q (a file name with a newline cannot be copied)", line)
	}
	raw, err := strconv.ParseUint(f[0], 16, 32)
	if err != nil {
		return Entry{}, fmt.Errorf("unreadable file mode %q in listing", f[0])
	}
	mtime, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return Entry{}, fmt.Errorf("unreadable modification time %q in listing", f[1])
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || size < 0 {
		return Entry{}, fmt.Errorf("unreadable size %q in listing", f[2])
	}
	mode := fs.FileMode(raw & 0o777)
	if raw&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if raw&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if raw&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	switch raw & sIFMT {
	case sIFREG:
	case sIFDIR:
		mode |= fs.ModeDir
	case sIFLNK:
		mode |= fs.ModeSymlink
	default:
		mode |= fs.ModeIrregular // devices, fifos, sockets: skipped
	}
	return Entry{Mode: mode, MTime: mtime, Size: size, Path: f[3]}, nil
}

// Line is the listing line of e, as the remote side prints it (tests).
func (e Entry) Line() string {
	raw := uint64(e.Mode.Perm())
	for _, b := range []struct {
		m   fs.FileMode
		bit uint64
	}{{fs.ModeSetuid, 0o4000}, {fs.ModeSetgid, 0o2000}, {fs.ModeSticky, 0o1000}} {
		if e.Mode&b.m != 0 {
			raw |= b.bit
		}
	}
	switch {
	case e.Mode.IsDir():
		raw |= sIFDIR
	case e.Mode&fs.ModeSymlink != 0:
		raw |= sIFLNK
	case e.Mode.IsRegular():
		raw |= sIFREG
	default:
		raw |= 0o010000 // a fifo stands for every other type
	}
	return fmt.Sprintf("%x %d %d %s", raw, e.MTime, e.Size, e.Path)
}

// ParseListing reads a whole listing (find's order: a directory before
// what it holds).
func ParseListing(out string) ([]Entry, error) {
	var list []Entry
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		e, err := ParseEntry(line)
		if err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, nil
}

// unixMode is the chmod argument for the permission bits of m.
func unixMode(m fs.FileMode) string {
	raw := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		raw |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		raw |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		raw |= 0o1000
	}
	return fmt.Sprintf("%04o", raw&permBit)
}
