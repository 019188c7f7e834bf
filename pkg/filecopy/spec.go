package filecopy

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Spec is one side of `cp SRC DST`.
type Spec struct {
	// Stdio is "-": one file's bytes on stdin (source) or stdout (destination).
	Stdio bool
	// Target is what eshell targets (TYPE/NAME, a pod name, a session id);
	// empty for a local path.
	Target string
	// Path is the local path, or the absolute path in the container.
	Path string
}

// Remote reports whether s is in a container.
func (s Spec) Remote() bool { return s.Target != "" }

func (s Spec) String() string {
	switch {
	case s.Stdio:
		return "-"
	case s.Remote():
		return s.Target + ":" + s.Path
	}
	return s.Path
}

// ParseSpec reads "-", a local path or TARGET:PATH. A path that starts
// with "/" or "." is local whatever it holds (so ./a:b is a file); else a
// ":" makes it TARGET:PATH, as in kubectl cp.
func ParseSpec(s string) (Spec, error) {
	switch {
	case s == "":
		return Spec{}, errors.New("an empty path; name a local path, - or TARGET:PATH")
	case s == "-":
		return Spec{Stdio: true}, nil
	case strings.HasPrefix(s, "/"), strings.HasPrefix(s, "."):
		return Spec{Path: s}, nil
	}
	target, p, ok := strings.Cut(s, ":")
	if !ok {
		return Spec{Path: s}, nil
	}
	// TYPE/NAME holds one slash; a path before the colon holds more.
	if target == "" || strings.Count(target, "/") > 1 {
		return Spec{}, fmt.Errorf("%q is neither a local path nor TARGET:PATH; write ./%s for a local file", s, s)
	}
	if p == "" {
		return Spec{}, fmt.Errorf("%q names no path in the container; write %s:/PATH", s, target)
	}
	return Spec{Target: target, Path: path.Clean("/" + p)}, nil
}

// Direction settles which side is the container: exactly one must be.
func Direction(src, dst Spec) (upload bool, err error) {
	switch {
	case src.Remote() && dst.Remote():
		return false, errors.New("both sides are in containers; copy through a local file: cp TARGET:PATH ./file, then cp ./file TARGET:PATH")
	case !src.Remote() && !dst.Remote():
		return false, errors.New("neither side is in a container; name one as TARGET:PATH (e.g. deploy/web:/tmp/file)")
	case src.Stdio && dst.Stdio:
		return false, errors.New("- can be one side only")
	}
	return dst.Remote(), nil
}

// escapes reports whether the link at p (absolute in its root) with
// target climbs above that root: such a link is skipped, never recreated.
// An absolute target stays in the root it is read in.
func escapes(p, target string) bool {
	if strings.HasPrefix(target, "/") {
		return false
	}
	depth := strings.Count(path.Dir(path.Clean("/"+p)), "/")
	if path.Dir(path.Clean("/"+p)) == "/" {
		depth = 0
	}
	for _, part := range strings.Split(target, "/") {
		switch part {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}
