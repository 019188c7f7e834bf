// Package results is the benchmark's raw data (every sample, the API
// request counts and the run's metadata, as written by test/bench) and the
// rendering of bench/README.md from it. The renderer is the only place
// figures are computed, so the committed README always follows from the
// committed samples.
package results

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// File names inside a results directory.
const (
	SamplesFile  = "samples.csv"
	RequestsFile = "requests.csv"
	MetaFile     = "meta.json"
)

// Tools in the samples' tool column.
const (
	ToolEshell  = "eshell"
	ToolKubectl = "kubectl"
	// ToolGo is a measurement made in-process by the driver (client-go on
	// a warm connection): the cluster's share without any client start-up.
	ToolGo = "go"
)

// Sample is one timed run.
type Sample struct {
	Phase, Command, Tool string
	Iteration            int
	// FirstMS is the time to the marker on stdout; negative when it never
	// arrived (or nothing was watched).
	FirstMS, TotalMS float64
	ExitCode         int
	StdoutBytes      int64
	CPUMS            float64
	Error            string
}

// OK is a run that exited 0 without a driver error.
func (s Sample) OK() bool { return s.Error == "" && s.ExitCode == 0 }

// Seen is a run whose marker arrived.
func (s Sample) Seen() bool { return s.FirstMS >= 0 }

// Requests are the API requests of one -v=6 run, by category.
type Requests struct {
	Name, Tool string
	OK         bool
	Total      int
	// By is the count per category (discovery, GET, LIST, WATCH, POST,
	// PUT, PATCH, DELETE, stream).
	By map[string]int
	// ToStream is the waves of requests in sequence up to the exec/attach
	// stream, Rounds over the whole run.
	ToStream, Rounds int
	// BeforeCreate is the waves before the one that creates the session's
	// object (a Job, a pod, an ephemeral container); 0 when none was
	// created, or for samples from before it was counted.
	BeforeCreate int
}

// Categories of requests, in the order they are shown.
var Categories = []string{"discovery", "GET", "LIST", "WATCH", "POST", "PUT", "PATCH", "DELETE", "stream"}

// Binary is one binary's size.
type Binary struct {
	Bytes         int64 `json:"bytes"`
	Stripped      bool  `json:"stripped"`
	StrippedBytes int64 `json:"strippedBytes,omitempty"`
}

// Picker is what the picker fixture was.
type Picker struct {
	Namespaces  int     `json:"namespaces"`
	Workloads   int     `json:"workloads"`
	ReplicaSets int     `json:"replicaSets"`
	Pods        int     `json:"pods"`
	Spread      int     `json:"spread"`
	BigCount    int     `json:"bigWorkloads"`
	BigPods     int     `json:"bigPods"`
	Workers     int     `json:"workers"`
	CreatedS    float64 `json:"createdSeconds"`
	SettledS    float64 `json:"settledSeconds"`
	// Extra is what the controllers made or removed on their own ("none").
	Extra string `json:"extra"`
	// Built is whether this kubectl-eshell has the picker.
	Built bool `json:"built"`
	// EnforcerStopped is whether the NetworkPolicy enforcer was stopped
	// from the fixture's creation to the end of the run.
	EnforcerStopped bool `json:"enforcerStopped,omitempty"`
}

// Meta describes one run.
type Meta struct {
	Date           string  `json:"date"`
	Run            string  `json:"run"`
	Quick          bool    `json:"quick"`
	TookS          float64 `json:"tookSeconds"`
	CPUs           int     `json:"cpus"`
	Platform       string  `json:"platform"`
	LoadStart      string  `json:"loadStart"`
	LoadEnd        string  `json:"loadEnd"`
	GoVersion      string  `json:"goVersion"`
	Commit         string  `json:"commit"`
	EshellVersion  string  `json:"eshellVersion"`
	KubectlModules string  `json:"kubectlModules"`
	KubectlVersion string  `json:"kubectlVersion"`
	Server         string  `json:"server"`
	Node           string  `json:"node"`
	Image          string  `json:"image"`
	// Iterations (pairs) per comparison.
	Sessions    int    `json:"sessions"`
	Clones      int    `json:"clones"`
	Debugs      int    `json:"debugs"`
	DebugBatch  int    `json:"debugBatch"`
	StreamPairs int    `json:"streamPairs"`
	StreamBytes int64  `json:"streamBytes"`
	Startups    int    `json:"startups"`
	Pickers     int    `json:"pickers"`
	Eshell      Binary `json:"eshellBinary"`
	Kubectl     Binary `json:"kubectlBinary"`
	Picker      Picker `json:"picker"`
	// Notes are what the driver saw go wrong, in its words.
	Notes []string `json:"notes"`
}

