// Package target turns what the user typed (deploy/web, web, pod/web-1) into
// a workload, its pod template, its running pods and a container.
package target

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is a workload kind eshell can open a shell next to.
type Kind string

const (
	KindPod         Kind = "Pod"
	KindDeployment  Kind = "Deployment"
	KindStatefulSet Kind = "StatefulSet"
	KindDaemonSet   Kind = "DaemonSet"
	KindReplicaSet  Kind = "ReplicaSet"
	KindJob         Kind = "Job"
	KindCronJob     Kind = "CronJob"
)

// WorkloadKinds are the kinds a bare NAME may name when no pod has that name,
// in the order they are reported.
var WorkloadKinds = []Kind{KindDeployment, KindStatefulSet, KindDaemonSet, KindReplicaSet, KindJob, KindCronJob}

// aliases are kubectl's names for each kind: singular, plural, short name,
// and plural.group.
var aliases = map[string]Kind{
	"pod": KindPod, "pods": KindPod, "po": KindPod,
	"deployment": KindDeployment, "deployments": KindDeployment, "deploy": KindDeployment, "deployments.apps": KindDeployment, "deployment.apps": KindDeployment,
	"statefulset": KindStatefulSet, "statefulsets": KindStatefulSet, "sts": KindStatefulSet, "statefulsets.apps": KindStatefulSet, "statefulset.apps": KindStatefulSet,
	"daemonset": KindDaemonSet, "daemonsets": KindDaemonSet, "ds": KindDaemonSet, "daemonsets.apps": KindDaemonSet, "daemonset.apps": KindDaemonSet,
	"replicaset": KindReplicaSet, "replicasets": KindReplicaSet, "rs": KindReplicaSet, "replicasets.apps": KindReplicaSet, "replicaset.apps": KindReplicaSet,
	"job": KindJob, "jobs": KindJob, "jobs.batch": KindJob, "job.batch": KindJob,
	"cronjob": KindCronJob, "cronjobs": KindCronJob, "cj": KindCronJob, "cronjobs.batch": KindCronJob, "cronjob.batch": KindCronJob,
}

// Short is the name a user types for the kind, used in messages (deploy/web).
func (k Kind) Short() string {
	switch k {
	case KindPod:
		return "pod"
	case KindDeployment:
		return "deploy"
	case KindStatefulSet:
		return "sts"
	case KindDaemonSet:
		return "ds"
	case KindReplicaSet:
		return "rs"
	case KindJob:
		return "job"
	case KindCronJob:
		return "cj"
	}
	return strings.ToLower(string(k))
}

// Resource is the lowercase plural resource name (deployments).
func (k Kind) Resource() string { return strings.ToLower(string(k)) + "s" }

// Group is the API group of the kind.
func (k Kind) Group() string {
	switch k {
	case KindPod:
		return ""
	case KindJob, KindCronJob:
		return "batch"
	}
	return "apps"
}

// Ref is a parsed TYPE/NAME or NAME argument. Kind is empty for a bare name.
type Ref struct {
	Kind Kind
	Name string
}

func (r Ref) String() string {
	if r.Kind == "" {
		return r.Name
	}
	return r.Kind.Short() + "/" + r.Name
}

// ParseRef parses "TYPE/NAME" with kubectl's type names, or a bare "NAME".
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("no target given: pass TYPE/NAME (e.g. deploy/web) or a pod name")
	}
	typ, name, found := strings.Cut(s, "/")
	if !found {
		return Ref{Name: s}, nil
	}
	if name == "" || strings.Contains(name, "/") {
		return Ref{}, fmt.Errorf("%q is not TYPE/NAME: use e.g. deploy/web or pod/web-7d4b9", s)
	}
	k, ok := aliases[strings.ToLower(typ)]
	if !ok {
		return Ref{}, fmt.Errorf("unknown resource type %q in %q: eshell supports %s", typ, s, supportedTypes())
	}
	return Ref{Kind: k, Name: name}, nil
}

func supportedTypes() string {
	short := map[Kind]bool{}
	var names []string
	for _, k := range append([]Kind{KindPod}, WorkloadKinds...) {
		if !short[k] {
			short[k] = true
			names = append(names, fmt.Sprintf("%s (%s)", strings.ToLower(string(k)), k.Short()))
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// closeMatches returns the candidates that look like a typo of name: a
// common prefix or substring, or an edit distance of at most a third of it.
func closeMatches(name string, candidates []string) []string {
	var out []string
	limit := max(2, len(name)/3)
	for _, c := range candidates {
		if c == name {
			continue
		}
		if strings.Contains(c, name) || strings.Contains(name, c) || levenshtein(name, c) <= limit {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
