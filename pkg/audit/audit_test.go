package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	eventsv1client "k8s.io/client-go/kubernetes/typed/events/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

var (
	started = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ended   = started.Add(4*time.Minute + 12*time.Second + 300*time.Millisecond)
)

func testSession() Session {
	return Session{
		ID:        "x7k2p",
		User:      "alice@example.com",
		Mode:      "clone",
		Namespace: "shop",
		Command:   []string{"bash"},
		Workload: corev1.ObjectReference{
			Kind: "Deployment", APIVersion: "apps/v1", Namespace: "shop", Name: "web", UID: "uid-web",
		},
		Pod:       "web-eshell-x7k2p",
		Container: "web",
		Started:   started,
	}
}

func newRecorder(c *fake.Clientset, warn *bytes.Buffer, now time.Time) *Recorder {
	r := NewRecorder(c, warn)
	r.Now = func() time.Time { return now }
	return r
}

func getEvent(t *testing.T, c *fake.Clientset, name string) *eventsv1.Event {
	t.Helper()
	ev, err := c.EventsV1().Events("shop").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("event %q was not created: %v", name, err)
	}
	return ev
}

func TestStartEvent(t *testing.T) {
	c := fake.NewClientset()
	var warn bytes.Buffer
	newRecorder(c, &warn, started).Start(context.Background(), testSession())

	ev := getEvent(t, c, "web.x7k2p-start")
	checks := []struct{ field, got, want string }{
		{"reason", ev.Reason, "EshellSessionStarted"},
		{"type", ev.Type, corev1.EventTypeNormal},
		{"action", ev.Action, "Start"},
		{"reportingController", ev.ReportingController, "kubectl-eshell"},
		{"reportingInstance", ev.ReportingInstance, "alice@example.com"},
		{"note", ev.Note, "alice@example.com started a clone session (command: bash) in pod web-eshell-x7k2p container web"},
		{"regarding.kind", ev.Regarding.Kind, "Deployment"},
		{"regarding.name", ev.Regarding.Name, "web"},
		{"regarding.uid", string(ev.Regarding.UID), "uid-web"},
		{"regarding.apiVersion", ev.Regarding.APIVersion, "apps/v1"},
		{"labels[managed-by]", ev.Labels[keys.ManagedByLabel], keys.ManagedByValue},
		{"labels[session]", ev.Labels[keys.SessionLabel], "x7k2p"},
		{"annotations[user]", ev.Annotations[keys.UserAnnotation], "alice@example.com"},
		{"annotations[command]", ev.Annotations[keys.CommandAnnotation], "bash"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	wantPod := &corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: "shop", Name: "web-eshell-x7k2p"}
	if ev.Related == nil || *ev.Related != *wantPod {
		t.Errorf("related = %+v, want %+v", ev.Related, wantPod)
	}
	if !ev.EventTime.Time.Equal(started) {
		t.Errorf("eventTime = %v, want %v", ev.EventTime, started)
	}
	if warn.Len() != 0 {
		t.Errorf("unexpected warning: %q", warn.String())
	}
}

// An attach to a live session records its own pair of Events, beside the
// session's: named after the attach, saying who entered whose session.
func TestAttachEvents(t *testing.T) {
	for _, tc := range []struct {
		name, owner, start, end string
	}{
		{"own", "alice@example.com",
			"alice@example.com attached to the clone session x7k2p (command: bash) in pod web-eshell-x7k2p container web",
			"alice@example.com detached from the clone session x7k2p in pod web-eshell-x7k2p container web after 4m12s with exit code 3"},
		{"another user's", "bob",
			"alice@example.com attached to bob's clone session x7k2p (command: bash) in pod web-eshell-x7k2p container web",
			"alice@example.com detached from bob's clone session x7k2p in pod web-eshell-x7k2p container web after 4m12s with exit code 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientset()
			var warn bytes.Buffer
			s := testSession()
			s.Attach, s.Owner = "q3m9z", tc.owner
			newRecorder(c, &warn, started).Start(context.Background(), s)
			newRecorder(c, &warn, ended).End(context.Background(), s, 3, "")
			// The session's own Events keep their names.
			newRecorder(c, &warn, started).Start(context.Background(), testSession())
			start, end := getEvent(t, c, "web.x7k2p-attach-q3m9z-start"), getEvent(t, c, "web.x7k2p-attach-q3m9z-end")
			if start.Reason != ReasonStarted || start.Note != tc.start || start.Labels[keys.SessionLabel] != "x7k2p" {
				t.Errorf("start: reason %s, note %q, session label %q; want note %q", start.Reason, start.Note, start.Labels[keys.SessionLabel], tc.start)
			}
			if end.Reason != ReasonEnded || end.Note != tc.end {
				t.Errorf("end: reason %s, note %q; want %q", end.Reason, end.Note, tc.end)
			}
			getEvent(t, c, "web.x7k2p-start")
			if warn.Len() != 0 {
				t.Errorf("unexpected warning: %q", warn.String())
			}
		})
	}
}

