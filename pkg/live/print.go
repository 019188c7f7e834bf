package live

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/pkg/escape"
)

// CheckFormat refuses an -o format Print does not know, before the
// cluster is asked.
func CheckFormat(format string) error {
	switch format {
	case "", "json", "yaml":
		return nil
	}
	return fmt.Errorf("-o %s is not supported: use json or yaml, or leave it out for a table", format)
}

// jsonC1 escapes DEL and the C1 controls, which encoding/json leaves raw
// (valid UTF-8) but some terminals read as 8-bit CSI and OSC; they can
// only stand inside JSON strings, where \u00XX means the same.
var jsonC1 = func() *strings.Replacer {
	var pairs []string
	for r := rune(0x7f); r <= 0x9f; r++ {
		pairs = append(pairs, string(r), fmt.Sprintf(`\u%04x`, r))
	}
	return strings.NewReplacer(pairs...)
}()

// Print writes list in format (json, yaml, or "" for a table, with ages
// from now); an empty table is a line on errOut instead.
func Print(out, errOut io.Writer, list []Info, format string, now time.Time) error {
	if list == nil {
		list = []Info{} // an empty list, not null, for whoever parses it
	}
	switch format {
	case "json":
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", jsonC1.Replace(string(b)))
		return err
	case "yaml":
		// YAML has no escape for control characters outside quoted
		// strings, and its encoder refuses them: the cluster's text is
		// shown as the table shows it.
		shown := make([]Info, len(list))
		for i, in := range list {
			e := escape.Line
			in.ID, in.User, in.Namespace, in.Workload = e(in.ID), e(in.User), e(in.Namespace), e(in.Workload)
			in.Job, in.Pod, in.Container, in.Reason = e(in.Job), e(in.Pod), e(in.Container), e(in.Reason)
			shown[i] = in
		}
		b, err := yaml.Marshal(shown)
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(errOut, "no live sessions found")
		return nil
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tUSER\tMODE\tNAMESPACE\tWORKLOAD\tPOD/CONTAINER\tSTARTED\tEXPIRES\tREASON")
	for _, s := range list {
		expires := "-"
		if s.Expires != nil {
			expires = "in " + duration.HumanDuration(s.Expires.Sub(now))
		}
		why := s.Reason
		if why == "" {
			why = "-"
		}
		// Every cell is the cluster's text: escaped, and kept to its cell.
		e := escape.Line
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s/%s\t%s ago\t%s\t%s\n", e(s.ID), e(s.User), s.Mode, e(s.Namespace), e(s.Workload), e(s.podOrJob()), e(s.Container),
			duration.HumanDuration(now.Sub(s.Started)), expires, e(why))
	}
	return w.Flush()
}

// podOrJob names where the session runs: its pod, or a clone's Job while
// its pod is not known.
func (in Info) podOrJob() string {
	if in.Pod == "" {
		return "job/" + in.Job
	}
	return in.Pod
}

// String says what the session is, for messages: "clone job eshell-x7k2p"
// or "debug container eshell-x7k2p in pod web-1".
func (in Info) String() string {
	if in.Pod != "" && in.Job == "" {
		return "debug container " + in.Container + " in pod " + in.Pod
	}
	return "clone job " + in.Job
}
