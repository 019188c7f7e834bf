package access_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sberz/kubectl-eshell/pkg/access"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
)

// A pod that did not start because its node could not reach a registry is
// not a cluster this client cannot reach.
func TestAdviseKeepsStartErrors(t *testing.T) {
	se := &podwatch.StartError{Mode: mode.Clone, Pod: "web-eshell-x", Reason: "ErrImagePull", Message: `dial tcp 127.0.0.1:9: connect: connection refused`}
	got := access.Advise(fmt.Errorf("%w; the image x was given with --set-image", se), "https://api").Error()
	if strings.Contains(got, "cannot reach the cluster") || !strings.Contains(got, "--set-image") {
		t.Errorf("advise = %q", got)
	}
	if got := access.Advise(fmt.Errorf("get pods: %w", errors.New("dial tcp: connection refused")), "https://api").Error(); !strings.Contains(got, "cannot reach the cluster at https://api") {
		t.Errorf("advise = %q", got)
	}
}

// No message of the plugin advises what only makes sense inside this
// repository: a Makefile target, a path of its development setup. Users
// run the plugin against their own clusters. Every string literal of the
// plugin's code is checked (comments are not messages).
func TestNoRepositoryAdviceInMessages(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z-]*):`).FindAllStringSubmatch(string(mk), -1) {
		targets = append(targets, regexp.QuoteMeta(m[1]))
	}
	if len(targets) == 0 {
		t.Fatal("no Makefile targets found")
	}
	forbidden := regexp.MustCompile(`\bmake (` + strings.Join(targets, "|") + `)\b|\bhack/|\.cluster\b|ESHELL_CLUSTER_DIR|\bdeploy/rbac\b`)
	// A path of the repository is named as such, so it can be found.
	repoNamed := regexp.MustCompile(`in the kubectl-eshell repository`)
	checked := 0
	for _, dir := range []string{"../../pkg", "../../cmd"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testdata") {
				return err
			}
			file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				checked++
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					s = lit.Value
				}
				if forbidden.MatchString(s) && !repoNamed.MatchString(s) {
					t.Errorf("%s: a message advises something of this repository: %q", path, s)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 100 {
		t.Fatalf("only %d string literals checked: the walk missed the code", checked)
	}
	// The advice for an unreachable cluster is about the user's own.
	got := access.Advise(errors.New(`Get "https://api:6443": dial tcp: connection refused`), "https://api:6443").Error()
	if !strings.Contains(got, "kubectl config current-context") || strings.Contains(got, "make ") {
		t.Errorf("advise = %q", got)
	}
}
