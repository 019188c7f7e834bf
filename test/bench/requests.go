package main

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Request counting reads the klog lines that kubectl and kubectl-eshell
// write at -v=6, one per API response:
//
//	round_trippers.go:632] "Response" verb="GET" url="https://.../pods?labelSelector=app%3Dbench" status="200 OK" milliseconds=3
//
// and, for older client-go versions, the plain form
//
//	round_trippers.go:553] GET https://.../pods 200 OK in 3 milliseconds
var (
	// kubectl's klog writes `"Response" ... milliseconds=3`; eshell's own
	// log sink (which redacts command arguments) writes `Response ...
	// milliseconds="3"`.
	structuredResponse = regexp.MustCompile(`"?Response"? verb="([A-Z]+)" url="([^"]+)"(?:.* milliseconds="?(\d+))?`)
	plainResponse      = regexp.MustCompile(`\] (GET|POST|PUT|PATCH|DELETE|HEAD) (https?://\S+) .* in (\d+) milliseconds`)
	klogTime           = regexp.MustCompile(`^[IWEF]\d{4} (\d\d):(\d\d):(\d\d)\.(\d{6})`)
)

// Request categories, in the order they are shown.
const (
	catDiscovery = "discovery"
	catGet       = "GET"
	catList      = "LIST"
	catWatch     = "WATCH"
	catPost      = "POST"
	catPut       = "PUT"
	catPatch     = "PATCH"
	catDelete    = "DELETE"
	catStream    = "stream" // exec/attach upgrade
)

var catOrder = []string{catDiscovery, catGet, catList, catWatch, catPost, catPut, catPatch, catDelete, catStream}

// Requests is what one command sent, counted by category.
type Requests struct {
	Total int
	By    map[string]int
	// Lines are "VERB path" for the detail file.
	Lines []string
	// ToStream is how many requests ran one after another (each waiting
	// for the one before) up to and including the exec/attach stream;
	// Rounds the same over the whole run. On a remote cluster each costs
	// a network round trip. 0 when the log has no timestamps.
	ToStream, Rounds int
	// BeforeCreate is how many waves ran before the one that creates the
	// session's object (the clone's Job, kubectl run's pod, the PATCH that
	// adds an ephemeral container; dry runs do not count): the latency a
	// session pays before the cluster can start anything. 0 when nothing
	// was created.
	BeforeCreate int
}

type call struct {
	cat        string
	create     bool
	start, end time.Duration
}

// CountRequests parses a -v=6 log.
func CountRequests(log string) Requests {
	r := Requests{By: map[string]int{}}
	var calls []call
	timed := true
	for _, line := range strings.Split(log, "\n") {
		var verb, raw, took string
		if m := structuredResponse.FindStringSubmatch(line); m != nil {
			verb, raw, took = m[1], m[2], m[3]
		} else if m := plainResponse.FindStringSubmatch(line); m != nil {
			verb, raw, took = m[1], m[2], m[3]
		} else {
			continue
		}
		cat := Classify(verb, raw)
		end, ok := lineTime(line)
		msTook, err := strconv.Atoi(took)
		if !ok || err != nil {
			timed = false
		}
		calls = append(calls, call{cat: cat, create: IsCreate(verb, raw), start: end - time.Duration(msTook)*time.Millisecond, end: end})
		r.Total++
		r.By[cat]++
		p := raw
		if u, err := url.Parse(raw); err == nil {
			p = u.RequestURI()
		}
		r.Lines = append(r.Lines, cat+"\t"+verb+" "+p)
	}
	if timed {
		r.ToStream, r.Rounds, r.BeforeCreate = rounds(calls)
	}
	return r
}

// lineTime is the time of day of a klog line.
func lineTime(line string) (time.Duration, bool) {
	m := klogTime.FindStringSubmatch(line)
	if m == nil {
		return 0, false
	}
	var n [4]int
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second + time.Duration(n[3])*time.Microsecond, true
}

// rounds groups calls into waves of concurrent requests: a request that
// started (its end minus its duration, klog's whole milliseconds) after
// every request of the current wave had ended begins the next one. It
// returns the waves up to and including the first stream, all, and those
// before the wave of the first create.
func rounds(calls []call) (toStream, all, beforeCreate int) {
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].start < calls[j].start })
	var waveEnd time.Duration
	created := false
	for i, c := range calls {
		if i == 0 || c.start >= waveEnd {
			all++
			waveEnd = c.end
		} else {
			waveEnd = max(waveEnd, c.end)
		}
		if c.cat == catStream && toStream == 0 {
			toStream = all
		}
		if c.create && !created {
			created, beforeCreate = true, all-1
		}
	}
	return toStream, all, beforeCreate
}

