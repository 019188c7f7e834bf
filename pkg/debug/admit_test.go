package debug

import (
	"context"
	"errors"
	"fmt"
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
// forbids what deny matches would, and counts them; dry says whether a
// dry run is expected.
func refusing(t *testing.T, deny func(patch string) error, count *atomic.Int32, dry bool) *fake.Clientset {
	client := fake.NewClientset(runningPod())
	client.PrependReactor("patch", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		count.Add(1)
		p := a.(k8stesting.PatchActionImpl)
		if got := len(p.GetPatchOptions().DryRun) > 0; got != dry {
			t.Errorf("a patch with dry run %v, want %v", got, dry)
		}
		if err := deny(string(p.GetPatch())); err != nil {
			return true, nil, err
		}
		return true, runningPod(), nil
	})
	return client
}

func building(t *testing.T) Builder {
	return func(p string) (*corev1.EphemeralContainer, []string, error) {
		return debugContainer(t, runningPod(), "eshell-a", p), []string{"warning of " + p}, nil
	}
}

func TestAutoFollowsTheServer(t *testing.T) {
	podSecurity := apierrors.NewForbidden(podsGR, "web-1", errors.New(`violates PodSecurity "baseline:latest": non-default capabilities (container "eshell-a" must not include "SYS_PTRACE")`))
	vap := apierrors.NewForbidden(podsGR, "web-1", errors.New(`ValidatingAdmissionPolicy 'no-ptrace' with binding 'no-ptrace' denied request: no SYS_PTRACE`))
	restrictedOnly := apierrors.NewForbidden(podsGR, "web-1", errors.New(`violates PodSecurity "restricted:latest": runAsNonRoot != true`))
	rbac := apierrors.NewForbidden(podsGR, "web-1", errors.New(`User "dev" cannot patch resource "pods/ephemeralcontainers"`))
	cases := []struct {
		name    string
		deny    func(string) error
		want    string
		notes   []string
		patches int
		errHas  []string
	}{
		{name: "nothing enforced", deny: func(string) error { return nil }, want: ProfileGeneral, patches: 1},
		{name: "baseline", deny: func(p string) error {
			if strings.Contains(p, "SYS_PTRACE") {
				return podSecurity
			}
			return nil
		}, want: ProfileBaseline, patches: 2, notes: []string{"--profile general was refused: violates PodSecurity \"baseline:latest\""}},
		{name: "a policy", deny: func(p string) error {
			if strings.Contains(p, "SYS_PTRACE") {
				return vap
			}
			return nil
		}, want: ProfileBaseline, patches: 2, notes: []string{"ValidatingAdmissionPolicy 'no-ptrace'"}},
		{name: "restricted", deny: func(p string) error {
			if !strings.Contains(p, `"runAsNonRoot":true`) {
				return restrictedOnly
			}
			return nil
		}, want: ProfileRestricted, patches: 3, notes: []string{"--profile general was refused", "--profile baseline was refused"}},
		{name: "nothing admitted", deny: func(string) error { return restrictedOnly }, patches: 3,
			errHas: []string{"every profile --profile auto tries", "nothing was added", "runAsNonRoot != true"}},
		// No other profile would fare better: one patch, and what to do.
		{name: "no permission", deny: func(string) error { return rbac }, patches: 1, errHas: []string{"cannot patch", "you may not add debug containers here"}},
	}
	for _, c := range cases {
		for _, dry := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/dry=%v", c.name, dry), func(t *testing.T) {
				var n atomic.Int32
				s := &Session{Remote: session.Remote{Client: refusing(t, c.deny, &n, dry)}}
				add := s.Add
				if dry {
					add = s.DryRun
				}
				chosen, notes, err := add(context.Background(), runningPod(), ProfileAuto, building(t))
				if got := int(n.Load()); got != c.patches {
					t.Errorf("%d patches, want %d: one per candidate until one is admitted", got, c.patches)
				}
				if c.errHas != nil {
					for _, w := range c.errHas {
						if err == nil || !strings.Contains(err.Error(), w) {
							t.Errorf("error %v lacks %q", err, w)
						}
					}
					return
				}
				if err != nil || chosen.Profile != c.want || chosen.EC == nil || chosen.Pod == nil {
					t.Fatalf("chose %+v (%v), want %q", chosen, err, c.want)
				}
				if len(chosen.Warnings) != 1 || chosen.Warnings[0] != "warning of "+c.want {
					t.Errorf("warnings %q, want the chosen profile's", chosen.Warnings)
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
}

// A profile that cannot be built for the pod counts as refused, and the
// next one is chosen.
func TestAutoSkipsUnbuildable(t *testing.T) {
	var n atomic.Int32
	s := &Session{Remote: session.Remote{Client: refusing(t, func(string) error { return nil }, &n, false)}}
	build := func(p string) (*corev1.EphemeralContainer, []string, error) {
		if p == ProfileGeneral {
			return nil, nil, errors.New("pod runs Windows")
		}
		return debugContainer(t, runningPod(), "eshell-a", p), nil, nil
	}
	chosen, notes, err := s.Add(context.Background(), runningPod(), ProfileAuto, build)
	if err != nil || chosen.Profile != ProfileBaseline || len(notes) != 1 || !strings.Contains(notes[0], "Windows") || n.Load() != 1 {
		t.Fatalf("chose %q, notes %q, err %v, %d patches; want baseline after general could not be built", chosen.Profile, notes, err, n.Load())
	}
	// A requested profile that cannot be built says why, as it is.
	_, _, err = s.Add(context.Background(), runningPod(), ProfileGeneral, build)
	if err == nil || err.Error() != "pod runs Windows" {
		t.Errorf("requested general: %v, want the builder's error", err)
	}
}

// The advice after a refusal never names the refused profile.
func TestSuggestSkipsTheRejected(t *testing.T) {
	var n atomic.Int32
	s := &Session{Remote: session.Remote{Client: refusing(t, func(string) error { return nil }, &n, true)}}
	for _, rejected := range AutoCandidates() {
		if got := s.suggest(context.Background(), runningPod(), rejected, building(t)); got == rejected || got == "" {
			t.Errorf("after %s was refused, suggest = %q", rejected, got)
		}
	}
	if got := (Trial{Err: apierrors.NewForbidden(podsGR, "web-1", errors.New("x"))}).Reason(); got != "x" {
		t.Errorf("Reason = %q, want the rule without the preamble", got)
	}
}
