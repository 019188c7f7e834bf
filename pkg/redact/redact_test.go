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