// IsCreate reports whether a request creates what a session starts: a Job
// or a pod (POST, not a dry run), or an ephemeral container (PATCH of the
// ephemeralcontainers subresource, not a dry run).
func IsCreate(verb, raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Query().Has("dryRun") {
		return false
	}
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	switch {
	case verb == "POST" && len(segs) >= 2:
		last := segs[len(segs)-1]
		return last == "pods" || last == "jobs"
	case verb == "PATCH" && len(segs) >= 3:
		return segs[len(segs)-1] == "ephemeralcontainers" && segs[len(segs)-3] == "pods"
	}
	return false
}

// Classify puts one request in a category: discovery documents, exec and
// attach streams, watches, and GET of a collection (LIST) or of one object.
func Classify(verb, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return verb
	}
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	if len(segs) > 0 && (segs[0] == "openapi" || segs[0] == "version" || segs[0] == "swagger.json") {
		return catDiscovery
	}
	var rest []string
	switch {
	case len(segs) >= 1 && segs[0] == "api":
		if len(segs) <= 2 {
			return catDiscovery // /api, /api/v1
		}
		rest = segs[2:]
	case len(segs) >= 1 && segs[0] == "apis":
		if len(segs) <= 3 {
			return catDiscovery // /apis, /apis/apps, /apis/apps/v1
		}
		rest = segs[3:]
	default:
		return verb
	}
	if len(rest) >= 3 && rest[0] == "namespaces" {
		rest = rest[2:]
	}
	if len(rest) >= 3 {
		switch rest[2] {
		case "exec", "attach", "portforward":
			return catStream
		}
	}
	if verb != "GET" {
		return verb
	}
	if u.Query().Get("watch") == "true" || u.Query().Get("watch") == "1" {
		return catWatch
	}
	if len(rest) == 1 {
		return catList
	}
	return catGet
}

// String renders "7: 1 GET, 1 LIST, 3 POST, 1 stream".
func (r Requests) String() string {
	if r.Total == 0 {
		return "0"
	}
	var parts []string
	for _, c := range catOrder {
		if n := r.By[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	var other []string
	for c, n := range r.By {
		if !contains(catOrder, c) {
			other = append(other, fmt.Sprintf("%d %s", n, c))
		}
	}
	sort.Strings(other)
	parts = append(parts, other...)
	out := fmt.Sprintf("%d: %s", r.Total, strings.Join(parts, ", "))
	if r.ToStream > 0 {
		out += fmt.Sprintf("; %d in sequence up to the stream, %d in all", r.ToStream, r.Rounds)
		if r.BeforeCreate > 0 {
			out += fmt.Sprintf(", %d before the create", r.BeforeCreate)
		}
	} else if r.Rounds > 0 {
		out += fmt.Sprintf("; %d in sequence", r.Rounds)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Timeline renders a -v=6 run as offsets from the process start: the API
// responses (klog's timestamps), the other lines of stderr as they arrived
// (eshell's progress messages carry no timestamp), the first output on
// stdout and the exit, to see where a session's time goes.
func Timeline(s Sample, marker string) string {
	y, m, d := s.Started.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, s.Started.Location())
	t0 := s.Started.Sub(midnight)
	type ev struct {
		at   time.Duration
		what string
	}
	evs := []ev{{0, "process started"}}
	for _, tl := range s.Lines {
		line := tl.Text
		at, ok := lineTime(line)
		if !ok {
			if strings.TrimSpace(line) != "" {
				evs = append(evs, ev{tl.At, "stderr: " + line})
			}
			continue
		}
		at -= t0
		what := ""
		switch {
		case strings.Contains(line, "Config loaded"):
			what = "kubeconfig loaded (start-up done)"
		case strings.Contains(line, "Closed channel"):
			what = "stream closed"
		default:
			var verb, raw, took string
			if mm := structuredResponse.FindStringSubmatch(line); mm != nil {
				verb, raw, took = mm[1], mm[2], mm[3]
			} else if mm := plainResponse.FindStringSubmatch(line); mm != nil {
				verb, raw, took = mm[1], mm[2], mm[3]
			} else {
				continue
			}
			p := raw
			if u, err := url.Parse(raw); err == nil {
				p = u.Path
				if w := u.Query().Get("watch"); w != "" {
					p += "?watch"
				}
			}
			what = fmt.Sprintf("%-9s %s %s (%sms)", Classify(verb, raw), verb, p, took)
		}
		evs = append(evs, ev{at, what})
	}
	if marker != "" && s.Seen() {
		evs = append(evs, ev{s.First, fmt.Sprintf("stdout: first output (%q)", marker)})
	}
	evs = append(evs, ev{s.Total, "process exited"})
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at < evs[j].at })
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%+10.1fms  %s\n", float64(e.at)/float64(time.Millisecond), e.what)
	}
	return b.String()
}
