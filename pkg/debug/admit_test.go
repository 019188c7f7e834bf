package debug

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/session"
)

var podsGR = schema.GroupResource{Resource: "pods"}

// refusing answers ephemeral container patches the way a cluster that
// forbids what deny matches would, and counts them.
func refusing(deny func(patch string) error, count *atomic.Int32) *fake.Clientset {
	client := fake.NewClientset(runningPod())
	client.PrependReactor("patch", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		count.Add(1)
		p := a.(k8stesting.PatchActionImpl)
		if len(p.GetPatchOptions().DryRun) == 0 {
			return true, nil, errors.New("a dry run was expected")
		}
		if err := deny(string(p.GetPatch())); err != nil {
			return true, nil, err
		}
		return true, runningPod(), nil
	})
	return client
}

func TestAutoFollowsTheServer(t *testing.T) {
	podSecurity := apierrors.NewForbidden(podsGR, "web-1", errors.New(`violates PodSecurity "baseline:latest": non-default capabilities (container "eshell-a" must not include "SYS_PTRACE")`))
	vap := apierrors.NewForbidden(podsGR, "web-1", errors.New(`ValidatingAdmissionPolicy 'no-ptrace' with binding 'no-ptrace' denied request: no SYS_PTRACE`))
	restrictedOnly := apierrors.NewForbidden(podsGR, "web-1", errors.New(`violates PodSecurity "restricted:latest": runAsNonRoot != true`))
	rbac := apierrors.NewForbidden(podsGR, "web-1", errors.New(`User "dev" cannot patch resource "pods/ephemeralcontainers"`))
	cases := []struct {
		name   string
		deny   func(string) error
		want   string
		notes  []string
		errHas []string
	}{
		{name: "nothing enforced", deny: func(string) error { return nil }, want: ProfileGeneral},
		{name: "baseline", deny: func(p string) error {
			if strings.Contains(p, "SYS_PTRACE") {
				return podSecurity
			}
			return nil
		}, want: ProfileBaseline, notes: []string{"--profile general was refused: violates PodSecurity \"baseline:latest\""}},
		{name: "a policy", deny: func(p string) error {
			if strings.Contains(p, "SYS_PTRACE") {
				return vap
			}
			return nil
		}, want: ProfileBaseline, notes: []string{"ValidatingAdmissionPolicy 'no-ptrace'"}},
		{name: "restricted", deny: func(p string) error {
			if !strings.Contains(p, `"runAsNonRoot":true`) {
				return restrictedOnly
			}
			return nil
		}, want: ProfileRestricted, notes: []string{"--profile general was refused", "--profile baseline was refused"}},
		{name: "nothing admitted", deny: func(string) error { return restrictedOnly },
			errHas: []string{"every profile --profile auto tries", "nothing was added", "runAsNonRoot != true"}},
		{name: "no permission", deny: func(string) error { return rbac }, errHas: []string{"cannot patch"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var n atomic.Int32
			s := &Session{Remote: session.Remote{Client: refusing(c.deny, &n)}}
			build := func(p string) (*corev1.EphemeralContainer, error) {
				return debugContainer(t, runningPod(), "eshell-a", p), nil
			}
			chosen, notes, err := Choose(runningPod(), s.Try(context.Background(), runningPod(), build, AutoCandidates()))
			if got := int(n.Load()); got != len(AutoCandidates()) {
				t.Errorf("%d dry runs, want one per candidate", got)
			}
			if c.errHas != nil {
				for _, w := range c.errHas {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("error %v lacks %q", err, w)
					}
				}
				return
			}
			if err != nil || chosen.Profile != c.want || chosen.EC == nil {
				t.Fatalf("chose %q (%v), want %q", chosen.Profile, err, c.want)
			}
			joined := strings.Join(notes, "\n")
			for _, w := range c.notes {
				if !strings.Contains(joined, w) {
					t.Errorf("notes lack %q:\n%s", w, joined)
				}
			}
			if len(c.notes) == 0 && len(notes) > 0 {
				t.Errorf("unexpected notes: %s", joined)
			}
		})
	}
}

// A profile that cannot be built for the pod counts as refused, and the
// next one is chosen.
func TestAutoSkipsUnbuildable(t *testing.T) {
	var n atomic.Int32
	s := &Session{Remote: session.Remote{Client: refusing(func(string) error { return nil }, &n)}}
	build := func(p string) (*corev1.EphemeralContainer, error) {
		if p == ProfileGeneral {
			return nil, errors.New("pod runs Windows")
		}
		return debugContainer(t, runningPod(), "eshell-a", p), nil
	}
	chosen, notes, err := Choose(runningPod(), s.Try(context.Background(), runningPod(), build, AutoCandidates()))
	if err != nil || chosen.Profile != ProfileBaseline || len(notes) != 1 || !strings.Contains(notes[0], "Windows") {
		t.Fatalf("chose %q, notes %q, err %v; want baseline after general could not be built", chosen.Profile, notes, err)
	}
}

// The advice after a refusal never names the refused profile.
func TestSuggestSkipsTheRejected(t *testing.T) {
	var n atomic.Int32
	s := &Session{Remote: session.Remote{Client: refusing(func(string) error { return nil }, &n)}, Profile: ProfileGeneral,
		Build: func(p string) (*corev1.EphemeralContainer, error) {
			return debugContainer(t, runningPod(), "eshell-a", p), nil
		}}
	for _, rejected := range AutoCandidates() {
		if got := s.suggest(context.Background(), runningPod(), rejected); got == rejected || got == "" {
			t.Errorf("after %s was refused, suggest = %q", rejected, got)
		}
	}
	if got := (Trial{Err: apierrors.NewForbidden(podsGR, "web-1", errors.New("x"))}).Reason(); got != "x" {
		t.Errorf("Reason = %q, want the rule without the preamble", got)
	}
}
