// Package custom is `--custom FILE` and `--run-as`: the user's own changes to
// the container eshell builds for a debug or clone session, with the
// semantics of `kubectl debug --custom` (KEP-4292): the file is a partial
// container spec, merged over the built container as a strategic merge
// patch once everything else (the profile, the template) is in place.
//
// It is pure: the file is read by the caller and parsed once, into typed
// fields; the engines apply the result and, when the API server refuses
// the container, Blame names the field the user set that it refused.
package custom

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/pkg/mode"
)

// Spec is what --custom and --run-as ask of the session's container. The
// zero Spec (and a nil one) changes nothing.
type Spec struct {
	// File is the --custom file as given, to name it in messages; "" for
	// none.
	File string
	// Fields are the file's fields as written (decoded from JSON or YAML),
	// the patch itself: a field set to null there removes it, as in any
	// strategic merge patch, which a typed value could not tell from an
	// unset one. Nil without --custom.
	Fields map[string]any
	// Container is the same file, typed: it has been checked to be a valid
	// container spec. Nil without --custom.
	Container *corev1.Container
	// User is --run-as.
	User User
}

// User is --run-as: a uid, or the target's own user.
type User struct {
	// Given is whether --run-as was passed at all.
	Given bool
	// UID is the uid to run as, unless Target.
	UID int64
	// Target runs as the user of the target container (debug) or of the
	// template (clone), whichever the cluster sets.
	Target bool
}

// Empty reports whether s changes nothing.
func (s *Spec) Empty() bool {
	return s == nil || (s.Fields == nil && !s.User.Given)
}

// ParseUser reads --run-as: a uid, root (0) or target.
func ParseUser(v string) (User, error) {
	switch v = strings.TrimSpace(v); strings.ToLower(v) {
	case "root":
		return User{Given: true, UID: 0}, nil
	case "target":
		return User{Given: true, Target: true}, nil
	}
	uid, err := strconv.ParseInt(v, 10, 64)
	// The API server takes uids of 0 to 2^31-1 (validation of runAsUser).
	if err != nil || uid < 0 || uid > 1<<31-1 {
		return User{}, fmt.Errorf("--run-as %q is not a user: give a numeric uid (0 to 2147483647), root or target (the target container's own user)", v)
	}
	return User{Given: true, UID: uid}, nil
}