var samplesHeader = []string{"phase", "command", "tool", "iteration", "first_output_ms", "total_ms", "exit_code", "stdout_bytes", "cpu_ms", "error"}

func ms(v float64) string {
	if v < 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// WriteSamples writes samples as CSV.
func WriteSamples(path string, ss []Sample) error {
	rows := [][]string{samplesHeader}
	for _, s := range ss {
		rows = append(rows, []string{s.Phase, s.Command, s.Tool, strconv.Itoa(s.Iteration), ms(s.FirstMS), ms(s.TotalMS),
			strconv.Itoa(s.ExitCode), strconv.FormatInt(s.StdoutBytes, 10), ms(s.CPUMS), s.Error})
	}
	return writeCSV(path, rows)
}

var requestsHeader = append([]string{"name", "tool", "ok", "total"}, append(append([]string{}, Categories...), "to_stream", "rounds", "before_create")...)

// requestsHeaderBefore is the header of samples from before the waves
// before the create were counted.
var requestsHeaderBefore = requestsHeader[:len(requestsHeader)-1]

// WriteRequests writes request counts as CSV.
func WriteRequests(path string, rs []Requests) error {
	rows := [][]string{requestsHeader}
	for _, r := range rs {
		row := []string{r.Name, r.Tool, strconv.FormatBool(r.OK), strconv.Itoa(r.Total)}
		for _, c := range Categories {
			row = append(row, strconv.Itoa(r.By[c]))
		}
		rows = append(rows, append(row, strconv.Itoa(r.ToStream), strconv.Itoa(r.Rounds), strconv.Itoa(r.BeforeCreate)))
	}
	return writeCSV(path, rows)
}

// WriteMeta writes the metadata as indented JSON.
func WriteMeta(path string, m *Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.WriteAll(rows)
	if err := w.Error(); err != nil {
		_ = f.Close() // the write error is the one worth reporting
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

func readCSV(path string, header []string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only: closing cannot lose data
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(header)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	for i := range header {
		if head[i] != header[i] {
			return nil, fmt.Errorf("reading %s: column %d is %q, want %q", path, i+1, head[i], header[i])
		}
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		rows = append(rows, rec)
	}
}

func atof(s string) (float64, error) {
	if s == "" {
		return -1, nil
	}
	return strconv.ParseFloat(s, 64)
}

// Data is one results directory, read back.
type Data struct {
	Samples  []Sample
	Requests []Requests
	Meta     Meta
}

// Read loads a results directory.
func Read(dir string) (*Data, error) {
	d := &Data{}
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &d.Meta); err != nil {
		return nil, fmt.Errorf("reading %s: %w", MetaFile, err)
	}
	rows, err := readCSV(filepath.Join(dir, SamplesFile), samplesHeader)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		var s Sample
		var errs [6]error
		s.Phase, s.Command, s.Tool = r[0], r[1], r[2]
		s.Iteration, errs[0] = strconv.Atoi(r[3])
		s.FirstMS, errs[1] = atof(r[4])
		s.TotalMS, errs[2] = atof(r[5])
		s.ExitCode, errs[3] = strconv.Atoi(r[6])
		s.StdoutBytes, errs[4] = strconv.ParseInt(r[7], 10, 64)
		s.CPUMS, errs[5] = atof(r[8])
		s.Error = r[9]
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", SamplesFile, i+2, err)
		}
		d.Samples = append(d.Samples, s)
	}
	rows, err = readCSV(filepath.Join(dir, RequestsFile), requestsHeader)
	if err != nil {
		if rows, err = readCSV(filepath.Join(dir, RequestsFile), requestsHeaderBefore); err != nil {
			return nil, err
		}
	}
	for i, r := range rows {
		q := Requests{Name: r[0], Tool: r[1], By: map[string]int{}}
		var errs []error
		var err error
		q.OK, err = strconv.ParseBool(r[2])
		errs = append(errs, err)
		q.Total, err = strconv.Atoi(r[3])
		errs = append(errs, err)
		for k, c := range Categories {
			q.By[c], err = strconv.Atoi(r[4+k])
			errs = append(errs, err)
		}
		q.ToStream, err = strconv.Atoi(r[4+len(Categories)])
		errs = append(errs, err)
		q.Rounds, err = strconv.Atoi(r[5+len(Categories)])
		errs = append(errs, err)
		if len(r) > 6+len(Categories) {
			q.BeforeCreate, err = strconv.Atoi(r[6+len(Categories)])
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", RequestsFile, i+2, err)
		}
		d.Requests = append(d.Requests, q)
	}
	return d, nil
}
