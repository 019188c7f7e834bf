package dist_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// krewClient is the krew binary named by ESHELL_KREW, which `make test-dist`
// builds (hack/install-tools.sh krew) and sets. Like a missing dist/, a
// missing krew fails the test unless ESHELL_SKIP_DIST_TEST=1.
func krewClient(t *testing.T) string {
	t.Helper()
	k := os.Getenv(krewEnvName)
	if k == "" {
		if os.Getenv(skipEnvName) == "1" {
			t.Skipf("%s not set and %s=1", krewEnvName, skipEnvName)
		}
		t.Fatalf("%s is not set: run `make test-dist`, or set %s to a krew binary (`hack/install-tools.sh krew` builds one)",
			krewEnvName, krewEnvName)
	}
	return k
}

// krewInstall runs `krew install --manifest --archive` into a fresh
// KREW_ROOT and returns that root.
func krewInstall(t *testing.T, krew, manifest, archive string) string {
	t.Helper()
	root := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, krew, "install", "--manifest="+manifest, "--archive="+archive)
	// No upgrade check (it asks GitHub), and nothing from the user's krew.
	cmd.Env = append(os.Environ(), "KREW_ROOT="+root, "KREW_NO_UPGRADE_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("krew install --manifest=%s --archive=%s: %v\n%s", manifest, archive, err, out)
	}
	return root
}

// TestKrewInstall installs this machine's archive with the real krew client
// from dist/eshell.yaml, then runs the kubectl-eshell krew put on its PATH.
func TestKrewInstall(t *testing.T) {
	requireDist(t)
	krew := krewClient(t)
	p := loadManifest(t)
	built := builtArchives(t, loadChecksums(t), p.Spec.Version)
	host := runtime.GOOS + "/" + runtime.GOARCH
	archive := built[host]
	if archive == "" {
		t.Fatalf("dist/ has no archive for this machine (%s): build it with `make dist-host`", host)
	}
	archive = filepath.Join(distDir, archive)

	root := krewInstall(t, krew, filepath.Join(distDir, "eshell.yaml"), archive)
	bin := project
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	// What krew put in place: the files the manifest lists, in the store
	// directory of this version, and the binary linked into bin/.
	store := filepath.Join(root, "store", "eshell", p.Spec.Version)
	var got []string
	entries, err := os.ReadDir(store)
	if err != nil {
		t.Fatalf("krew store: %v", err)
	}
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{bin, "LICENSE"}
	if runtime.GOOS != "windows" {
		want = append(want, "kubectl_complete-eshell")
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("krew installed %v into %s, want %v", got, store, want)
	}
	runVersion(t, filepath.Join(root, "bin", bin), p.Spec.Version)
}

// TestKrewAcceptsAllPlatforms hands krew the manifest krew-release-bot will
// submit, with all six platforms, even when only this machine's archive was
// built: krew validates every platform of a manifest before it installs, so
// the five not built here are checked by krew too (with a placeholder hash,
// since only the installed platform's archive is hashed).
func TestKrewAcceptsAllPlatforms(t *testing.T) {
	requireDist(t)
	krew := krewClient(t)
	version := loadManifest(t).Spec.Version
	sums := loadChecksums(t)
	archive := builtArchives(t, sums, version)[runtime.GOOS+"/"+runtime.GOARCH]
	if archive == "" {
		t.Fatalf("dist/ has no archive for this machine: build it with `make dist-host`")
	}
	p := renderTemplate(t, version, func(a string) string { return sums[a] })
	if len(p.Spec.Platforms) != len(platforms) {
		t.Fatalf("the template has %d platforms, want %d (TestManifestTemplate says which)", len(p.Spec.Platforms), len(platforms))
	}
	raw, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(t.TempDir(), "eshell.yaml")
	if err := os.WriteFile(manifest, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	krewInstall(t, krew, manifest, filepath.Join(distDir, archive))
}
