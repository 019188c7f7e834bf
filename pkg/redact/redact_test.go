package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/sberz/kubectl-eshell/pkg/shell"
)

func TestRedactor(t *testing.T) {
	const secret = "postgres://app:hunter2$x@db/app?ssl=on&x=<1>"
	r := Replacer([]string{"-c", secret, "ls"})
	for _, form := range []string{secret, url.QueryEscape(secret), shell.Word(secret), shell.ContainerArgv([]string{secret})[0],
		`postgres://app:hunter2$x@db/app?ssl=on\u0026x=\u003c1\u003e`} {
		line := "GET https://api/exec?command=psql&command=" + form + " -c ls"
		got := r.Replace(line)
		if strings.Contains(got, "hunter2") || !strings.Contains(got, Mark) {
			t.Errorf("%q redacted to %q", line, got)
		}
		if !strings.Contains(got, " -c ls") {
			t.Errorf("short arguments were redacted too: %q", got)
		}
	}
}

func TestRedactLogger(t *testing.T) {
	var out bytes.Buffer
	l := Logger(&out, []string{"hunter22"}, nil)
	l.WithName("rest").WithValues("url", "https://x/?p=hunter22").Info("Request Body", "body", `{"command":["hunter22"]}`)
	l.Error(errors.New("hunter22 refused"), "failed")
	// A protobuf body is logged as a hex dump, the secret split over lines.
	l.Info("Request Body", "body", hex.Dump([]byte("k8s\x00\n\x0a........some pod hunter22 more")))
	l.Info("Request Body", "body", hex.Dump([]byte("k8s\x00 another pod")))
	// Cut short by client-go within the secret.
	l.Info("Response Body", "body", hex.Dump([]byte("k8s\x00\n\x0a........some pod hunt"))+" [truncated 2048 chars]")
	got := out.String()
	if strings.Contains(got, "hunter22") || strings.Count(got, "\n") != 5 || !strings.Contains(got, "rest: Request Body") ||
		strings.Count(got, "[redacted] (a body of") != 2 || strings.Contains(got, "68 75 6e 74") || !strings.Contains(got, "another pod") {
		t.Errorf("logged:\n%s", got)
	}
}

// A --set-env value is redacted however short, raw in a protobuf body and
// base64-encoded in a JSON one.
func TestRedactLoggerEnvValues(t *testing.T) {
	var out bytes.Buffer
	l := Logger(&out, nil, []string{"pw", ""})
	l.Info("Request Body", "body", hex.Dump([]byte("k8s\x00\n\x0aSecret....FOO\x12\x02pw")))
	l.Info("Request Body", "body", `{"kind":"Secret","data":{"FOO":"`+base64.StdEncoding.EncodeToString([]byte("pw"))+`"}}`)
	l.Info("Request Body", "body", hex.Dump([]byte("k8s\x00 a pod")))
	got := out.String()
	if strings.Contains(got, "70 77") || strings.Contains(got, "cHc=") || strings.Count(got, Mark) != 2 || !strings.Contains(got, "a pod") {
		t.Errorf("logged:\n%s", got)
	}
}

// A short argument that is part of a longer one leaves nothing of the
// longer one behind, in whichever order they were typed.
func TestRedactorPrefixArgument(t *testing.T) {
	const long = "postgres://postgres:hunter3@db"
	for _, args := range [][]string{{"-U", "postgres", long}, {long, "-U", "postgres"}} {
		r := Replacer(args)
		for _, line := range []string{
			"POST https://api/exec?command=psql&command=-U&command=postgres&command=" + url.QueryEscape(long),
			`{"command":["psql","-U","postgres","` + long + `"]}`,
			"body=" + base64.StdEncoding.EncodeToString([]byte("x"+long+"yz")),
			"hex " + hex.EncodeToString([]byte(long)),
		} {
			got := r.Replace(line)
			if strings.Contains(got, "hunter3") || strings.Contains(got, "%40db") || !strings.Contains(got, Mark) {
				t.Errorf("args %q: %q redacted to %q", args, line, got)
			}
			if leak := leaked(got, "hunter3"); leak != "" {
				t.Errorf("args %q: %q leaks %s", args, got, leak)
			}
		}
	}
}

// leaked names the encoding in which out still carries secret, reading
// out independently of the Redactor's forms: as text, URL-unescaped, and
// decoded from base64 and hex at every alignment, piece by piece between
// the marks (a secret cannot span a mark: the mark replaced its bytes).
func leaked(out, secret string) string {
	for _, piece := range strings.Split(out, Mark) {
		if strings.Contains(piece, secret) {
			return "as text"
		}
		if u, err := url.QueryUnescape(piece); err == nil && strings.Contains(u, secret) {
			return "URL-escaped"
		}
		if u, err := url.PathUnescape(piece); err == nil && strings.Contains(u, secret) {
			return "path-escaped"
		}
		for _, run := range runs(piece, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") {
			run = strings.NewReplacer("-", "+", "_", "/").Replace(run)
			for off := range 4 {
				if n := (len(run) - off) / 4 * 4; n > 0 {
					if b, err := base64.StdEncoding.DecodeString(run[off : off+n]); err == nil && bytes.Contains(b, []byte(secret)) {
						return "in base64"
					}
				}
			}
		}
		for _, run := range runs(strings.ToLower(piece), "0123456789abcdef") {
			for off := range 2 {
				if n := (len(run) - off) / 2 * 2; n > 0 {
					if b, err := hex.DecodeString(run[off : off+n]); err == nil && bytes.Contains(b, []byte(secret)) {
						return "in hex"
					}
				}
			}
		}
	}
	return ""
}

// runs are the maximal stretches of s made of alphabet's characters.
func runs(s, alphabet string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !strings.ContainsRune(alphabet, r) })
}

// FuzzRedact: whatever the arguments, no argument of minSecret bytes or
// more survives in any encoding, wherever it sits in a line and whatever
// other arguments overlap it.
func FuzzRedact(f *testing.F) {
	f.Add("postgres", "postgres://postgres:hunter3@db", "GET /exec?command=", "&x=1", uint8(0))
	f.Add("abcd1234", "1234wxyz", "", "", uint8(3))
	f.Add("pass", "p@ss w\"rd\\", "{\"a\":\"", "\"}", uint8(5))
	f.Fuzz(func(t *testing.T, a, b, before, after string, how uint8) {
		secrets := []string{a, b}
		r := Replacer(secrets)
		encode := []func(string) string{
			func(s string) string { return s },
			url.QueryEscape,
			url.PathEscape,
			func(s string) string { return base64.StdEncoding.EncodeToString([]byte(before + s + after)) },
			func(s string) string { return base64.URLEncoding.EncodeToString([]byte(after + s)) },
			func(s string) string { return hex.EncodeToString([]byte(s)) },
			func(s string) string { return strings.ToUpper(hex.EncodeToString([]byte(s))) },
			shell.Word,
		}
		enc := encode[int(how)%len(encode)]
		line := before + enc(a) + enc(a+b) + enc(b+a) + after + enc(b)
		out := r.Replace(line)
		for _, s := range secrets {
			if len(s) < minSecret {
				continue
			}
			if leak := leaked(out, s); leak != "" {
				t.Fatalf("secret %q survives %s in %q (line %q)", s, leak, out, line)
			}
		}
	})
}