func TestEndEvent(t *testing.T) {
	c := fake.NewClientset()
	var warn bytes.Buffer
	newRecorder(c, &warn, ended).End(context.Background(), testSession(), 0, "")

	ev := getEvent(t, c, "web.x7k2p-end")
	if ev.Reason != "EshellSessionEnded" || ev.Action != "End" || ev.Type != corev1.EventTypeNormal {
		t.Errorf("reason/action/type = %s/%s/%s, want EshellSessionEnded/End/Normal", ev.Reason, ev.Action, ev.Type)
	}
	if want := "alice@example.com ended a clone session in pod web-eshell-x7k2p container web after 4m12s with exit code 0"; ev.Note != want {
		t.Errorf("note = %q, want %q", ev.Note, want)
	}
	if !ev.EventTime.Time.Equal(ended) {
		t.Errorf("eventTime = %v, want %v", ev.EventTime, ended)
	}
	if ev.Regarding.Name != "web" || ev.Related == nil || ev.Related.Name != "web-eshell-x7k2p" {
		t.Errorf("regarding/related = %+v / %+v", ev.Regarding, ev.Related)
	}
}

func TestBeginRecordsStartThenTheExitCode(t *testing.T) {
	c := fake.NewClientset()
	var warn bytes.Buffer
	end := newRecorder(c, &warn, ended).Begin(context.Background(), testSession())
	end(&session.ExitError{Code: 3})
	getEvent(t, c, "web.x7k2p-start")
	if ev := getEvent(t, c, "web.x7k2p-end"); !strings.HasSuffix(ev.Note, "with exit code 3") || ev.Type != corev1.EventTypeNormal {
		t.Errorf("end event %q (%s), want exit code 3 as a normal end", ev.Note, ev.Type)
	}
}

func TestEndWithErrorIsWarning(t *testing.T) {
	c := fake.NewClientset()
	var warn bytes.Buffer
	s := testSession()
	s.Mode = "exec"
	newRecorder(c, &warn, ended).End(context.Background(), s, 137, ClassConnection)

	ev := getEvent(t, c, "web.x7k2p-end")
	if ev.Type != corev1.EventTypeWarning {
		t.Errorf("type = %q, want Warning", ev.Type)
	}
	if !strings.Contains(ev.Note, "an exec session") || !strings.HasSuffix(ev.Note, "with exit code 137: "+ClassConnection) {
		t.Errorf("note = %q, want the mode, exit code and error", ev.Note)
	}
}

// seenContext is the state of a write's context when the write was made.
type seenContext struct {
	err         error
	hasDeadline bool
}

// ctxEvents passes Event writes to the fake and remembers the context each
// write got, which the fake itself ignores.
type ctxEvents struct {
	eventsv1client.EventInterface
	seen *[]seenContext
}

func (e ctxEvents) Create(ctx context.Context, ev *eventsv1.Event, opts metav1.CreateOptions) (*eventsv1.Event, error) {
	_, ok := ctx.Deadline()
	*e.seen = append(*e.seen, seenContext{ctx.Err(), ok})
	return e.EventInterface.Create(ctx, ev, opts)
}

type ctxEventsV1 struct {
	eventsv1client.EventsV1Interface
	seen *[]seenContext
}

func (e ctxEventsV1) Events(namespace string) eventsv1client.EventInterface {
	return ctxEvents{e.EventsV1Interface.Events(namespace), e.seen}
}

type ctxClient struct {
	*fake.Clientset
	events ctxEventsV1
}

func (c ctxClient) EventsV1() eventsv1client.EventsV1Interface { return c.events }

var _ kubernetes.Interface = ctxClient{}

