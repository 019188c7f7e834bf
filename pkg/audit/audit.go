// Package audit leaves a trace of every eshell session in the cluster: an
// events.k8s.io/v1 Event on the workload when a session starts and another
// when it ends.
//
// The API server's audit log already records the raw requests, but few teams
// can read it, and it shows a pod exec or an anonymous clone pod, not "alice
// opened a shell next to deployment/web". Events are visible to everyone who
// can `kubectl describe` the workload, so that is where the trace goes.
//
// Recording is best-effort: a session must never fail because its Event could
// not be written, so errors become a single warning line.
package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Event reasons and actions; consumers filter on the reasons, so they are a
// contract like the names in package keys.
const (
	ReasonStarted    = "EshellSessionStarted"
	ReasonEnded      = "EshellSessionEnded"
	ReasonTerminated = "EshellSessionTerminated"
	ActionStart      = "Start"
	ActionEnd        = "End"
	ActionTerminate  = "Terminate"

	// ReportingController names eshell as the reporter. The API server
	// requires a qualified name here.
	ReportingController = keys.ManagedByValue
)

// Limits the API server enforces on events.k8s.io/v1 Events.
const (
	maxReportingInstance = 128
	maxNote              = 1024
	maxName              = validation.DNS1123SubdomainMaxLength
)

// writeTimeout bounds each Event write: the session should not wait on a slow
// API server for a record nobody is waiting for.
const writeTimeout = 5 * time.Second

// Session describes one eshell session as the audit Events report it.
type Session struct {
	// ID is the session id, also carried by the clone pod's keys.SessionLabel.
	ID string
	// User is the authenticated user (from SelfSubjectReview).
	User      string
	Mode      mode.Mode
	Namespace string
	// Command is what runs in the container; empty means its default shell.
	Command []string
	// RecordCommand records Command's arguments too (see Describe).
	RecordCommand bool
	// Workload is the object the session was opened next to (Kind, Name,
	// Namespace, UID, APIVersion). If Name is empty the pod is used instead.
	Workload corev1.ObjectReference
	// Pod and Container are where the shell runs: the clone pod, or the
	// running pod for debug and exec.
	Pod, Container string
	// Started is when the session began; End reports the time since.
	Started time.Time
	// Attach is set when User re-entered the live session ID with
	// `kubectl eshell attach`: the id of that attach. The Events then say
	// "attached to" and "detached from", and are named after it, since the
	// session's own start and end Events hold the session's names.
	Attach string
	// Owner is who started the session, when an attach is by someone else
	// (--all-users); the Events name both.
	Owner string
	// Reason is why the session was opened (--reason); the start Event
	// quotes it and carries it as keys.ReasonAnnotation.
	Reason string
	// Recorded: the client records the session (--record); the start
	// Event says so, not where the file is.
	Recorded bool
}

// Recorder writes session Events. It is safe for concurrent use.
type Recorder struct {
	client kubernetes.Interface
	warn   io.Writer

	// Now returns the current time; tests replace it.
	Now func() time.Time

	mu sync.Mutex
	// warned is set once a warning was printed, so a session prints at most one.
	warned bool
	// forbidden is set after the API server refused an Event; later writes
	// would be refused too, so they are skipped rather than slowing the
	// end of the session.
	forbidden bool
}

// NewRecorder returns a Recorder that writes Events with c and prints
// warnings to warn (typically stderr). A nil warn discards warnings.
func NewRecorder(c kubernetes.Interface, warn io.Writer) *Recorder {
	if warn == nil {
		warn = io.Discard
	}
	return &Recorder{client: c, warn: warn, Now: time.Now}
}

// Start records that session s has started.
func (r *Recorder) Start(ctx context.Context, s Session) {
	note := fmt.Sprintf("%s started %s session", displayUser(s.User), withArticle(string(s.Mode)))
	if s.Attach != "" {
		note = fmt.Sprintf("%s attached to %s", displayUser(s.User), s.sessionOf())
	}
	if len(s.Command) > 0 {
		note += " (command: " + Describe(s.Command, s.RecordCommand) + ")"
	}
	note += where(s)
	if s.Recorded {
		note += ", recorded by the client"
	}
	if s.Reason != "" {
		note += fmt.Sprintf(", reason: %q", s.Reason)
	}
	r.record(ctx, s, ReasonStarted, ActionStart, corev1.EventTypeNormal, s.suffix("start"), note)
}

// sessionOf names the session an attach entered: "alice's clone session
// x7k2p", or "the clone session x7k2p" when it is the user's own.
func (s Session) sessionOf() string {
	whose := "the"
	if s.Owner != "" && s.Owner != s.User {
		whose = displayUser(s.Owner) + "'s"
	}
	return fmt.Sprintf("%s %s session %s", whose, s.Mode, s.ID)
}

// suffix ends the Event's name: "start" or "end" for the session itself,
// "attach-<id>-start" for an attach, whose session already has the former.
func (s Session) suffix(what string) string {
	if s.Attach != "" {
		return "attach-" + dnsSafe(s.Attach, false) + "-" + what
	}
	return what
}

