package dist_test

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
	"text/template"

	"sigs.k8s.io/yaml"
)

// The parts of .goreleaser.yaml that decide which archives exist, what they
// are called and what they hold. Decoding is lenient: the rest of the file
// is goreleaser's business, and `goreleaser check` validates it.
type goreleaserConfig struct {
	ProjectName string `json:"project_name"`
	Builds      []struct {
		Main    string   `json:"main"`
		Binary  string   `json:"binary"`
		Env     []string `json:"env"`
		Goos    []string `json:"goos"`
		Goarch  []string `json:"goarch"`
		Targets []string `json:"targets"`
		Ignore  []any    `json:"ignore"`
		Flags   []string `json:"flags"`
		Ldflags []string `json:"ldflags"`
	} `json:"builds"`
	Archives []struct {
		NameTemplate    string   `json:"name_template"`
		Formats         []string `json:"formats"`
		WrapInDirectory any      `json:"wrap_in_directory"`
		FormatOverrides []struct {
			Goos    string   `json:"goos"`
			Formats []string `json:"formats"`
		} `json:"format_overrides"`
		Files []struct {
			Src         string `json:"src"`
			Dst         string `json:"dst"`
			StripParent bool   `json:"strip_parent"`
		} `json:"files"`
	} `json:"archives"`
	Checksum struct {
		NameTemplate string `json:"name_template"`
		Algorithm    string `json:"algorithm"`
	} `json:"checksum"`
}

func loadGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	raw, err := os.ReadFile(goreleaserFile)
	if err != nil {
		t.Fatal(err)
	}
	var c goreleaserConfig
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if len(c.Builds) != 1 || len(c.Archives) != 1 {
		t.Fatalf(".goreleaser.yaml has %d builds and %d archives, want one of each: the krew manifest has one archive per platform",
			len(c.Builds), len(c.Archives))
	}
	return c
}

// releaseArchive is the name goreleaser gives the archive of os/arch for a
// tag: the archive name_template evaluated as goreleaser does (Version is
// the tag without its v), and the format's extension.
func releaseArchive(t *testing.T, c goreleaserConfig, tag, goos, goarch string) string {
	t.Helper()
	a := c.Archives[0]
	tpl, err := template.New("name_template").Option("missingkey=error").Parse(a.NameTemplate)
	if err != nil {
		t.Fatalf(".goreleaser.yaml archives name_template: %v", err)
	}
	var name bytes.Buffer
	data := map[string]string{
		"ProjectName": c.ProjectName,
		"Version":     strings.TrimPrefix(tag, "v"),
		"Os":          goos,
		"Arch":        goarch,
	}
	if err := tpl.Execute(&name, data); err != nil {
		t.Fatalf(".goreleaser.yaml archives name_template uses more than ProjectName, Version, Os and Arch: %v", err)
	}
	formats := a.Formats
	for _, o := range a.FormatOverrides {
		if o.Goos == goos {
			formats = o.Formats
		}
	}
	if len(formats) != 1 {
		t.Fatalf(".goreleaser.yaml makes %v archives for %s, want exactly one format", formats, goos)
	}
	return name.String() + "." + formats[0]
}

// TestGoreleaserConfig checks by configuration what a full `make dist`
// would show by building: every platform krew users get is built, static,
// and packed with the files the manifest installs.
func TestGoreleaserConfig(t *testing.T) {
	c := loadGoreleaser(t)
	if c.ProjectName != project {
		t.Errorf("project_name = %q, want %q", c.ProjectName, project)
	}

	b := c.Builds[0]
	if len(b.Targets) > 0 || len(b.Ignore) > 0 {
		t.Errorf("builds: targets %v, ignore %v: list platforms only with goos and goarch, which this test and `make dist-host` read", b.Targets, b.Ignore)
	}
	var built []string
	for _, goos := range b.Goos {
		for _, goarch := range b.Goarch {
			built = append(built, goos+"/"+goarch)
		}
	}
	slices.Sort(built)
	want := slices.Sorted(slices.Values(platforms))
	if !slices.Equal(built, want) {
		t.Errorf("builds: goos %v x goarch %v builds %v, want %v", b.Goos, b.Goarch, built, want)
	}
	if b.Binary != project {
		t.Errorf("builds: binary = %q, want %q (krew's bin)", b.Binary, project)
	}
	if b.Main != "./cmd/"+project {
		t.Errorf("builds: main = %q, want ./cmd/%s", b.Main, project)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("builds: env %v lacks CGO_ENABLED=0: krew users need a static binary", b.Env)
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("builds: flags %v lack -trimpath", b.Flags)
	}
	if ld := strings.Join(b.Ldflags, " "); !strings.Contains(ld, "-X "+versionPkg+".Version=v{{ .Version }}") {
		t.Errorf("builds: ldflags %q do not set %s.Version to the tag", ld, versionPkg)
	}

	a := c.Archives[0]
	if a.WrapInDirectory != nil && a.WrapInDirectory != false {
		t.Errorf("archives: wrap_in_directory = %v: the manifest's files are at the archive root", a.WrapInDirectory)
	}
	var files []string
	for _, f := range a.Files {
		name := f.Src
		if f.StripParent {
			name = path.Base(f.Src)
		}
		if f.Dst != "" {
			name = path.Join(f.Dst, name)
		}
		files = append(files, name)
	}
	files = append(files, b.Binary)
	slices.Sort(files)
	wantFiles := slices.Sorted(slices.Values(archiveFiles))
	if !slices.Equal(files, wantFiles) {
		t.Errorf("archives: files plus the binary put %v in the archive, want %v", files, wantFiles)
	}
	for _, f := range a.Files {
		if _, err := os.Stat(path.Join("..", "..", f.Src)); err != nil {
			t.Errorf("archives: file %s: %v", f.Src, err)
		}
	}
	for _, p := range platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		got := releaseArchive(t, c, "v1.2.3", goos, goarch)
		ext := ".tar.gz"
		if goos == "windows" {
			ext = ".zip" // opens in Explorer; krew unpacks either
		}
		if want := fmt.Sprintf("%s_v1.2.3_%s_%s%s", project, goos, goarch, ext); got != want {
			t.Errorf("archives: %s is packed as %s, want %s", p, got, want)
		}
	}

	if c.Checksum.NameTemplate != "checksums.txt" || c.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum: %s of %s, want sha256 in checksums.txt (what hack/krew-manifest.sh and krew-release-bot read)",
			c.Checksum.Algorithm, c.Checksum.NameTemplate)
	}
}

