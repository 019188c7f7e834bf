package picker

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/target"
)

// Candidate is one completion of a word on the command line.
type Candidate struct {
	Value, Description string
}

// Namespaces lists the names of every namespace, from metadata alone.
func Namespaces(ctx context.Context, c target.Clients) ([]Candidate, error) {
	l, err := c.Metadata.Resource(corev1.SchemeGroupVersion.WithResource("namespaces")).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]Candidate, len(l.Items))
	for i, ns := range l.Items {
		out[i] = Candidate{Value: ns.Name}
	}
	return out, nil
}

// EnvironmentNames lists the environments for --env, each once, as the
// picker shows them: failing ones only with all (or when all fail); with
// a status filter, those that match it (all: every one).
func EnvironmentNames(ctx context.Context, c target.Clients, label string, all bool, filter StatusFilter) ([]Candidate, error) {
	envs, err := ListEnvironments(ctx, c.Typed, label, "")
	if err != nil || !envs.Labelled {
		return nil, err
	}
	return envs.ShowFiltered(all, filter).Candidates(time.Now()), nil
}

// Candidates are the environments as completions of --env, newest first,
// each name once, described by namespace, owner, age at now and failed
// checks.
func (s Shown) Candidates(now time.Time) []Candidate {
	var out []Candidate
	seen := map[string]bool{}
	for _, e := range s.List {
		if seen[e.Name] {
			continue
		}
		seen[e.Name] = true
		desc := []string{"namespace " + e.Namespace}
		if e.Owner != "" {
			desc = append(desc, "owner "+e.Owner)
		}
		desc = append(desc, "age "+Age(e.Created, now))
		if f := e.Failing(); len(f) > 0 {
			desc = append(desc, "failing: "+strings.Join(f, " "))
		}
		out = append(out, Candidate{Value: e.Name, Description: strings.Join(desc, ", ")})
	}
	return out
}

// ContainerNames lists the containers of the target ref in ns, as the
// container question offers them.
func ContainerNames(ctx context.Context, c target.Clients, ns string, ref target.Ref) ([]Candidate, error) {
	w, err := target.Resolve(ctx, c, ns, ref)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	for _, ct := range Containers(w.Template) {
		out = append(out, Candidate{Value: ct.Name, Description: ct.Image})
	}
	return out, nil
}

// Targets completes a TYPE/NAME word. After "TYPE/" it offers the names
// of that kind; without a "/" the kind prefixes the service question
// offers and the names of objects of those kinds (a bare NAME is valid).
// onlyPrefixes says that nothing but kind prefixes was found, so no space
// should follow the completion.
func Targets(ctx context.Context, c target.Clients, ns, word string) (out []Candidate, onlyPrefixes bool, err error) {
	if typ, name, slash := strings.Cut(word, "/"); slash {
		r, err := target.ParseRef(typ + "/x")
		if err != nil {
			return nil, false, nil
		}
		names, err := target.Names(ctx, c.Metadata, ns, r.Kind)
		for _, n := range names {
			if strings.HasPrefix(n, name) {
				out = append(out, Candidate{Value: typ + "/" + n})
			}
		}
		return out, false, err
	}
	out = KindPrefixes(word)
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	seen := map[string]bool{}
	for _, k := range WorkloadKinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			names, err := target.Names(ctx, c.Metadata, ns, k)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && !apierrors.IsForbidden(err) && first == nil {
				first = err
			}
			for _, n := range names {
				if strings.HasPrefix(n, word) {
					seen[n] = true
				}
			}
		}()
	}
	wg.Wait()
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, Candidate{Value: n})
	}
	return out, len(names) == 0 && len(out) > 0, first
}

// KindPrefixes are the "TYPE/" prefixes that complete word: those of the
// kinds the question for a workload offers, and svc/, a Service naming the
// workload behind it.
func KindPrefixes(word string) []Candidate {
	var out []Candidate
	for _, k := range slices.Concat(WorkloadKinds, []target.Kind{target.KindService}) {
		if p := k.Short() + "/"; strings.HasPrefix(p, word) {
			out = append(out, Candidate{Value: p})
		}
	}
	return out
}