// Begin records the start of s alongside the session rather than before
// it, and returns what records its end with the session's error: the exit
// code of a *session.ExitError, 1 for any other error. The end waits for the
// start, so the two Events stay in order.
func (r *Recorder) Begin(ctx context.Context, s Session) (end func(error)) {
	started := make(chan struct{})
	go func() {
		defer close(started)
		r.Start(context.WithoutCancel(ctx), s)
	}()
	return func(err error) {
		<-started
		code := 0
		var ee *session.ExitError
		if errors.As(err, &ee) {
			code, err = ee.Code, nil
		} else if err != nil {
			code = 1
		}
		class := Class(ctx, err)
		if class == "" && ctx.Err() != nil {
			// Ctrl+C or --max-duration ended the stream, which may then
			// return no error (or the killed process's exit code): the
			// session was still cut short, and the record says so.
			class = Class(ctx, ctx.Err())
		}
		r.End(ctx, s, code, class)
	}
}

// End records that session s has ended with exitCode, and class (see
// Class) if the session failed; a failed session is reported as a Warning
// Event. The class is all of a failure the Event holds: never the error's
// text, which may carry the user's command.
func (r *Recorder) End(ctx context.Context, s Session, exitCode int, class string) {
	// The session's context is often cancelled by now (Ctrl-C, --max-duration),
	// and the end of a session is the record an auditor needs most.
	ctx = context.WithoutCancel(ctx)

	note := fmt.Sprintf("%s ended %s session%s", displayUser(s.User), withArticle(string(s.Mode)), where(s))
	if s.Attach != "" {
		note = fmt.Sprintf("%s detached from %s%s", displayUser(s.User), s.sessionOf(), where(s))
	}
	if !s.Started.IsZero() {
		note += " after " + roundDuration(r.Now().Sub(s.Started)).String()
	}
	note += fmt.Sprintf(" with exit code %d", exitCode)
	eventType := corev1.EventTypeNormal
	if class != "" {
		eventType = corev1.EventTypeWarning
		note += ": " + class
	}
	r.record(ctx, s, ReasonEnded, ActionEnd, eventType, s.suffix("end"), note)
}

// Terminated records that s.User ended the session s.ID of s.Owner with
// `kubectl eshell end`, and whether its processes were seen to end
// (confirmed) or only asked to. The Event names both users.
func (r *Recorder) Terminated(ctx context.Context, s Session, confirmed bool) {
	whose := "their own"
	if s.Owner != "" && s.Owner != s.User {
		whose = displayUser(s.Owner) + "'s"
	}
	note := fmt.Sprintf("%s ended %s %s session %s%s", displayUser(s.User), whose, s.Mode, s.ID, where(s))
	eventType := corev1.EventTypeNormal
	if !confirmed {
		eventType = corev1.EventTypeWarning
		note += "; its processes were not yet seen to end"
	}
	// Each end gets its own Event: a second `end` of the same session (the
	// first one unconfirmed) is recorded too.
	r.record(context.WithoutCancel(ctx), s, ReasonTerminated, ActionTerminate, eventType, "terminate-"+session.NewID(), note)
}

func (r *Recorder) record(ctx context.Context, s Session, reason, action, eventType, suffix, note string) {
	r.mu.Lock()
	skip := r.forbidden
	r.mu.Unlock()
	if skip {
		return
	}

	ev := r.event(s, reason, action, eventType, suffix, note)
	create := func(ctx context.Context) error {
		_, err := r.client.EventsV1().Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{})
		return err
	}
	var err error
	if action == ActionEnd {
		// An API server that restarts must not leave a start without an
		// end: the end is retried as long as the session's cleanup is.
		cctx, cancel := session.CleanupContext()
		defer cancel()
		err = session.Retry(cctx, create, nil)
	} else {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		err = create(wctx)
	}
	if err != nil {
		r.warnOnce(err)
	}
}