// Parse reads a --custom file's content: one partial container spec, in
// JSON or YAML. Unlike kubectl, a field name it does not know is refused,
// not dropped: a misspelt securityContext would otherwise change nothing,
// silently.
func Parse(file string, data []byte) (*Spec, error) {
	hint := "it must hold one partial container spec, e.g. securityContext: {capabilities: {add: [NET_ADMIN]}}"
	var shape any
	if err := yaml.Unmarshal(data, &shape); err != nil {
		return nil, fmt.Errorf("--custom %s is neither JSON nor YAML (%s): fix the file; %s", file, strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "), hint)
	}
	fields, ok := shape.(map[string]any)
	if !ok {
		what := "empty"
		if shape != nil {
			what = fmt.Sprintf("a %T, not a mapping of container fields", shape)
		}
		return nil, fmt.Errorf("--custom %s is %s: %s", file, what, hint)
	}
	c := &corev1.Container{}
	if err := yaml.UnmarshalStrict(data, c); err != nil {
		return nil, fmt.Errorf("--custom %s is not a valid container spec: %s: fix that field (field names are the Pod API's, as kubectl explain pod.spec.containers lists them); %s",
			file, strings.TrimPrefix(err.Error(), "error unmarshaling JSON: while decoding JSON: "), hint)
	}
	return &Spec{File: file, Fields: fields, Container: c}, nil
}

// WithUser adds --run-as to s (nil: no --custom), refusing a field both
// set, by name, since which one should win is the user's call.
func (s *Spec) WithUser(u User) (*Spec, error) {
	out := &Spec{User: u}
	if s != nil {
		out.File, out.Fields, out.Container = s.File, s.Fields, s.Container
	}
	if out.Container == nil || !u.Given || out.Container.SecurityContext == nil {
		return out, nil
	}
	sc := out.Container.SecurityContext
	if sc.RunAsUser != nil {
		return nil, fmt.Errorf("securityContext.runAsUser is set both by --custom %s (%d) and by --run-as: drop one of them", out.File, *sc.RunAsUser)
	}
	if !u.Target && u.UID == 0 && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot {
		return nil, fmt.Errorf("--run-as root needs securityContext.runAsNonRoot=false, and --custom %s sets it to true: drop one of them", out.File)
	}
	return out, nil
}

// fieldRule is why a top-level container field may not be set in a mode.
type fieldRule struct {
	modes []mode.Mode
	why   string
}

// forbidden are the container fields --custom may not set, by their JSON
// names. The first five are kubectl debug's own refusals; the rest keep
// eshell's lifeline (the container's command, holding stdin) working, or
// are what the API server refuses for ephemeral containers.
var forbidden = map[string]fieldRule{
	"name":               {both, "eshell names the container so later sessions and gc find it"},
	"image":              {both, "the image comes from --image (debug) or the template and --set-image (clone)"},
	"command":            {both, "eshell runs its lifeline as the command, which ends the container when this client goes; the shell's command goes after --"},
	"args":               {both, "they would be passed to eshell's lifeline, which ends the container when this client goes; the shell's command goes after --"},
	"stdin":              {both, "the lifeline reads stdin to know this client is alive"},
	"stdinOnce":          {both, "the lifeline reads stdin to know this client is alive"},
	"tty":                {both, "a terminal is chosen per session with -t, for the command run beside the lifeline"},
	"lifecycle":          {both, "hooks act on the workload's behalf, not a shell's"},
	"volumeDevices":      {both, "kubectl debug --custom refuses them too: devices come from the pod's claims"},
	"ports":              {debugOnly, "ephemeral containers may not have ports"},
	"resources":          {debugOnly, "ephemeral containers may not have resources (they use the pod's); use --mode clone with --requests or --limits"},
	"resizePolicy":       {debugOnly, "ephemeral containers may not have a resize policy"},
	"restartPolicy":      {debugOnly, "ephemeral containers are never restarted"},
	"restartPolicyRules": {debugOnly, "ephemeral containers are never restarted"},
	"readinessProbe":     {debugOnly, "ephemeral containers may not have probes"},
	"livenessProbe":      {both, "the container runs eshell's lifeline and the shell, not the app: the probe would fail and the kubelet would kill the session"},
	"startupProbe":       {both, "the container runs eshell's lifeline and the shell, not the app: the probe would fail and the kubelet would kill the session"},
}

var (
	both      = []mode.Mode{mode.Debug, mode.Clone}
	debugOnly = []mode.Mode{mode.Debug}
)

// Check refuses the fields of the file that cannot apply in m, naming
// each and why.
func (s *Spec) Check(m mode.Mode) error {
	if s.Empty() {
		return nil
	}
	if m != mode.Debug && m != mode.Clone {
		return fmt.Errorf("--custom and --run-as shape the container of --mode debug or clone, and this session runs in --mode %s: drop them, or pass --mode debug or --mode clone", m)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Fields)) {
		if r, ok := forbidden[name]; ok && slices.Contains(r.modes, m) {
			what := "in --mode " + string(m)
			if len(r.modes) == 2 {
				what = "by --custom"
			}
			return fmt.Errorf("--custom %s sets %s, which cannot be changed %s: %s; remove it from the file", s.File, name, what, r.why)
		}
	}
	return nil
}

// NeedsTargetUser reports whether --run-as target asks for the target's
// user, which only the caller can read from the pod or template.
func (s *Spec) NeedsTargetUser() bool {
	return s != nil && s.User.Given && s.User.Target
}

// patch is the strategic merge patch of a container that s stands for:
// the file's fields, then --run-as's. targetUID is the user --run-as target
// stands for; nil when the cluster names none, and then --run-as target
// changes nothing (the caller refuses that where it matters).
func (s *Spec) patch(targetUID *int64) ([]byte, error) {
	// A copy: the user's fields are set into it below.
	var p map[string]any
	if err := remarshal(s.Fields, &p); err != nil {
		return nil, err
	}
	if p == nil {
		p = map[string]any{}
	}
	if uid, ok := s.uid(targetUID); ok {
		sc, _ := p["securityContext"].(map[string]any)
		if sc == nil {
			sc = map[string]any{}
			p["securityContext"] = sc
		}
		sc["runAsUser"] = uid
		if uid == 0 {
			// A pod or a profile that asks for runAsNonRoot would make the
			// kubelet refuse to start a root container: the container's
			// own setting wins over the pod's.
			sc["runAsNonRoot"] = false
		}
	}
	return json.Marshal(p)
}

func (s *Spec) uid(targetUID *int64) (int64, bool) {
	switch {
	case !s.User.Given:
		return 0, false
	case s.User.Target:
		if targetUID == nil {
			return 0, false
		}
		return *targetUID, true
	default:
		return s.User.UID, true
	}
}

