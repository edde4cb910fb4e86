package cis

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Report is kube-bench's --json output with totals (check/controls.go,
// OverallControls, v0.15.6): the struct has no json tags, so its keys are
// the Go field names.
type Report struct {
	Controls []Controls `json:"Controls"`
	Totals   Totals     `json:"Totals"`
}

// Controls is one target's results (check.Controls).
type Controls struct {
	ID      string  `json:"id"`
	Version string  `json:"version"`
	Type    string  `json:"node_type"`
	Groups  []Group `json:"tests"`
	Totals
}

// Group is one section (check.Group).
type Group struct {
	ID     string        `json:"section"`
	Pass   int           `json:"pass"`
	Fail   int           `json:"fail"`
	Warn   int           `json:"warn"`
	Info   int           `json:"info"`
	Checks []CheckResult `json:"results"`
}

// CheckResult is one check's result (check.Check). Only identifiers and
// states are read: actual_value and the audit output may quote the k3s
// journal, so they are never copied into outputs.
type CheckResult struct {
	ID     string `json:"test_number"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Scored bool   `json:"scored"`
}

// Totals are the summary counts (check.Summary).
type Totals struct {
	Pass int `json:"total_pass"`
	Fail int `json:"total_fail"`
	Warn int `json:"total_warn"`
	Info int `json:"total_info"`
}

// kube-bench's states (check.State).
const (
	StatePass = "PASS"
	StateFail = "FAIL"
	StateWarn = "WARN"
	StateInfo = "INFO"
)

// Report markers frame the JSON in the host step's stdout (the step
// library prints its changed/unchanged line after it).
const (
	ReportBegin = "---- kube-bench report begin ----"
	ReportEnd   = "---- kube-bench report end ----"
)

// ParseReport reads kube-bench's JSON, alone or framed by the markers.
func ParseReport(out []byte) (*Report, error) {
	if i := bytes.Index(out, []byte(ReportBegin)); i >= 0 {
		rest := out[i+len(ReportBegin):]
		j := bytes.Index(rest, []byte(ReportEnd))
		if j < 0 {
			return nil, fmt.Errorf("kube-bench report: %q without %q", ReportBegin, ReportEnd)
		}
		out = rest[:j]
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimSpace(out)))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("kube-bench report: %w", err)
	}
	if len(r.Controls) == 0 {
		return nil, fmt.Errorf("kube-bench report: no controls (was it run with --json and without --noresults?)")
	}
	return &r, nil
}

// Summary is one node's result as the stack output carries it: counts per
// state, the failing ids, and the comparison with the expectation.
type Summary struct {
	Node      string   `json:"node"`
	Benchmark string   `json:"benchmark"`
	Pass      int      `json:"pass"`
	Fail      int      `json:"fail"`
	Warn      int      `json:"warn"`
	Info      int      `json:"info"`
	Failing   []string `json:"failing"`
	// Unexpected are checks expected to pass that did not (FAIL or WARN),
	// as "id: state". Lists keep kube-bench's (benchmark) order.
	Unexpected []string `json:"unexpected"`
	// NowPassing are checks expected to fail that passed.
	NowPassing []string `json:"nowPassing"`
	// Unknown are reported checks the expectation does not list.
	Unknown []string `json:"unknown"`
}

// Summarize counts a node's results and compares them with its
// expectation. Counts are recomputed from the results, not copied from
// kube-bench's totals, so a truncated report cannot look clean.
func Summarize(node, benchmark string, r *Report, expected []Expectation) Summary {
	s := Summary{Node: node, Benchmark: benchmark, Failing: []string{}, Unexpected: []string{}, NowPassing: []string{}, Unknown: []string{}}
	want := map[string]Outcome{}
	for _, e := range expected {
		want[e.ID] = e.Outcome
	}
	for _, c := range r.Controls {
		for _, g := range c.Groups {
			for _, ch := range g.Checks {
				switch ch.Status {
				case StatePass:
					s.Pass++
				case StateFail:
					s.Fail++
					s.Failing = append(s.Failing, ch.ID)
				case StateWarn:
					s.Warn++
				case StateInfo:
					s.Info++
				}
				o, ok := want[ch.ID]
				switch {
				case !ok:
					s.Unknown = append(s.Unknown, ch.ID)
				case o == ExpectPass && ch.Status != StatePass:
					s.Unexpected = append(s.Unexpected, ch.ID+": "+ch.Status)
				case o == ExpectFail && ch.Status == StatePass:
					s.NowPassing = append(s.NowPassing, ch.ID)
				}
			}
		}
	}
	return s
}
