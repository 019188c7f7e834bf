package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	const h = "https://127.0.0.1:16443"
	cases := []struct{ verb, url, want string }{
		{"GET", h + "/api", catDiscovery},
		{"GET", h + "/api/v1", catDiscovery},
		{"GET", h + "/apis", catDiscovery},
		{"GET", h + "/apis/apps/v1", catDiscovery},
		{"GET", h + "/openapi/v3/apis/apps/v1?hash=x", catDiscovery},
		{"GET", h + "/apis/apps/v1/namespaces/b/deployments/bench", catGet},
		{"GET", h + "/api/v1/namespaces/b/pods?labelSelector=app%3Dbench", catList},
		{"GET", h + "/api/v1/namespaces", catList},
		{"GET", h + "/api/v1/namespaces/b", catGet},
		{"GET", h + "/api/v1/nodes", catList},
		{"GET", h + "/api/v1/namespaces/b/pods?fieldSelector=metadata.name%3Dx&watch=true", catWatch},
		{"GET", h + "/api/v1/namespaces/b/pods/p/exec?command=echo", catStream},
		{"POST", h + "/api/v1/namespaces/b/pods/p/attach?stdin=true", catStream},
		{"POST", h + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", catPost},
		{"PATCH", h + "/api/v1/namespaces/b/pods/p/ephemeralcontainers", catPatch},
		{"DELETE", h + "/api/v1/namespaces/b/pods/p", catDelete},
	}
	for _, c := range cases {
		if got := Classify(c.verb, c.url); got != c.want {
			t.Errorf("Classify(%s %s) = %s, want %s", c.verb, c.url, got, c.want)
		}
	}
}

func TestCountRequests(t *testing.T) {
	log := strings.Join([]string{
		`I1123 10:24:31.277889   21806 loader.go:408] Config loaded from file:  /work/main/.cluster/kubeconfig`,
		`I1123 10:24:31.297233   21806 round_trippers.go:632] "Response" verb="GET" url="https://127.0.0.1:16443/apis/apps/v1/namespaces/b/deployments/bench" status="200 OK" milliseconds=15`,
		`I1123 10:24:31.305907   21806 round_trippers.go:632] "Response" verb="POST" url="https://127.0.0.1:16443/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" status="201 Created" milliseconds=5`,
		`I1123 10:24:31.309821   21806 round_trippers.go:632] "Response" verb="GET" url="https://127.0.0.1:16443/api/v1/namespaces/b/pods?labelSelector=app%3Dbench" status="200 OK" milliseconds=3`,
		`I1123 10:24:31.320891   21806 round_trippers.go:632] "Response" verb="GET" url="https://127.0.0.1:16443/api/v1/namespaces/b/pods/p/exec?command=echo" status="101 Switching Protocols" milliseconds=9`,
		`I0101 00:00:00.000000       1 round_trippers.go:553] GET https://127.0.0.1:16443/api?timeout=32s 200 OK in 4 milliseconds`,
		// eshell's own (redacting) log sink: no file:line, milliseconds quoted.
		`I1123 10:24:31.330000] Response verb="DELETE" url="https://127.0.0.1:16443/apis/batch/v1/namespaces/b/jobs/x" status="200 OK" milliseconds="7"`,
		`ready`,
	}, "\n")
	r := CountRequests(log)
	if r.Total != 6 {
		t.Fatalf("total %d, want 6 (%v)", r.Total, r.Lines)
	}
	// The plain line has a timestamp earlier than the others, so it is the first wave.
	want := "6: 1 discovery, 1 GET, 1 LIST, 1 POST, 1 DELETE, 1 stream; 5 in sequence up to the stream, 6 in all"
	if got := r.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestRounds(t *testing.T) {
	// GET, then three reviews at once, then a LIST and the stream, then a GET.
	log := strings.Join([]string{
		`I1123 10:00:00.010000 1 round_trippers.go:632] "Response" verb="GET" url="https://h/apis/apps/v1/namespaces/b/deployments/x" status="200 OK" milliseconds=10`,
		`I1123 10:00:00.015000 1 round_trippers.go:632] "Response" verb="POST" url="https://h/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" status="201 Created" milliseconds=4`,
		`I1123 10:00:00.017000 1 round_trippers.go:632] "Response" verb="POST" url="https://h/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" status="201 Created" milliseconds=6`,
		`I1123 10:00:00.016000 1 round_trippers.go:632] "Response" verb="POST" url="https://h/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" status="201 Created" milliseconds=5`,
		`I1123 10:00:00.020000 1 round_trippers.go:632] "Response" verb="GET" url="https://h/api/v1/namespaces/b/pods?labelSelector=a" status="200 OK" milliseconds=2`,
		`I1123 10:00:00.030000 1 round_trippers.go:632] "Response" verb="GET" url="https://h/api/v1/namespaces/b/pods/p/exec?command=echo" status="101 Switching Protocols" milliseconds=5`,
		`I1123 10:00:00.100000 1 round_trippers.go:632] "Response" verb="GET" url="https://h/api/v1/namespaces/b/pods/p" status="200 OK" milliseconds=1`,
	}, "\n")
	r := CountRequests(log)
	if r.ToStream != 4 || r.Rounds != 5 {
		t.Errorf("rounds = %d to the stream, %d in all; want 4 and 5", r.ToStream, r.Rounds)
	}
}

func TestBeforeCreate(t *testing.T) {
	at := func(ms int, verb, url string) string {
		return fmt.Sprintf(`I1123 10:00:00.%06d 1 round_trippers.go:632] "Response" verb="%s" url="%s" status="200 OK" milliseconds=1`, ms*1000, verb, url)
	}
	for _, c := range []struct {
		name string
		log  []string
		want int
	}{
		{"clone: lookup, dry run, then the Job", []string{
			at(10, "GET", "https://h/apis/apps/v1/namespaces/b/deployments/x"),
			at(20, "POST", "https://h/api/v1/namespaces/b/pods?dryRun=All"),
			at(30, "POST", "https://h/apis/batch/v1/namespaces/b/jobs"),
			at(40, "GET", "https://h/api/v1/namespaces/b/pods/p/exec?command=echo"),
		}, 2},
		{"kubectl run: the pod first", []string{
			at(10, "POST", "https://h/api/v1/namespaces/b/pods"),
			at(20, "GET", "https://h/api/v1/namespaces/b/pods/p/attach"),
		}, 0},
		{"debug: a dry run of the PATCH is not the create", []string{
			at(10, "GET", "https://h/api/v1/namespaces/b/pods/p"),
			at(20, "PATCH", "https://h/api/v1/namespaces/b/pods/p/ephemeralcontainers?dryRun=All"),
			at(30, "PATCH", "https://h/api/v1/namespaces/b/pods/p/ephemeralcontainers"),
		}, 2},
		{"exec creates nothing", []string{
			at(10, "GET", "https://h/api/v1/namespaces/b/pods"),
			at(20, "GET", "https://h/api/v1/namespaces/b/pods/p/exec?command=echo"),
		}, 0},
	} {
		if got := CountRequests(strings.Join(c.log, "\n")).BeforeCreate; got != c.want {
			t.Errorf("%s: %d waves before the create, want %d", c.name, got, c.want)
		}
	}
}
