// Package redact keeps the arguments of the user's command, which may hold
// secrets, out of -v logs and --dry-run output.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Mark replaces a command argument in -v logs and --dry-run output.
const Mark = "[redacted]"

// minSecret is the shortest argument that is redacted: shorter ones (-c,
// ls, /) are flags and paths, and replacing them everywhere would garble
// every log line while hiding nothing.
const minSecret = 4

// Redactor hides the arguments of the user's command, in every form they
// take on the wire, behind "[redacted]". Arguments may hold secrets (psql
// postgres://app:pw@db), and -v=6 and up log the URLs and bodies of the
// requests that carry them.
//
// It is correct by construction rather than by ordering: every occurrence
// of every form is found in the original text first, overlapping and
// adjacent ones are merged, and each merged stretch becomes one mark. An
// argument that is a prefix or a part of another ("postgres" in
// "postgres://postgres:pw@db") therefore cannot leave the rest of the
// longer one behind, whatever order the arguments came in.
type Redactor struct {
	forms []string // longest first, each at least one byte
}

// Replacer returns the Redactor of args: those of minSecret bytes or more,
// in every form of Forms.
func Replacer(args []string) *Redactor {
	return newRedactor(secretForms(args), nil)
}

// newRedactor redacts every form of secrets (see Forms) and the exact
// strings of extra.
func newRedactor(secrets, extra []string) *Redactor {
	seen := map[string]bool{}
	var forms []string
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			forms = append(forms, f)
		}
	}
	for _, s := range secrets {
		for _, f := range Forms(s) {
			add(f)
		}
	}
	for _, f := range extra {
		add(f)
	}
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return &Redactor{forms: forms}
}

// Forms are the ways secret appears in a log line or a printed object: as
// typed; URL-query- and path-escaped (an exec request's URL); JSON- and
// Go-quoted (request bodies, logged values); shell-quoted (a start
// script); hex-encoded in either case; and base64-encoded at each of the
// three alignments it may have inside a longer encoded body, keeping only
// the characters that depend on the secret alone.
func Forms(secret string) []string {
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), shell.Word(secret),
		strings.Trim(strconv.Quote(secret), `"`), hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret)))}
	if b, err := json.Marshal(secret); err == nil {
		forms = append(forms, strings.Trim(string(b), `"`))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(secret)))
		for k := range 3 {
			forms = append(forms, base64Inner(enc, secret, k))
		}
	}
	return forms
}

// base64Inner is the part of the base64 encoding of secret, preceded by k
// other bytes, that the other bytes do not touch: characters from the
// first whose 6 bits all belong to secret to the last.
func base64Inner(enc *base64.Encoding, secret string, k int) string {
	full := enc.EncodeToString(append(make([]byte, k), secret...))
	from, to := (8*k+5)/6, 8*(k+len(secret))/6
	if to <= from {
		return ""
	}
	return full[from:to]
}

// Replace returns s with every stretch that holds a form of a secret
// replaced by Mark. A nil Redactor returns s.
func (r *Redactor) Replace(s string) string {
	if r == nil || len(r.forms) == 0 {
		return s
	}
	var covered []bool
	for _, f := range r.forms {
		for from := 0; from <= len(s)-len(f); {
			i := strings.Index(s[from:], f)
			if i < 0 {
				break
			}
			if covered == nil {
				covered = make([]bool, len(s))
			}
			for k := from + i; k < from+i+len(f); k++ {
				covered[k] = true
			}
			from += i + 1
		}
	}
	if covered == nil {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if !covered[i] {
			b.WriteByte(s[i])
			continue
		}
		b.WriteString(Mark)
		for i+1 < len(s) && covered[i+1] {
			i++
		}
	}
	return b.String()
}

// secretForms are the arguments worth redacting, as typed and as they
// reach a container's command (every $ doubled).
func secretForms(args []string) []string {
	var out []string
	for _, a := range args {
		if len(a) >= minSecret {
			out = append(out, a, shell.ContainerArgv([]string{a})[0])
		}
	}
	return out
}

