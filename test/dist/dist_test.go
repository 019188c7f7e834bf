// Package dist_test checks the release as krew will see it: the manifest
// rendered into dist/eshell.yaml against the archives goreleaser built next to
// it, installed with the real krew client.
//
// krew-index reviews a manifest once, and after that krew-release-bot merges
// version bumps unattended, so a wrong hash, a file krew cannot find in the
// archive or a missing platform would reach users untested. This test runs on
// what `make dist krew-manifest` (all six platforms) or `make dist-host
// krew-manifest KREW_MANIFEST_FLAGS=--built-only` (this machine's; what CI
// runs) produced; it does not build anything itself. The platforms that were
// not built are checked by configuration: .goreleaser.yaml must build them
// under the names the manifest template downloads.
package dist_test

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// distDir is dist/ at the repository root; go test runs in the package's
// own directory.
var (
	distDir          = filepath.Join("..", "..", "dist")
	goreleaserFile   = filepath.Join("..", "..", ".goreleaser.yaml")
	manifestTemplate = filepath.Join("..", "..", "deploy", "krew", "eshell.yaml")
)

const (
	project     = "kubectl-eshell"
	releaseURL  = "https://github.com/sberz/kubectl-eshell/releases/download/"
	versionPkg  = "github.com/sberz/kubectl-eshell/pkg/version"
	shortMax    = 50 // krew search truncates longer taglines
	columnsMax  = 80
	skipEnvName = "ESHELL_SKIP_DIST_TEST"
	krewEnvName = "ESHELL_KREW"
)

// archiveFiles is what every archive holds, at its root: the krew manifest's
// files refer to them by bare name. The binary gets .exe on windows.
var archiveFiles = []string{project, "LICENSE", "README.md", "kubectl_complete-eshell"}

// platforms krew users get; the manifest must cover every one.
var platforms = []string{
	"linux/amd64", "linux/arm64",
	"darwin/amd64", "darwin/arm64",
	"windows/amd64", "windows/arm64",
}

// semver is what krew accepts as spec.version: semantic versioning with v.
var semver = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// The fields krew's v1alpha2 Plugin has that eshell uses. Decoding is
// strict, so a misspelt key fails here instead of being ignored by krew.
type plugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string     `json:"version"`
		Homepage         string     `json:"homepage"`
		ShortDescription string     `json:"shortDescription"`
		Description      string     `json:"description"`
		Caveats          string     `json:"caveats"`
		Platforms        []platform `json:"platforms"`
	} `json:"spec"`
}

