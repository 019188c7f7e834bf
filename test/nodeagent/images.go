package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// There is no container runtime: an image is only a name. What a real image
// decides and eshell depends on is which programs exist (is there a bash? a
// shell at all?) and whether the image can be pulled. The agent models that
// with a few "flavours", each a bin directory put first on the container's
// PATH, so an image without bash really has no bash for a PATH lookup.

// missingImagePrefix marks images that fail to pull (ErrImagePull, then ImagePullBackOff).
const missingImagePrefix = "missing.invalid/"

type flavour struct {
	name string
	// tools are linked into the flavour's bin directory from the host; nil
	// means the host's own PATH (a full distribution with bash).
	tools []string
	// defaultArgv is the image's ENTRYPOINT/CMD when the pod gives none.
	defaultArgv []string
}

var smallTools = []string{
	"sh", "cat", "echo", "ls", "ps", "env", "sleep", "kill", "id", "hostname", "timeout",
	"grep", "sed", "head", "tail", "wc", "printf", "test", "true", "false", "mkdir", "rm",
	"cp", "mv", "date", "uname", "stty", "tr", "cut", "sort", "uniq", "xargs", "find",
	"whoami", "pwd", "touch", "chmod", "ln", "df", "du", "dd", "awk", "tee", "nproc", "seq",
	"readlink", "basename", "dirname", "yes", "expr",
}

var flavours = []flavour{
	// busybox and alpine have sh but no bash: the case shell detection must handle.
	{name: "busybox", tools: smallTools, defaultArgv: []string{"sh"}},
	// distroless and scratch images have no shell at all.
	{name: "distroless", tools: []string{}, defaultArgv: []string{"/bin/sleep", "infinity"}},
	// everything else behaves like a full distribution whose app idles.
	{name: "full", defaultArgv: []string{"sleep", "infinity"}},
}

func flavourOf(image string) flavour {
	base := image
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[i+1:]
	}
	switch {
	case strings.HasPrefix(base, "busybox"), strings.HasPrefix(base, "alpine"):
		return flavours[0]
	case strings.Contains(image, "distroless"), strings.HasPrefix(base, "scratch"), strings.Contains(base, "noshell"):
		return flavours[1]
	}
	return flavours[2]
}

// imagePulls reports whether the image can be "pulled".
func imagePulls(image string) bool { return !strings.HasPrefix(image, missingImagePrefix) }

const hostPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// prepareFlavours builds each flavour's bin directory under root and returns
// the PATH value for each flavour name.
func prepareFlavours(root string) (map[string]string, error) {
	paths := map[string]string{}
	for _, f := range flavours {
		if f.tools == nil {
			paths[f.name] = hostPath
			continue
		}
		dir := filepath.Join(root, "images", f.name, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		for _, t := range f.tools {
			src := t
			if t == "sh" {
				src = "dash" // a POSIX sh that is not bash, like busybox ash
			}
			p, err := exec.LookPath(src)
			if err != nil {
				if t == "sh" {
					return nil, fmt.Errorf("the busybox image flavour needs dash on the host (apt-get install dash): %w", err)
				}
				continue
			}
			link := filepath.Join(dir, t)
			_ = os.Remove(link)
			if err := os.Symlink(p, link); err != nil {
				return nil, err
			}
		}
		paths[f.name] = dir
	}
	return paths, nil
}

// lookPath resolves a command the way the runtime does: names with a slash
// are used as they are, others are searched on the container's PATH (not
// the agent's).
func lookPath(name, pathEnv string) (string, error) {
	if strings.Contains(name, "/") {
		if st, err := os.Stat(name); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return name, nil
		}
		return "", fmt.Errorf("exec: %q: stat %s: no such file or directory", name, name)
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}