func TestEndRecordsAfterCancel(t *testing.T) {
	base := fake.NewClientset()
	var seen []seenContext
	c := ctxClient{Clientset: base, events: ctxEventsV1{base.EventsV1(), &seen}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C ended the session

	r := NewRecorder(c, &bytes.Buffer{})
	r.End(ctx, testSession(), 130, ClassInterrupted)
	if len(seen) != 1 {
		t.Fatalf("made %d writes, want 1", len(seen))
	}
	if err := seen[0].err; err != nil {
		t.Errorf("End wrote with a done context (%v); the end record would be lost", err)
	}
	if !seen[0].hasDeadline {
		t.Error("End wrote without a deadline; a hung API server would hang the exit")
	}
}

func TestForbiddenWarnsOnce(t *testing.T) {
	c := fake.NewClientset()
	calls := 0
	c.PrependReactor("create", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, "", errors.New(`user "alice" cannot create`))
	})
	var warn bytes.Buffer
	r := newRecorder(c, &warn, ended)
	r.Start(context.Background(), testSession())
	r.End(context.Background(), testSession(), 0, "")

	out := warn.String()
	if n := strings.Count(out, "\n"); n != 1 {
		t.Fatalf("printed %d warning lines, want 1:\n%s", n, out)
	}
	if !strings.HasPrefix(out, "warning: cannot record audit events (") ||
		!strings.HasSuffix(out, `); ask for "create events.events.k8s.io" or pass --no-audit`+"\n") {
		t.Errorf("warning = %q", out)
	}
	// A refused write will be refused again; End skips it.
	if calls != 1 {
		t.Errorf("made %d create calls, want 1", calls)
	}
}

// A transient failure (an API server that restarts) warns once, does not
// cost the end record, and the end is retried until it is written.
func TestOtherErrorsWarnOnceAndRetry(t *testing.T) {
	c := fake.NewClientset()
	calls := 0
	c.PrependReactor("create", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		if calls <= 3 { // the start, and the end's first two tries
			return true, nil, apierrors.NewServiceUnavailable("etcd is sulking")
		}
		return false, nil, nil
	})
	var warn bytes.Buffer
	r := newRecorder(c, &warn, ended)
	r.Start(context.Background(), testSession())
	began := time.Now()
	r.End(context.Background(), testSession(), 0, "")
	if n := strings.Count(warn.String(), "\n"); n != 1 || !strings.HasPrefix(warn.String(), "warning: cannot record audit events (") {
		t.Errorf("warning output = %q, want one warning line", warn.String())
	}
	if calls != 4 {
		t.Errorf("made %d create calls, want 4 (the start, the end tried three times)", calls)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the end took %s to be written after two refusals", took)
	}
}

func TestBarePod(t *testing.T) {
	s := testSession()
	s.Workload = corev1.ObjectReference{}
	s.Mode = "debug"
	ev := NewRecorder(nil, nil).event(s, ReasonStarted, ActionStart, corev1.EventTypeNormal, "start", "n")
	if ev.Regarding.Kind != "Pod" || ev.Regarding.Name != "web-eshell-x7k2p" || ev.Related != nil {
		t.Errorf("regarding/related = %+v / %+v, want the pod alone", ev.Regarding, ev.Related)
	}
	if ev.Name != "web-eshell-x7k2p.x7k2p-start" {
		t.Errorf("name = %q", ev.Name)
	}
}

func TestLimits(t *testing.T) {
	s := testSession()
	s.ID = "Not A Valid/Label"
	s.User = strings.Repeat("ü", 100) + "\x1b[31m" // 200 bytes plus a control sequence
	s.Workload.Name = strings.Repeat("w", 253)
	s.Command = []string{"sh", "-c", strings.Repeat("echo 'hi'; ", 200)}
	ev := NewRecorder(nil, nil).event(s, ReasonStarted, ActionStart, corev1.EventTypeNormal, "start",
		"x"+strings.Repeat("y", 2000))

	if errs := validation.IsDNS1123Subdomain(ev.Name); len(errs) > 0 {
		t.Errorf("name %q is invalid: %v", ev.Name, errs)
	}
	if !strings.HasSuffix(ev.Name, ".not-a-valid-label-start") {
		t.Errorf("name %q does not end in the sanitised session id", ev.Name)
	}
	if n := len(ev.ReportingInstance); n == 0 || n > 128 {
		t.Errorf("reportingInstance has %d bytes, want 1..128", n)
	}
	if strings.ContainsRune(ev.ReportingInstance, '\x1b') || !strings.HasPrefix(ev.ReportingInstance, "üü") {
		t.Errorf("reportingInstance = %q", ev.ReportingInstance)
	}
	if n := len(ev.Note); n > 1024 || !strings.HasSuffix(ev.Note, "...") {
		t.Errorf("note has %d bytes, want at most 1024 ending in ...", n)
	}
	if _, ok := ev.Labels[keys.SessionLabel]; ok {
		t.Errorf("invalid session id became a label value: %v", ev.Labels)
	}
	if got, want := ev.Annotations[keys.CommandAnnotation], "sh (2 arguments, not recorded)"; got != want {
		t.Errorf("command annotation %q, want %q", got, want)
	}

	s.User = ""
	if ev := NewRecorder(nil, nil).event(s, ReasonStarted, ActionStart, corev1.EventTypeNormal, "start", ""); ev.ReportingInstance != "unknown" {
		t.Errorf("reportingInstance for no user = %q, want unknown", ev.ReportingInstance)
	}
}

