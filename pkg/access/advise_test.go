package access_test

import (
	"errors"
	"fmt"
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
