package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

// planted is what the user typed as an argument; no Event may hold it.
const planted = "hunter2-planted"

// failures are the ways a session ends in error, each carrying the
// planted argument in its text as the real errors do.
func failures() []struct {
	name  string
	ctx   func() context.Context
	err   error
	class string
} {
	live := context.Background
	cancelled := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	expired := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		<-ctx.Done()
		return ctx
	}
	gr := schema.GroupResource{Resource: "pods"}
	return []struct {
		name  string
		ctx   func() context.Context
		err   error
		class string
	}{
		{"missing program", live, fmt.Errorf("cannot run psql --password=%s in container \"web\": %w", planted,
			errors.New(`exec: "psql": executable file not found in $PATH`)), ClassMissingProgram},
		{"SPDY fallback URL", live, fmt.Errorf("connecting: %w", &url.Error{Op: "Post",
			URL: "https://127.0.0.1:6443/api/v1/namespaces/shop/pods/web/exec?command=psql&command=" + planted, Err: errors.New("EOF")}), ClassConnection},
		{"RBAC refusal", live, apierrors.NewForbidden(gr, "web", fmt.Errorf(`User "dev" cannot create resource "pods/exec" (%s)`, planted)), ClassForbidden},
		{"webhook refusal", live, apierrors.NewForbidden(gr, "web", fmt.Errorf(`admission webhook "guard" denied the request: %s`, planted)), ClassAdmission},
		{"policy refusal", live, apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, "web",
			field.ErrorList{field.Invalid(field.NewPath("spec"), planted, "ValidatingAdmissionPolicy 'x' denied request")}), ClassAdmission},
		{"image pull", live, &podwatch.StartError{Mode: mode.Clone, Pod: "web-x", Reason: "ErrImagePull", Message: "pull " + planted}, ClassPodNotStarted + " (ErrImagePull)"},
		{"odd start reason", live, &podwatch.StartError{Mode: mode.Clone, Pod: "web-x", Reason: "Bad " + planted}, ClassPodNotStarted},
		{"missing program at start", live, &podwatch.StartError{Mode: mode.Clone, Reason: "StartError",
			Message: `exec: "` + planted + `": executable file not found in $PATH`}, ClassMissingProgram},
		{"server timeout", live, apierrors.NewServerTimeout(gr, "create "+planted, 1), ClassTimeout},
		{"not found", live, apierrors.NewNotFound(gr, planted), ClassNotFound},
		{"other API error", live, apierrors.NewInternalError(errors.New(planted)), ClassAPI},
		{"interrupt", cancelled, fmt.Errorf("session interrupted running %s: %w", planted, context.Canceled), ClassInterrupted},
		{"max duration", expired, fmt.Errorf("stream of %s: %w", planted, errors.New("closed")), ClassMaxDuration},
		{"idle", cancelled, fmt.Errorf("%s: %w", planted, session.ErrIdle), ClassIdle},
		{"lost stream", live, fmt.Errorf("reading %s: connection reset by peer", planted), ClassConnection},
		{"anything else", live, errors.New(planted), ClassOther},
	}
}

func TestClass(t *testing.T) {
	for _, tc := range failures() {
		if got := Class(tc.ctx(), tc.err); got != tc.class {
			t.Errorf("%s: class %q, want %q", tc.name, got, tc.class)
		}
	}
	if got := Class(context.Background(), nil); got != "" {
		t.Errorf("no error: class %q", got)
	}
}

// Whatever ends a session, its Events hold neither an argument the user
// typed nor the text of the error, only an error class.
func TestEventsHoldNoArgumentOnAnyFailure(t *testing.T) {
	for _, tc := range append(failures(), struct {
		name  string
		ctx   func() context.Context
		err   error
		class string
	}{"exit code", context.Background, &session.ExitError{Code: 3}, ""}) {
		c := fake.NewClientset()
		s := testSession()
		s.Command = []string{"psql", "--password=" + planted}
		end := NewRecorder(c, nil).Begin(tc.ctx(), s)
		end(tc.err)
		list, err := c.EventsV1().Events("shop").List(context.Background(), metav1.ListOptions{})
		if err != nil || len(list.Items) != 2 {
			t.Fatalf("%s: events %v, %v", tc.name, list, err)
		}
		b, _ := json.Marshal(list)
		if strings.Contains(string(b), "hunter2") {
			t.Errorf("%s: an Event holds the planted argument:\n%s", tc.name, b)
		}
		for _, ev := range list.Items {
			if ev.Action == ActionEnd && tc.class != "" && !strings.HasSuffix(ev.Note, ": "+tc.class) {
				t.Errorf("%s: end note %q does not name the class %q", tc.name, ev.Note, tc.class)
			}
		}
	}
}

// A session whose context ended (Ctrl+C, --max-duration) is recorded as
// cut short even when its stream returned no error or an exit code.
func TestBeginInterruptedWithoutError(t *testing.T) {
	for _, err := range []error{nil, &session.ExitError{Code: 130}} {
		ctx, cancel := context.WithCancel(context.Background())
		c := fake.NewClientset()
		end := NewRecorder(c, nil).Begin(ctx, testSession())
		cancel()
		end(err)
		list, lerr := c.EventsV1().Events("shop").List(context.Background(), metav1.ListOptions{})
		if lerr != nil {
			t.Fatal(lerr)
		}
		found := false
		for _, ev := range list.Items {
			found = found || ev.Action == ActionEnd && strings.HasSuffix(ev.Note, ": "+ClassInterrupted)
		}
		if !found {
			t.Errorf("error %v after Ctrl+C: no End Event says interrupted: %+v", err, list.Items)
		}
	}
}