// ApplyContainer merges s over c, as `kubectl debug --custom` merges its
// file over the container it built: lists with a merge key (env by name,
// volumeMounts by mountPath, ports) are merged, everything else replaced.
func (s *Spec) ApplyContainer(c *corev1.Container, targetUID *int64) error {
	if s.Empty() {
		return nil
	}
	return s.apply(c, targetUID)
}

// ApplyEphemeral is ApplyContainer for an ephemeral container, whose
// fields are a container's by the same JSON names.
func (s *Spec) ApplyEphemeral(ec *corev1.EphemeralContainerCommon, targetUID *int64) error {
	if s.Empty() {
		return nil
	}
	return s.apply(ec, targetUID)
}

func (s *Spec) apply(dst any, targetUID *int64) error {
	p, err := s.patch(targetUID)
	if err != nil {
		return err
	}
	orig, err := json.Marshal(dst)
	if err != nil {
		return err
	}
	merged, err := strategicpatch.StrategicMergePatch(orig, p, corev1.Container{})
	if err != nil {
		return fmt.Errorf("merging %s into the container: %w; fix the file", s.source(), err)
	}
	// Decoded into a zeroed value: a field the patch removed (null) must
	// not survive from what dst held.
	switch d := dst.(type) {
	case *corev1.Container:
		*d = corev1.Container{}
	case *corev1.EphemeralContainerCommon:
		*d = corev1.EphemeralContainerCommon{}
	}
	if err := json.Unmarshal(merged, dst); err != nil {
		return fmt.Errorf("merging %s into the container: %w; fix the file", s.source(), err)
	}
	return nil
}

func (s *Spec) source() string {
	if s.File != "" {
		return "--custom " + s.File
	}
	return "--run-as"
}

// Field is one value the user set, for messages.
type Field struct {
	// Path is the field's JSON path in the container, e.g.
	// securityContext.capabilities.add.
	Path string
	// Value is the value as JSON, e.g. ["NET_ADMIN"].
	Value string
	// By is what set it: "--custom FILE" or "--run-as".
	By string
}

func (f Field) String() string {
	return fmt.Sprintf("%s=%s set by %s", f.Path, f.Value, f.By)
}

// Set lists every value s sets, by path; targetUID as for the patch.
func (s *Spec) Set(targetUID *int64) []Field {
	if s.Empty() {
		return nil
	}
	var out []Field
	out = flatten("", s.Fields, "--custom "+s.File, out)
	if uid, ok := s.uid(targetUID); ok {
		out = append(out, Field{Path: "securityContext.runAsUser", Value: strconv.FormatInt(uid, 10), By: "--run-as"})
		if uid == 0 {
			out = append(out, Field{Path: "securityContext.runAsNonRoot", Value: "false", By: "--run-as"})
		}
	}
	return out
}

// flatten walks a decoded JSON object down to its leaves: a list is one
// leaf, as a strategic merge patch treats it as one value.
func flatten(prefix string, m map[string]any, by string, out []Field) []Field {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
			out = flatten(path, sub, by, out)
			continue
		}
		v, _ := json.Marshal(m[k])
		out = append(out, Field{Path: path, Value: string(v), By: by})
	}
	return out
}

// Named returns the fields of fields that text (a refusal) speaks of: a
// securityContext field by its name below securityContext (Pod Security
// writes "runAsUser=0", "securityContext.capabilities.add"), any other by
// its whole path.
func Named(text string, fields []Field) []Field {
	var out []Field
	for _, f := range fields {
		key := strings.TrimPrefix(f.Path, "securityContext.")
		if strings.Contains(text, key) {
			out = append(out, f)
		}
	}
	return out
}

// Blame adds to an API server's refusal (Forbidden or Invalid) which of
// the fields the user set it speaks of, so the user knows what to change.
// Any other error, and a refusal that names none of them, is returned as
// it is.
func (s *Spec) Blame(err error, targetUID *int64) error {
	if err == nil || s.Empty() || !(apierrors.IsForbidden(err) || apierrors.IsInvalid(err)) {
		return err
	}
	named := Named(err.Error(), s.Set(targetUID))
	if len(named) == 0 {
		return err
	}
	return fmt.Errorf("%s %s refused: %w; change or drop %s", Join(named), isAre(named), err, those(named))
}

// Join lists fields for a message.
func Join(fields []Field) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.String()
	}
	return strings.Join(parts, ", ")
}

func isAre(fields []Field) string {
	if len(fields) == 1 {
		return "is"
	}
	return "are"
}

func those(fields []Field) string {
	if len(fields) == 1 {
		return "it"
	}
	return "them"
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
