package e2e

// The design card's cleanup finalizer: everything of a clone hangs on its
// Job with blockOwnerDeletion, and the TTL controller deletes the Job in
// the foreground, so the garbage collector's foregroundDeletion finalizer
// holds the Job until the rest is gone.

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

func TestCloneDependentsHoldTheirJob(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(idleWeb(`
containers:
- {name: web, image: busybox:1.37, command: [sleep, infinity]}
`) + `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}
`)
	cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "-i=false", "deploy/web", "--set-env", "FOO=bar", "--", "sleep", "300")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	pod := runningClone(f)
	jobs := cloneJobs(f)
	if len(jobs) != 1 {
		t.Fatalf("%d clone Jobs, want 1; output:\n%s", len(jobs), out.String())
	}
	job := jobs[0]

	// Every dependent of the Job: its pod, the env Secret, the policy copy.
	var dependents []string
	check := func(kind, name string, refs []metav1.OwnerReference) {
		for _, r := range refs {
			if r.UID != job.UID {
				continue
			}
			dependents = append(dependents, kind)
			if r.BlockOwnerDeletion == nil || !*r.BlockOwnerDeletion {
				t.Errorf("%s %s: its ownerReference to Job %s lacks blockOwnerDeletion: true", kind, name, job.Name)
			}
		}
	}
	check("Pod", pod.Name, pod.OwnerReferences)
	secrets, err := f.Client.CoreV1().Secrets(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets.Items {
		check("Secret", s.Name, s.OwnerReferences)
	}
	policies, err := f.Client.NetworkingV1().NetworkPolicies(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, np := range policies.Items {
		check("NetworkPolicy", np.Name, np.OwnerReferences)
	}
	slices.Sort(dependents)
	if strings.Join(dependents, ",") != "NetworkPolicy,Pod,Secret" {
		t.Errorf("dependents of the Job: %v, want its pod, the env Secret and the policy copy", dependents)
	}

	// A killed client leaves the Job to the cluster: the lifeline ends,
	// the Job fails, and the TTL controller deletes it in the foreground.
	w, err := f.Client.BatchV1().Jobs(f.Namespace).Watch(f.Ctx, metav1.ListOptions{
		FieldSelector: "metadata.name=" + job.Name, ResourceVersion: job.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	_ = cmd.Process.Kill()
	killed := time.Now()
	bound := time.After(90 * time.Second)
	held := false
	for gone := false; !gone; {
		select {
		case <-bound:
			t.Fatalf("Job %s not deleted within 90 s of SIGKILL", job.Name)
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("the watch of the Job ended")
			}
			j, isJob := ev.Object.(*batchv1.Job)
			switch {
			case ev.Type == watch.Deleted:
				gone = true
			case isJob && j.DeletionTimestamp != nil && slices.Contains(j.Finalizers, metav1.FinalizerDeleteDependents):
				if !held {
					t.Logf("Job held by the %s finalizer %.1fs after SIGKILL", metav1.FinalizerDeleteDependents, time.Since(killed).Seconds())
				}
				held = true
			}
		}
	}
	t.Logf("Job gone %.1fs after SIGKILL", time.Since(killed).Seconds())
	if !held {
		t.Errorf("the Job was deleted without the %s finalizer holding it: not a foreground deletion", metav1.FinalizerDeleteDependents)
	}
	expectNoClones(f)
	expectNoEnvSecrets(f, 30*time.Second)
}
