package cis

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
)

func syntheticReport(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/synthetic/kube-bench-k3s-cis-1.9-server.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseReport_SyntheticMatchesItsTotals: the parser reads every check
// of the synthetic report and its recount equals the report's own totals.
func TestParseReport_SyntheticMatchesItsTotals(t *testing.T) {
	r, err := ParseReport(syntheticReport(t))
	if err != nil {
		t.Fatal(err)
	}
	bench, es := expectFor(t, "v1.34.4+k3s1", k3s.RoleServer)
	s := Summarize("server-1", bench, r, es)
	got := Totals{Pass: s.Pass, Fail: s.Fail, Warn: s.Warn, Info: s.Info}
	if got != r.Totals {
		t.Errorf("recount %+v, report totals %+v", got, r.Totals)
	}
	if n := s.Pass + s.Fail + s.Warn + s.Info; n != len(es) {
		t.Errorf("%d results, %d expectations for a server", n, len(es))
	}
	if len(s.Unknown) != 0 {
		t.Errorf("checks not in the expectation: %v", s.Unknown)
	}
}

// TestSummarize_FlagsAPassExpectedCheckThatFailed: 1.2.16 is expected to
// pass (the rendered audit-log-path) and fails in the synthetic report.
func TestSummarize_FlagsAPassExpectedCheckThatFailed(t *testing.T) {
	r, err := ParseReport(syntheticReport(t))
	if err != nil {
		t.Fatal(err)
	}
	bench, es := expectFor(t, "v1.34.4+k3s1", k3s.RoleServer)
	s := Summarize("server-1", bench, r, es)
	if !slices.Equal(s.Unexpected, []string{"1.2.16: FAIL"}) {
		t.Errorf("unexpected = %v, want [1.2.16: FAIL]", s.Unexpected)
	}
	if !slices.Equal(s.NowPassing, []string{"1.2.20"}) {
		t.Errorf("nowPassing = %v, want [1.2.20]", s.NowPassing)
	}
	if !slices.Contains(s.Failing, "1.2.16") || slices.Contains(s.Failing, "1.2.20") {
		t.Errorf("failing = %v", s.Failing)
	}
	// A pass-expected check reported WARN is unexpected too.
	r.Controls[0].Groups[0].Checks = append(r.Controls[0].Groups[0].Checks, CheckResult{ID: "1.1.13", Status: StateWarn})
	if s := Summarize("server-1", bench, r, es); !slices.Contains(s.Unexpected, "1.1.13: WARN") {
		t.Errorf("a WARN on a pass-expected check is not flagged: %v", s.Unexpected)
	}
}

// TestSummarize_CarriesNoFreeText: the summary (a plain stack output)
// holds ids and counts only, none of the report's free text (which on a
// real node may quote the k3s journal).
func TestSummarize_CarriesNoFreeText(t *testing.T) {
	r, err := ParseReport(syntheticReport(t))
	if err != nil {
		t.Fatal(err)
	}
	bench, es := expectFor(t, "v1.34.4+k3s1", k3s.RoleServer)
	b, err := json.Marshal(Summarize("server-1", bench, r, es))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "synthetic") {
		t.Errorf("summary carries report text: %s", b)
	}
}

func TestParseReport_FramedAndBroken(t *testing.T) {
	framed := "kube-bench: installed\n" + ReportBegin + "\n" + string(syntheticReport(t)) + "\n" + ReportEnd + "\nchanged\n"
	if _, err := ParseReport([]byte(framed)); err != nil {
		t.Errorf("framed report: %v", err)
	}
	for name, in := range map[string]string{
		"unterminated": ReportBegin + "{}",
		"not json":     "kube-bench: error",
		"no controls":  `{"Controls":[],"Totals":{}}`,
	} {
		if _, err := ParseReport([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSummaryOutput(t *testing.T) {
	bench, es := expectFor(t, "v1.34.4+k3s1", k3s.RoleServer)
	v, err := SummaryOutput("server-1", bench, "", es)
	if err != nil || v.(map[string]any)["report"] != "missing" {
		t.Errorf("empty stdout: %v, %v", v, err)
	}
	if _, err := SummaryOutput("server-1", bench, "kube-bench: error\nchanged\n", es); err == nil {
		t.Error("a stdout without a report is accepted")
	}
	framed := ReportBegin + "\n" + string(syntheticReport(t)) + "\n" + ReportEnd + "\nchanged\n"
	v, err = SummaryOutput("server-1", bench, framed, es)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if m["fail"] != float64(4) || len(m["unexpected"].([]any)) != 1 {
		t.Errorf("summary = %v", m)
	}
}