// renderTemplate renders deploy/krew/eshell.yaml the way krew-release-bot
// does: Go's text/template with the release tag as TagName, and
// addURIAndSha rendering its URL as a template of its own and writing a uri
// and a sha256 line, the second four spaces in. sha gives the hash of an
// archive by name, "" for one that was not built.
func renderTemplate(t *testing.T, tag string, sha func(archive string) string) plugin {
	t.Helper()
	raw, err := os.ReadFile(manifestTemplate)
	if err != nil {
		t.Fatal(err)
	}
	funcs := template.FuncMap{
		"addURIAndSha": func(url, tag string) (string, error) {
			u, err := template.New("url").Parse(url)
			if err != nil {
				return "", err
			}
			var b bytes.Buffer
			if err := u.Execute(&b, struct{ TagName string }{tag}); err != nil {
				return "", err
			}
			sum := sha(path.Base(b.String()))
			if sum == "" {
				// krew checks only the form of a platform's hash until it
				// downloads that platform's archive.
				// Not all digits, which YAML would read as a number.
				sum = strings.Repeat("0123456789abcdef", 4)
			}
			return fmt.Sprintf("uri: %s\n    sha256: %s", b.String(), sum), nil
		},
	}
	tpl, err := template.New("eshell.yaml").Funcs(funcs).Option("missingkey=error").Parse(string(raw))
	if err != nil {
		t.Fatalf("deploy/krew/eshell.yaml is not a valid krew-release-bot template: %v", err)
	}
	var out bytes.Buffer
	if err := tpl.Execute(&out, struct{ TagName string }{tag}); err != nil {
		t.Fatalf("deploy/krew/eshell.yaml: %v", err)
	}
	var p plugin
	if err := yaml.UnmarshalStrict(out.Bytes(), &p); err != nil {
		t.Fatalf("deploy/krew/eshell.yaml rendered as krew-release-bot would is not a krew Plugin manifest: %v\n%s", err, out.Bytes())
	}
	return p
}

// TestManifestTemplate checks the six platforms of the template against the
// archives goreleaser is configured to make, whether or not they were built:
// the release bot downloads exactly these names.
func TestManifestTemplate(t *testing.T) {
	c := loadGoreleaser(t)
	const tag = "v1.2.3"
	p := renderTemplate(t, tag, func(string) string { return "" })
	if p.Spec.Version != tag {
		t.Errorf("spec.version = %q, want the tag %s", p.Spec.Version, tag)
	}
	seen := map[string]bool{}
	for _, pl := range p.Spec.Platforms {
		goos, goarch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		key := goos + "/" + goarch
		if !slices.Contains(platforms, key) || seen[key] {
			t.Errorf("platform %s is unknown or listed twice", key)
			continue
		}
		seen[key] = true
		if want := releaseURL + tag + "/" + releaseArchive(t, c, tag, goos, goarch); pl.URI != want {
			t.Errorf("%s: uri = %q, but goreleaser publishes %q", key, pl.URI, want)
		}
		bin := project
		if goos == "windows" {
			bin += ".exe"
		}
		if pl.Bin != bin {
			t.Errorf("%s: bin = %q, want %q", key, pl.Bin, bin)
		}
		for _, f := range pl.Files {
			want := slices.Clone(archiveFiles)
			want[0] = bin
			if !slices.Contains(want, f.From) {
				t.Errorf("%s: files installs %q, which the archive does not hold (%v)", key, f.From, want)
			}
		}
	}
	for _, key := range platforms {
		if !seen[key] {
			t.Errorf("no platform for %s: krew users there could not install eshell", key)
		}
	}
}

// TestRenderedManifest checks that dist/eshell.yaml, which
// hack/krew-manifest.sh renders, is what krew-release-bot will render from
// the same template and archives, for every platform that was built.
func TestRenderedManifest(t *testing.T) {
	requireDist(t)
	got := loadManifest(t)
	sums := loadChecksums(t)
	want := renderTemplate(t, got.Spec.Version, func(a string) string { return sums[a] })
	built := builtArchives(t, sums, got.Spec.Version)
	want.Spec.Platforms = slices.DeleteFunc(want.Spec.Platforms, func(pl platform) bool {
		return built[pl.Selector.MatchLabels["os"]+"/"+pl.Selector.MatchLabels["arch"]] == ""
	})
	if !reflect.DeepEqual(got, want) {
		gy, _ := yaml.Marshal(got)
		wy, _ := yaml.Marshal(want)
		t.Errorf("dist/eshell.yaml differs from the template rendered as krew-release-bot would:\n--- dist/eshell.yaml\n%s\n--- krew-release-bot\n%s", gy, wy)
	}
}
