package debug

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// evaluator is Pod Security Admission's own, with the checks of its
// latest version: eshell judges a debug container exactly as the API
// server's admission will.
var evaluator = sync.OnceValues(func() (policy.Evaluator, error) {
	return policy.NewEvaluator(policy.DefaultChecks(), nil)
})

// podSecurityViolations lists the Pod Security rules of level that ec breaks
// as a container of pod, by the names Pod Security Admission reports them
// under and in its order. "privileged" judges nothing; any other level but
// "baseline" is judged as "restricted", as Pod Security Admission does with
// levels it doesn't know.
//
// Only ec is judged, together with what it inherits from the pod (the
// pod's securityContext, its user namespace, its OS); the pod's own
// containers are left out. A rule the pod's securityContext already breaks
// by itself is reported only where Pod Security Admission names ec too:
// the pod breaks it whatever eshell adds.
//
// It explains a profile against a level the namespace's labels show, where
// the API server is not asked (--dry-run=client): the server's dry runs
// decide everything else.
func podSecurityViolations(pod *corev1.Pod, ec *corev1.EphemeralContainer, level string) []string {
	var v []string
	for _, f := range podSecurityFindings(pod, ec, level) {
		v = append(v, f.reason)
	}
	return v
}

// finding is one Pod Security rule broken: its name and its detail, which
// names the fields, as Pod Security Admission reports them.
type finding struct{ reason, detail string }

// podSecurityFindings is podSecurityViolations with each rule's detail.
func podSecurityFindings(pod *corev1.Pod, ec *corev1.EphemeralContainer, level string) []finding {
	lvl, err := api.ParseLevel(level)
	if err != nil {
		lvl = api.LevelRestricted
	}
	if lvl == api.LevelPrivileged {
		return nil
	}
	e, err := evaluator()
	if err != nil {
		// The default checks are valid by construction; a failure here is
		// a broken build, not a condition to recover from.
		panic(fmt.Sprintf("pod security checks: %v", err))
	}
	lv := api.LevelVersion{Level: lvl, Version: api.LatestVersion()}
	// What the pod brings on its own (its securityContext) is judged alone
	// first: a rule it breaks by itself is the pod's, not the container's.
	podLevel := corev1.PodSpec{SecurityContext: pod.Spec.SecurityContext, HostUsers: pod.Spec.HostUsers, OS: pod.Spec.OS}
	own := map[string]bool{}
	for _, r := range e.EvaluatePod(lv, &pod.ObjectMeta, &podLevel) {
		if !r.Allowed {
			own[r.ForbiddenReason] = true
		}
	}
	judged := podLevel
	judged.EphemeralContainers = []corev1.EphemeralContainer{*ec}
	var v []finding
	for _, r := range e.EvaluatePod(lv, &pod.ObjectMeta, &judged) {
		if !r.Allowed && (!own[r.ForbiddenReason] || strings.Contains(r.ForbiddenDetail, strconv.Quote(ec.Name))) {
			v = append(v, finding{r.ForbiddenReason, r.ForbiddenDetail})
		}
	}
	return v
}

// allowedSeccomp reports whether the restricted level accepts a seccomp
// profile type: anything but no filtering at all.
func allowedSeccomp(t corev1.SeccompProfileType) bool {
	return t == corev1.SeccompProfileTypeRuntimeDefault || t == corev1.SeccompProfileTypeLocalhost
}