type platform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string `json:"uri"`
	Sha256 string `json:"sha256"`
	Bin    string `json:"bin"`
	Files  []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"files"`
}

// entry is one file in a release archive.
type entry struct {
	mode os.FileMode
	data []byte
}

// requireDist stops the test when dist/ has not been built. It fails rather
// than skips by default, because a silently skipped release check is how a
// broken manifest ships; CI without a release build opts out explicitly.
func requireDist(t *testing.T) {
	t.Helper()
	_, err := os.Stat(filepath.Join(distDir, "checksums.txt"))
	if err == nil {
		return
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading dist/: %v", err)
	}
	if os.Getenv(skipEnvName) == "1" {
		t.Skipf("dist/checksums.txt not built and %s=1", skipEnvName)
	}
	t.Fatalf("dist/checksums.txt not found: run `make dist krew-manifest` first "+
		"(or `make test-dist`, which does both), or set %s=1 to skip this test", skipEnvName)
}

func loadManifest(t *testing.T) plugin {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(distDir, "eshell.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatal("dist/eshell.yaml not found: run `make krew-manifest` after `make dist`")
	}
	if err != nil {
		t.Fatal(err)
	}
	var p plugin
	if err := yaml.UnmarshalStrict(raw, &p); err != nil {
		t.Fatalf("dist/eshell.yaml is not a krew Plugin manifest: %v", err)
	}
	return p
}

// loadChecksums parses dist/checksums.txt (sha256sum format) into file -> hex.
func loadChecksums(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(distDir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, f)
	sums := map[string]string{}
	line := regexp.MustCompile(`^([0-9a-f]{64})  (\S+)$`)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("checksums.txt line %d is not `<sha256>  <file>`: %q", n, sc.Text())
		}
		sums[m[2]] = m[1]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

func TestChecksums(t *testing.T) {
	requireDist(t)
	sums := loadChecksums(t)
	if len(sums) == 0 {
		t.Fatal("dist/checksums.txt lists no archives: rebuild with `make dist`")
	}
	for name, want := range sums {
		if got := fileSHA256(t, filepath.Join(distDir, name)); got != want {
			t.Errorf("%s: sha256 %s, checksums.txt says %s: rebuild with `make dist`", name, got, want)
		}
	}
}

func TestManifestMetadata(t *testing.T) {
	requireDist(t)
	p := loadManifest(t)

	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" {
		t.Errorf("apiVersion = %q, want krew.googlecontainertools.github.com/v1alpha2", p.APIVersion)
	}
	if p.Kind != "Plugin" {
		t.Errorf("kind = %q, want Plugin", p.Kind)
	}
	// krew names the manifest file, the install directory and the kubectl
	// command after metadata.name.
	if p.Metadata.Name != "eshell" {
		t.Errorf("metadata.name = %q, want eshell", p.Metadata.Name)
	}
	if !semver.MatchString(p.Spec.Version) {
		t.Errorf("spec.version = %q, want a semantic version with a leading v", p.Spec.Version)
	}
	if p.Spec.Homepage != "https://github.com/sberz/kubectl-eshell" {
		t.Errorf("spec.homepage = %q, want https://github.com/sberz/kubectl-eshell", p.Spec.Homepage)
	}

	short := p.Spec.ShortDescription
	if n := utf8.RuneCountInString(short); n == 0 || n > shortMax {
		t.Errorf("spec.shortDescription %q has %d characters, want 1..%d", short, n, shortMax)
	}
	if strings.Contains(short, "\n") {
		t.Errorf("spec.shortDescription %q spans lines, want one line", short)
	}

	checkWrapped(t, "spec.description", p.Spec.Description)
	checkWrapped(t, "spec.caveats", p.Spec.Caveats)
	// The description has to say why this is more than a kubectl alias,
	// which is the first thing krew-index review asks.
	for _, s := range []string{"kubectl debug", "kubectl exec"} {
		if !strings.Contains(p.Spec.Description, s) {
			t.Errorf("spec.description does not mention %q", s)
		}
	}
	for _, s := range []string{"pods/exec", "pods/attach", "kubectl eshell sessions", "kubectl eshell attach", "kubectl eshell end"} {
		if !strings.Contains(p.Spec.Caveats, s) {
			t.Errorf("spec.caveats does not mention %q", s)
		}
	}
}

func checkWrapped(t *testing.T, field, text string) {
	t.Helper()
	if strings.TrimSpace(text) == "" {
		t.Errorf("%s is empty", field)
		return
	}
	for i, l := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(l); n > columnsMax {
			t.Errorf("%s line %d has %d columns, want at most %d: %q", field, i+1, n, columnsMax, l)
		}
	}
}

// archiveName matches the archives goreleaser makes for the manifest.
var archiveName = regexp.MustCompile(`^` + project + `_(v[^_]+)_([a-z0-9]+)_([a-z0-9]+)\.(tar\.gz|zip)$`)

// builtArchives maps os/arch to the archive of that platform listed in
// checksums.txt, which holds what goreleaser built this time: all six
// platforms (`make dist`) or only this machine's (`make dist-host`).
func builtArchives(t *testing.T, sums map[string]string, version string) map[string]string {
	t.Helper()
	built := map[string]string{}
	for name := range sums {
		m := archiveName.FindStringSubmatch(name)
		if m == nil {
			t.Errorf("checksums.txt lists %s, which is not a release archive", name)
			continue
		}
		if m[1] != version {
			t.Errorf("checksums.txt lists %s, of another version than the manifest's %s: rerun `make krew-manifest`", name, version)
			continue
		}
		built[m[2]+"/"+m[3]] = name
	}
	return built
}

func TestManifestPlatforms(t *testing.T) {
	requireDist(t)
	p := loadManifest(t)
	sums := loadChecksums(t)
	version := p.Spec.Version
	built := builtArchives(t, sums, version)
	host := runtime.GOOS + "/" + runtime.GOARCH
	if slices.Contains(platforms, host) && built[host] == "" {
		t.Errorf("dist/ has no archive for this machine (%s), which is the one that can be run and installed: build it with `make dist-host`", host)
	}

	seen := map[string]bool{}
	for i, pl := range p.Spec.Platforms {
		goos, goarch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		key := goos + "/" + goarch
		if len(pl.Selector.MatchLabels) != 2 || goos == "" || goarch == "" {
			t.Errorf("platform %d: selector.matchLabels = %v, want exactly os and arch", i, pl.Selector.MatchLabels)
			continue
		}
		if !slices.Contains(platforms, key) {
			t.Errorf("platform %d: %s is not one eshell is built for", i, key)
			continue
		}
		if seen[key] {
			t.Errorf("platform %s is listed twice; krew would pick either", key)
			continue
		}
		seen[key] = true
		t.Run(key, func(t *testing.T) { checkPlatform(t, pl, goos, goarch, version, sums) })
	}
	// A platform that was built must be in the manifest; one that was not
	// is left out by `krew-manifest --built-only` and checked by
	// TestGoreleaserConfig and TestManifestTemplate instead.
	for _, key := range platforms {
		switch {
		case !seen[key] && built[key] != "":
			t.Errorf("no platform for %s although dist/ has its archive: krew users there could not install eshell", key)
		case !seen[key]:
			t.Logf("%s: not built this time; covered by configuration (`make test-dist-all` builds and checks it)", key)
		}
	}
}

func checkPlatform(t *testing.T, pl platform, goos, goarch, version string, sums map[string]string) {
	ext, bin := ".tar.gz", project
	if goos == "windows" {
		ext, bin = ".zip", project+".exe"
	}
	archive := fmt.Sprintf("%s_%s_%s_%s%s", project, version, goos, goarch, ext)
	if want := releaseURL + version + "/" + archive; pl.URI != want {
		t.Errorf("uri = %q, want %q", pl.URI, want)
	}
	file := filepath.Join(distDir, path.Base(pl.URI))
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the archive uri names is not in dist/: %v; build all platforms with `make dist`", err)
	}

	got := fileSHA256(t, file)
	if pl.Sha256 != got {
		t.Errorf("sha256 = %s, but %s hashes to %s: rerun `make krew-manifest`", pl.Sha256, path.Base(file), got)
	}
	if sums[path.Base(file)] != got {
		t.Errorf("checksums.txt has %q for %s, want %s", sums[path.Base(file)], path.Base(file), got)
	}

	if pl.Bin != bin {
		t.Errorf("bin = %q, want %q", pl.Bin, bin)
	}

	entries := readArchive(t, file)
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	slices.Sort(names)
	// The layout .goreleaser.yaml produces: everything at the archive root.
	wantNames := slices.Clone(archiveFiles)
	wantNames[0] = bin
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("archive holds %v, want %v", names, wantNames)
	}

	// krew installs only what files lists; a pattern matching nothing fails
	// the install, and a binary not listed leaves bin dangling.
	installed := map[string]bool{}
	for _, f := range pl.Files {
		if f.To != "." {
			t.Errorf("files: %s goes to %q, want \".\" so bin resolves", f.From, f.To)
		}
		matched := false
		for _, n := range names {
			if ok, err := path.Match(f.From, n); err != nil {
				t.Errorf("files: bad pattern %q: %v", f.From, err)
			} else if ok {
				matched, installed[n] = true, true
			}
		}
		if !matched {
			t.Errorf("files: %q matches nothing in %s", f.From, path.Base(file))
		}
	}
	for _, n := range []string{bin, "LICENSE"} {
		if !installed[n] {
			t.Errorf("files does not install %s", n)
		}
	}

	if e, ok := entries["kubectl_complete-eshell"]; ok {
		if !bytes.HasPrefix(e.data, []byte("#!/bin/sh\n")) {
			t.Error("kubectl_complete-eshell does not start with #!/bin/sh")
		}
		if goos != "windows" && e.mode&0o111 == 0 {
			t.Errorf("kubectl_complete-eshell has mode %v, want executable", e.mode)
		}
	}

	e, ok := entries[bin]
	if !ok {
		return
	}
	if goos != "windows" && e.mode&0o111 == 0 {
		t.Errorf("%s has mode %v, want executable", bin, e.mode)
	}
	checkBinary(t, e.data, goos, goarch, version)
}

// checkBinary makes sure the archive labelled os/arch holds a binary for
// exactly that platform, built the way a release must be.
func checkBinary(t *testing.T, data []byte, goos, goarch, version string) {
	t.Helper()
	if err := executableFor(data, goos, goarch); err != nil {
		t.Errorf("binary: %v", err)
	}
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		t.Errorf("binary has no Go build information: %v", err)
		return
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != goos || settings["GOARCH"] != goarch {
		t.Errorf("binary was built for %s/%s", settings["GOOS"], settings["GOARCH"])
	}
	// Static, so it runs on any libc; krew users do not choose a flavour.
	if settings["CGO_ENABLED"] != "0" {
		t.Errorf("binary built with CGO_ENABLED=%q, want 0", settings["CGO_ENABLED"])
	}
	if settings["-trimpath"] != "true" {
		t.Error("binary built without -trimpath")
	}
	// The version a user reports must be the version krew installed. The
	// go command leaves -ldflags out of the build information of a -trimpath
	// build, so look for the stamped string itself; the binary for this
	// machine is also run below, which is the exact check.
	if !bytes.Contains(data, []byte(version)) {
		t.Errorf("binary does not contain its version %s: build with `make dist`, which sets %s.Version", version, versionPkg)
	}
	if goos == runtime.GOOS && goarch == runtime.GOARCH {
		checkVersionOutput(t, data, version)
	}
}

// checkVersionOutput runs `kubectl-eshell version` from the archive. It
// points KUBECONFIG at nothing, so the binary cannot reach a cluster even if
// the subcommand tried to.
func checkVersionOutput(t *testing.T, data []byte, version string) {
	t.Helper()
	dir := t.TempDir()
	exe := filepath.Join(dir, project)
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	runVersion(t, exe, version)
}

// stamp is what a release build's version line says about its origin: the
// commit (abbreviated for display) and the commit's date, which goreleaser
// fills in from git; "none" and year 1 when it could not read them.
var stamp = regexp.MustCompile(`\(commit [0-9a-f]{7,40}, built (\d{4})-\d\d-\d\dT`)

// runVersion runs `<exe> version` with KUBECONFIG pointing at nothing, so the
// binary cannot reach a cluster even if the subcommand tried to, and checks
// the version line.
func runVersion(t *testing.T, exe, version string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "version")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(t.TempDir(), "no-kubeconfig"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("`%s version` failed: %v\n%s", exe, err, out)
		return
	}
	if want := project + " " + version + " ("; !strings.Contains(string(out), want) {
		t.Errorf("`%s version` printed %q, want it to contain %q", exe, out, want)
	}
	if m := stamp.FindStringSubmatch(string(out)); m == nil || m[1] == "0001" {
		t.Errorf("`%s version` printed %q, want the full commit and its date: goreleaser could not read git", exe, out)
	}
}

func executableFor(data []byte, goos, goarch string) error {
	r := bytes.NewReader(data)
	switch goos {
	case "linux":
		f, err := elf.NewFile(r)
		if err != nil {
			return fmt.Errorf("not an ELF file: %w", err)
		}
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
		if f.Machine != want {
			return fmt.Errorf("ELF machine %v, want %v", f.Machine, want)
		}
	case "darwin":
		f, err := macho.NewFile(r)
		if err != nil {
			return fmt.Errorf("not a Mach-O file: %w", err)
		}
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]
		if f.Cpu != want {
			return fmt.Errorf("Mach-O cpu %v, want %v", f.Cpu, want)
		}
	case "windows":
		f, err := pe.NewFile(r)
		if err != nil {
			return fmt.Errorf("not a PE file: %w", err)
		}
		want := map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}[goarch]
		if f.Machine != want {
			return fmt.Errorf("PE machine %#x, want %#x", f.Machine, want)
		}
	}
	return nil
}

// readArchive returns the regular files of a .tar.gz or .zip by name. Any
// other entry type (directory, link) is reported, since krew's layout here
// is flat files only.
func readArchive(t *testing.T, file string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	add := func(name string, mode os.FileMode, r io.Reader) {
		if !mode.IsRegular() {
			t.Errorf("%s: entry %s is %v, want a regular file", path.Base(file), name, mode.Type())
			return
		}
		if _, dup := out[name]; dup {
			t.Errorf("%s: entry %s appears twice", path.Base(file), name)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: reading %s: %v", path.Base(file), name, err)
		}
		out[name] = entry{mode: mode, data: data}
	}

	if strings.HasSuffix(file, ".zip") {
		zr, err := zip.OpenReader(file)
		if err != nil {
			t.Fatalf("%s: %v", path.Base(file), err)
		}
		closeAtEnd(t, zr)
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatalf("%s: %s: %v", path.Base(file), f.Name, err)
			}
			add(f.Name, f.Mode(), rc)
			if err := rc.Close(); err != nil {
				t.Errorf("%s: %s: %v", path.Base(file), f.Name, err)
			}
		}
		return out
	}

	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, fh)
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatalf("%s: %v", path.Base(file), err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path.Base(file), err)
		}
		add(h.Name, h.FileInfo().Mode(), tr)
	}
	return out
}

// closeAtEnd closes c when the test ends; the files here are only read, but
// an error closing one still means the test did not read what it meant to.
func closeAtEnd(t *testing.T, c io.Closer) {
	t.Helper()
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
}

func fileSHA256(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, f)
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
