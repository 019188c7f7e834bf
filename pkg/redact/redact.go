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

// Replacer replaces the arguments of the user's command, in every form
// they take on the wire (as typed, URL-query-escaped in an exec request,
// JSON-escaped in a request body, shell-quoted in a start script), with
// "[redacted]". Arguments may hold secrets (psql postgres://app:pw@db), and
// -v=6 and up log the URLs and bodies of requests that carry them.
func Replacer(args []string) *strings.Replacer {
	return strings.NewReplacer(pairs(args)...)
}

// pairs are the replacements of Replacer.
func pairs(args []string) []string {
	var pairs []string
	for _, base := range secretForms(args) {
		forms := []string{base, url.QueryEscape(base), url.PathEscape(base), shell.Word(base)}
		if b, err := json.Marshal(base); err == nil {
			forms = append(forms, strings.Trim(string(b), `"`))
		}
		for _, f := range forms {
			pairs = append(pairs, f, Mark)
		}
	}
	return pairs
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
// klog's manner, passed through a Replacer. klog hands every line to the
// logger set with klog.SetLogger, client-go's request logs included.
type sink struct {
	mu      *sync.Mutex
	out     io.Writer
	r       *strings.Replacer
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
	ps, secrets := pairs(append(slices.Clone(args), values...)), secretForms(args)
	for _, v := range values {
		if v != "" {
			ps = append(ps, base64.StdEncoding.EncodeToString([]byte(v)), Mark)
			secrets = append(secrets, v)
		}
	}
	return logr.New(&sink{mu: &sync.Mutex{}, out: out, r: strings.NewReplacer(ps...), secrets: secrets})
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
	if err != nil {
		fmt.Fprintf(&b, " err=%q", err.Error())
	}
	all := append(append([]any{}, s.values...), kv...)
	for i := 0; i+1 < len(all); i += 2 {
		fmt.Fprintf(&b, " %v=%q", all[i], s.value(all[i+1]))
	}
	line := strings.TrimRight(s.r.Replace(b.String()), "\n") + "\n"
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.out, line)
}
