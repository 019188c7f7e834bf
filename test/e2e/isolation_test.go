package e2e

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// What a session sees of the workload's processes is the container
// runtime's decision, and the product promises two opposite things: the
// debug shell shares the target container's processes, the clone shares
// nothing with the original.
func TestIsolationProcesses(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2") // the web container runs `sleep infinity`
	ps := "ps -o args | grep -c '^sleep infinity'; echo pid1=$(ps -o pid,args | awk '$1 == 1 {print $2}')"

	r := f.Eshell("", "deploy/web", "--mode", "debug", "--", "sh", "-c", ps)
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "1\npid1=sleep\n") {
		t.Errorf("ps in the debug container should list the target's `sleep infinity` (its PID 1): exit %d, stdout %q, stderr %s", r.Code, r.Stdout, r.Stderr)
	}

	r = f.Eshell("", "deploy/web", "--", "sh", "-c", ps)
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "0\n") || strings.Contains(r.Stdout, "pid1=sleep") {
		t.Errorf("ps in the clone should list only the clone's own processes, not the workload's `sleep infinity`: exit %d, stdout %q, stderr %s", r.Code, r.Stdout, r.Stderr)
	}
	expectNoClones(f)
}

// The kubelet is secured as in a real cluster: a caller without a client
// certificate the API server's CA signed is refused, so a local user cannot
// exec into pods behind the API server's back.
func TestIsolationKubeletRefusesAnonymous(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	node, err := f.Client.CoreV1().Nodes().Get(f.Ctx, framework.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	port := node.Status.DaemonEndpoints.KubeletEndpoint.Port
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // only the status code matters here
	}}
	for _, path := range []string{"/pods", "/exec/default/x/y?command=true", "/runningpods/"} {
		resp, err := c.Get(fmt.Sprintf("https://127.0.0.1:%d%s", port, path))
		if err != nil {
			t.Fatalf("GET kubelet %s: %v", path, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous GET kubelet %s: %s, want 401 Unauthorized", path, resp.Status)
		}
	}
}