func TestEventNameWithoutSession(t *testing.T) {
	a, b := eventName("web", "", "start"), eventName("web", "", "start")
	if a == b {
		t.Errorf("names without a session id collide: %q", a)
	}
	for _, n := range []string{a, b} {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 || !strings.HasPrefix(n, "web.") {
			t.Errorf("name %q: %v", n, errs)
		}
	}
}

func TestCommandQuoting(t *testing.T) {
	got := shell.Quote([]string{"python", "manage.py", "shell", "--command=print(1)", "it's", ""})
	want := `python manage.py shell '--command=print(1)' 'it'\''s' ''`
	if got != want {
		t.Errorf("shell.Quote = %q, want %q", got, want)
	}
}

// Arguments may hold secrets: annotations and notes name the program and
// count the arguments unless the user opted in.
func TestCommandIsNotRecorded(t *testing.T) {
	const secret = "hunter2"
	cmd := []string{"psql", "postgres://app:" + secret + "@db/app"}
	for _, full := range []bool{false, true} {
		s := Session{ID: "s1", User: "alice", Mode: "clone", Namespace: "shop", Command: cmd, RecordCommand: full, Pod: "web-1"}
		client := fake.NewClientset()
		NewRecorder(client, nil).Start(context.Background(), s)
		l, err := client.EventsV1().Events("shop").List(context.Background(), metav1.ListOptions{})
		if err != nil || len(l.Items) != 1 {
			t.Fatalf("events %v, %v", l, err)
		}
		b, err := json.Marshal(l.Items[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), secret); got != full {
			t.Errorf("record %v: the Event holds the secret: %v\n%s", full, got, b)
		}
		if a := l.Items[0].Annotations[keys.CommandAnnotation]; !full && a != "psql (1 argument, not recorded)" {
			t.Errorf("annotation %q", a)
		}
	}
	for _, c := range []struct {
		cmd  []string
		want string
	}{
		{nil, "(shell)"},
		{[]string{"bash"}, "bash"},
		{[]string{"sh", "-c", "echo " + secret}, "sh (2 arguments, not recorded)"},
	} {
		if got := Describe(c.cmd, false); got != c.want {
			t.Errorf("Describe(%q) = %q, want %q", c.cmd, got, c.want)
		}
	}
}

// That the session is recorded (not where) and the reason are in the start
// Event's note; the reason is quoted and kept whole in its
// annotation; the end Event does not repeat it.
func TestReasonInStartEvent(t *testing.T) {
	c := fake.NewClientset()
	s := testSession()
	s.Reason = `INC-42 "cache" misses`
	s.Recorded = true
	r := newRecorder(c, nil, started)
	r.Start(context.Background(), s)
	r.End(context.Background(), s, 0, "")
	ev := getEvent(t, c, "web.x7k2p-start")
	if want := `container web, recorded by the client, reason: "INC-42 \"cache\" misses"`; !strings.HasSuffix(ev.Note, want) {
		t.Errorf("note %q does not end with %q", ev.Note, want)
	}
	if got := ev.Annotations[keys.ReasonAnnotation]; got != s.Reason {
		t.Errorf("annotations[reason] = %q, want %q", got, s.Reason)
	}
	end := getEvent(t, c, "web.x7k2p-end")
	if _, ok := end.Annotations[keys.ReasonAnnotation]; ok || strings.Contains(end.Note, "reason") {
		t.Errorf("end Event repeats the reason: %q %v", end.Note, end.Annotations)
	}
}

// The Event of `end` names who ended whose session, and says when its
// processes were not seen to end.
func TestTerminated(t *testing.T) {
	c := fake.NewClientset()
	s := testSession()
	s.User, s.Owner = "bob", "alice@example.com"
	r := newRecorder(c, &bytes.Buffer{}, ended)
	r.Terminated(context.Background(), s, true)
	r.Terminated(context.Background(), s, false)
	list, err := c.EventsV1().Events("shop").List(context.Background(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 2 {
		t.Fatalf("events %v, %v", list, err)
	}
	for _, ev := range list.Items {
		if ev.Reason != ReasonTerminated || !strings.HasPrefix(ev.Note, "bob ended alice@example.com's clone session x7k2p") || ev.Regarding.Name != "web" {
			t.Errorf("event %s: %s %q regarding %v", ev.Name, ev.Reason, ev.Note, ev.Regarding)
		}
		if (ev.Type == corev1.EventTypeWarning) != strings.Contains(ev.Note, "not yet seen to end") {
			t.Errorf("event %s: type %s with note %q", ev.Name, ev.Type, ev.Note)
		}
	}
}