// hexDumpBytes reads back the bytes of a hex.Dump, which is how client-go
// logs a protobuf body: a secret in it is spread over hex pairs and a
// 16-byte text column, where no string replacement can find it. A body
// cut short by client-go ("[truncated N chars]", possibly mid-line) gives
// the bytes up to the cut.
func hexDumpBytes(s string) ([]byte, bool) {
	if i := strings.LastIndex(s, " [truncated "); i >= 0 {
		s = s[:i]
	}
	var out []byte
	for line := range strings.SplitSeq(strings.TrimRight(s, "\n"), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || len(fields[0]) != 8 {
			return nil, false
		}
		for _, f := range fields[1:] {
			b, err := hex.DecodeString(f)
			if err != nil || len(b) != 1 {
				break // the text column, or the cut
			}
			out = append(out, b[0])
		}
	}
	return out, len(out) > 0
}

// holds reports whether body carries secret, or ends in its first
// minSecret or more bytes (cut short in the log).
func holds(body []byte, secret string) bool {
	if bytes.Contains(body, []byte(secret)) {
		return true
	}
	for i := len(secret) - 1; i >= minSecret; i-- {
		if bytes.HasSuffix(body, []byte(secret[:i])) {
			return true
		}
	}
	return false
}

// sink is klog's output at -v levels, as one line per message in
// klog's manner, passed through a Redactor. klog hands every line to the
// logger set with klog.SetLogger, client-go's request logs included.
type sink struct {
	mu      *sync.Mutex
	out     io.Writer
	r       *Redactor
	secrets []string // the raw forms, for bodies logged as hex dumps
	name    string
	values  []any
}

// Logger is a klog logger that writes to out with args, the command's,
// and values, those of --set-env, redacted. A value is redacted however
// short it is: the bodies that carry it (the env Secret's, in protobuf or
// with its data base64-encoded in JSON) are hidden whole, and a short value
// hides some other bodies too, which costs a debug log detail, not a
// secret.
func Logger(out io.Writer, args, values []string) logr.Logger {
	secrets := secretForms(append(slices.Clone(args), values...))
	var extra []string
	hexed := secretForms(args)
	for _, v := range values {
		if v != "" {
			extra = append(extra, base64.StdEncoding.EncodeToString([]byte(v)))
			hexed = append(hexed, v)
		}
	}
	return logr.New(&sink{mu: &sync.Mutex{}, out: out, r: newRedactor(secrets, extra), secrets: hexed})
}

// value formats one logged value; a hex dump that holds a secret is
// replaced whole.
func (s *sink) value(v any) string {
	str := fmt.Sprint(v)
	if b, ok := hexDumpBytes(str); ok {
		for _, secret := range s.secrets {
			if holds(b, secret) {
				return fmt.Sprintf("%s (a body of %d bytes that carries the command's arguments or --set-env values)", Mark, len(b))
			}
		}
	}
	return str
}

func (s *sink) Init(logr.RuntimeInfo) {}

// Enabled is true: klog has already checked -v before it calls the sink.
func (s *sink) Enabled(int) bool { return true }

func (s *sink) Info(_ int, msg string, kv ...any) { s.write("I", msg, nil, kv) }

func (s *sink) Error(err error, msg string, kv ...any) { s.write("E", msg, err, kv) }

func (s *sink) WithValues(kv ...any) logr.LogSink {
	c := *s
	c.values = append(append([]any{}, s.values...), kv...)
	return &c
}

func (s *sink) WithName(name string) logr.LogSink {
	c := *s
	if c.name != "" {
		name = c.name + "/" + name
	}
	c.name = name
	return &c
}

func (s *sink) write(severity, msg string, err error, kv []any) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s] ", severity, time.Now().Format("0102 15:04:05.000000"))
	if s.name != "" {
		b.WriteString(s.name + ": ")
	}
	b.WriteString(msg)
	// Each value is redacted before it is quoted, and the line again
	// after: quoting would otherwise turn a secret's JSON form inside a
	// logged body into yet another form.
	if err != nil {
		fmt.Fprintf(&b, " err=%q", s.r.Replace(err.Error()))
	}
	all := append(append([]any{}, s.values...), kv...)
	for i := 0; i+1 < len(all); i += 2 {
		fmt.Fprintf(&b, " %v=%q", all[i], s.r.Replace(s.value(all[i+1])))
	}
	line := strings.TrimRight(s.r.Replace(b.String()), "\n") + "\n"
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.out, line)
}
