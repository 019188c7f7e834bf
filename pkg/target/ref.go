// Package target turns what the user typed (deploy/web, web, pod/web-1) into
// a workload, its pod template, its running pods and a container.
package target

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
)

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
func ParseRef(s string) (Ref, error) { return ParseRefWith(s, nil) }

// ParseRefWith is ParseRef that also knows the type names mapper knows;
// see kindFor.
func ParseRefWith(s string, mapper meta.RESTMapper) (Ref, error) {
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
	k, err := kindFor(typ, s, mapper)
	if err != nil {
		return Ref{}, err
	}
	return Ref{Kind: k, Name: name}, nil
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
