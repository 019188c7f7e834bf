package clone

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/sberz/kubectl-eshell/pkg/plan"
)

func TestImagesFlag(t *testing.T) {
	tests := []struct {
		args []string
		want []plan.ImageOverride
		err  string
	}{
		{args: []string{"bash:5.2"}, want: []plan.ImageOverride{{Image: "bash:5.2"}}},
		{args: []string{"proxy=registry.example.com:5000/proxy:5", "bash@sha256:abc"},
			want: []plan.ImageOverride{{Container: "proxy", Image: "registry.example.com:5000/proxy:5"}, {Image: "bash@sha256:abc"}}},
		{args: []string{"=bash:5.2"}, err: "the container's name before = is empty"},
		{args: []string{"web="}, err: `"" is not an image`},
		{args: []string{""}, err: `"" is not an image`},
		{args: []string{"web=bash 5"}, err: `"bash 5" is not an image`},
	}
	for _, tt := range tests {
		var got []plan.ImageOverride
		f := ImagesFlag{List: &got}
		var err error
		for _, a := range tt.args {
			if err = f.Set(a); err != nil {
				break
			}
		}
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, d)
		}
	}
	if s := (ImagesFlag{List: &[]plan.ImageOverride{{Image: "a:1"}, {Container: "b", Image: "c:2"}}}).String(); s != "a:1,b=c:2" {
		t.Errorf("String() = %q", s)
	}
}

func TestParseEnvFile(t *testing.T) {
	tests := []struct {
		name, data string
		want       []plan.EnvOverride
		err        string
	}{
		{name: "empty", data: ""},
		{
			name: "lines, comments, blanks, CRLF, values as written",
			data: "# app\nFOO=bar\n\n  INDENTED=x\r\nQUOTED=\"a b\"\nEQ=a=b\nEMPTY=\n\t# indented comment\nSP=  trailing  \n",
			want: []plan.EnvOverride{{Name: "FOO", Value: "bar"}, {Name: "INDENTED", Value: "x"}, {Name: "QUOTED", Value: `"a b"`}, {Name: "EQ", Value: "a=b"}, {Name: "EMPTY", Value: ""}, {Name: "SP", Value: "  trailing  "}},
		},
		{name: "no =", data: "A=1\nhunter2\n", err: "x.env line 2: no =; each line is NAME=VALUE"},
		{name: "bad name, not quoted", data: "A=1\n\n9LIVES=cat\n", err: `x.env line 3: the text before = is not a variable name`},
		{name: "empty name", data: "=v\n", err: "x.env line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEnvFile("x.env", []byte(tt.data))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "cat") {
					t.Errorf("the error shows the line's text, which may be a value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// --set-env and --set-env-file append to one list in command-line order:
// a later variable of a name changes the earlier one's value in place.
func TestEnvFlagsLaterWins(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.env")
	if err := os.WriteFile(file, []byte("A=from-file\nC=3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []plan.EnvOverride
	set, fromFile := EnvFlag{List: &env}, EnvFlag{List: &env, File: true}
	for _, step := range []struct {
		f EnvFlag
		v string
	}{{set, "A=1"}, {set, "B=2"}, {fromFile, file}, {set, "C=last"}} {
		if err := step.f.Set(step.v); err != nil {
			t.Fatal(err)
		}
	}
	want := []plan.EnvOverride{{Name: "A", Value: "from-file"}, {Name: "B", Value: "2"}, {Name: "C", Value: "last"}}
	if d := cmp.Diff(want, env); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if s := set.String(); s != "A,B,C" {
		t.Errorf("String() = %q: it shows the names only", s)
	}
	if got := (plan.CloneSettings{Env: env}).EnvValues(); !cmp.Equal(got, []string{"from-file", "2", "last"}) {
		t.Errorf("EnvValues() = %q", got)
	}
	for _, bad := range []string{"NOEQ", "1A=x", "=x"} {
		if err := set.Set(bad); err == nil || !strings.Contains(err.Error(), "give NAME=VALUE") {
			t.Errorf("Set(%q) = %v", bad, err)
		}
	}
	if err := fromFile.Set(filepath.Join(t.TempDir(), "none.env")); err == nil || !strings.Contains(err.Error(), "reading the variables") {
		t.Errorf("a missing file: %v", err)
	}
}

func TestParseResources(t *testing.T) {
	q := resource.MustParse
	tests := []struct {
		in   string
		want corev1.ResourceList
		err  string
	}{
		{in: "cpu=500m,memory=256Mi", want: corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("256Mi")}},
		{in: " cpu=1 , ephemeral-storage=1Gi", want: corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceEphemeralStorage: q("1Gi")}},
		{in: "cpu=0", want: corev1.ResourceList{corev1.ResourceCPU: q("0")}},
		{in: "gpu=1", err: `unknown resource "gpu": give one of cpu, memory, ephemeral-storage`},
		{in: "cpu=lots", err: "cpu=lots: quantities must match"},
		{in: "memory=-1Gi", err: "memory=-1Gi is negative"},
		{in: "cpu", err: `"cpu" is not NAME=QUANTITY`},
		{in: "", err: "is not NAME=QUANTITY"},
		{in: "cpu=1,", err: "is not NAME=QUANTITY"},
	}
	for _, tt := range tests {
		got, err := ParseResources(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !sets.KeySet(got).Equal(sets.KeySet(tt.want)) {
			t.Errorf("%q: %v, want %v", tt.in, got, tt.want)
		}
		for k, v := range tt.want {
			if g := got[k]; g.Cmp(v) != 0 {
				t.Errorf("%q: %s = %s, want %s", tt.in, k, g.String(), v.String())
			}
		}
	}
}

// Given again, --requests adds to and changes what it gave before.
func TestResourcesFlagMerges(t *testing.T) {
	var l corev1.ResourceList
	f := ResourcesFlag{List: &l}
	for _, s := range []string{"cpu=1,memory=1Gi", "cpu=2"} {
		if err := f.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if s := f.String(); s != "cpu=2,memory=1Gi" {
		t.Errorf("after two --requests: %s", s)
	}
}