// event builds the Event; it is separate from record so tests can check
// names and limits without a client.
func (r *Recorder) event(s Session, reason, action, eventType, suffix, note string) *eventsv1.Event {
	var pod *corev1.ObjectReference
	if s.Pod != "" {
		pod = &corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: s.Namespace, Name: s.Pod}
	}

	regarding := s.Workload
	if regarding.Namespace == "" {
		regarding.Namespace = s.Namespace
	}
	related := pod
	switch {
	case regarding.Name == "" && pod != nil:
		// A bare pod has no workload; the Event is about the pod itself.
		regarding, related = *pod, nil
	case pod != nil && regarding.Kind == "Pod" && regarding.Name == pod.Name:
		related = nil
	}

	namespace := s.Namespace
	if namespace == "" {
		namespace = regarding.Namespace
	}

	labels := map[string]string{keys.ManagedByLabel: keys.ManagedByValue}
	// An invalid label value would make the API server reject the whole
	// Event, and the session id is only a convenience for selecting it.
	if s.ID != "" && len(validation.IsValidLabelValue(s.ID)) == 0 {
		labels[keys.SessionLabel] = s.ID
	}
	// The note and reportingInstance are shortened to fit the API's limits;
	// annotations keep the full user and command for whoever audits.
	annotations := map[string]string{}
	if s.User != "" {
		annotations[keys.UserAnnotation] = s.User
	}
	if len(s.Command) > 0 {
		annotations[keys.CommandAnnotation] = Describe(s.Command, s.RecordCommand)
	}
	if s.Reason != "" && action == ActionStart {
		annotations[keys.ReasonAnnotation] = s.Reason
	}

	return &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:        eventName(regarding.Name, s.ID, suffix),
			Namespace:   namespace,
			Labels:      labels,
			Annotations: annotations,
		},
		EventTime:           metav1.NewMicroTime(r.Now()),
		ReportingController: ReportingController,
		ReportingInstance:   reportingInstance(s.User),
		Action:              action,
		Reason:              reason,
		Regarding:           regarding,
		Related:             related,
		Note:                truncate(note, maxNote),
		Type:                eventType,
	}
}

// Describe is how annotations and Events record a command: the program and
// the number of its arguments, never their values, which may hold a
// password (psql postgres://app:secret@db) that anyone who may read pods or
// Events would see. With full, the user opted in to the whole command line,
// shell-quoted. An empty command is the shell.
func Describe(command []string, full bool) string {
	switch {
	case len(command) == 0:
		return "(shell)"
	case full:
		return shell.Quote(command)
	case len(command) == 1:
		return shell.Quote(command[:1])
	case len(command) == 2:
		return shell.Quote(command[:1]) + " (1 argument, not recorded)"
	}
	return fmt.Sprintf("%s (%d arguments, not recorded)", shell.Quote(command[:1]), len(command)-1)
}

// warnOnce prints one warning per Recorder, however many writes fail: the
// user needs to know the trace is missing, not be told twice per session.
func (r *Recorder) warnOnce(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if apierrors.IsForbidden(err) {
		r.forbidden = true
	}
	if r.warned {
		return
	}
	r.warned = true
	switch {
	case apierrors.IsForbidden(err):
		fmt.Fprintf(r.warn, "warning: cannot record audit events (%v); ask for \"create events.events.k8s.io\" or pass --no-audit\n", err)
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(r.warn, "warning: cannot record audit events (%v); the API server is slow, the session continues without them\n", err)
	default:
		fmt.Fprintf(r.warn, "warning: cannot record audit events (%v); the session continues without them, pass --no-audit to stop trying\n", err)
	}
}

// eventName builds `<object>.<session>-<suffix>`, a valid DNS subdomain of at
// most 253 characters. Event names only need to be unique in the namespace;
// the session id makes them so and lets `kubectl get events` sort a
// session's pair together.
func eventName(object, session, suffix string) string {
	id := dnsSafe(session, false)
	if len(id) > 63 {
		id = strings.Trim(id[:63], "-")
	}
	if id == "" {
		// Without an id the names of two sessions would collide.
		id = utilrand.String(10)
	}
	tail := "." + id + "-" + suffix
	obj := dnsSafe(object, true)
	if room := maxName - len(tail); len(obj) > room {
		obj = strings.TrimRight(obj[:room], "-.")
	}
	if obj == "" {
		obj = "eshell"
	}
	return obj + tail
}

// dnsSafe lowercases s and replaces what a DNS subdomain cannot hold with
// '-', keeping dots only if allowDots. Leading and trailing separators are
// trimmed because names must start and end alphanumerically.
func dnsSafe(s string, allowDots bool) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			b.WriteRune(c)
		case c == '.' && allowDots:
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-.")
}

// reportingInstance turns the user name into a reportingInstance: non-empty,
// at most 128 bytes and free of control characters, which the API server
// would accept but which garble `kubectl get events` output.
func reportingInstance(user string) string {
	s := strings.TrimSpace(strings.Map(func(c rune) rune {
		if unicode.IsControl(c) || c == utf8.RuneError {
			return -1
		}
		return c
	}, user))
	s = truncateBytes(s, maxReportingInstance)
	if s == "" {
		return "unknown"
	}
	return s
}

func displayUser(user string) string {
	if user == "" {
		return "an unknown user"
	}
	return user
}

// where names the pod and container the shell runs in, when known.
func where(s Session) string {
	var out string
	if s.Pod != "" {
		out += " in pod " + s.Pod
	}
	if s.Container != "" {
		out += " container " + s.Container
	}
	return out
}

// withArticle reads "a clone session" but "an exec session".
func withArticle(mode string) string {
	if mode == "" {
		return "a"
	}
	if strings.ContainsRune("aeiou", rune(mode[0])) {
		return "an " + mode
	}
	return "a " + mode
}

// roundDuration drops precision nobody reads in an audit trail.
func roundDuration(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// truncate shortens s to at most n bytes, marking the cut with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return truncateBytes(s, n-3) + "..."
}

// truncateBytes cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
