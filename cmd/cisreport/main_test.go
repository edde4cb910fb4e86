package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun_WritesReportAndFailsOnUnexpected: the stack output becomes
// cis-report.tsv/.json; an unexpected failure makes the exit code 1.
func TestRun_WritesReportAndFailsOnUnexpected(t *testing.T) {
	output := `{"kubeBench":"v0.15.6","benchmark":"k3s-cis-1.9","nodes":[
	 {"node":"server-1","benchmark":"k3s-cis-1.9","pass":76,"fail":4,"warn":35,"info":14,"failing":["1.2.3","1.2.11","1.2.16","4.2.13"],"unexpected":["1.2.16: FAIL"],"nowPassing":["1.2.20"],"unknown":[]},
	 {"node":"agent-1","benchmark":"k3s-cis-1.9","report":"missing"}]}`
	dir := filepath.Join(t.TempDir(), "prod")
	var w bytes.Buffer
	code, err := run(strings.NewReader(output), dir, &w)
	if err != nil {
		t.Fatal(err)
	}
	if code != 1 || !strings.Contains(w.String(), "server-1: 1.2.16: FAIL") {
		t.Errorf("code %d, output:\n%s", code, w.String())
	}
	tsv, err := os.ReadFile(filepath.Join(dir, "cis-report.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server-1\tk3s-cis-1.9\t76\t4\t35\t14\t1.2.3,1.2.11,1.2.16,4.2.13\t1.2.16: FAIL\t1.2.20\n", "agent-1\tk3s-cis-1.9\tmissing"} {
		if !strings.Contains(string(tsv), want) {
			t.Errorf("cis-report.tsv lacks %q:\n%s", want, tsv)
		}
	}
	if _, err := run(strings.NewReader(`{"nodes":[]}`), dir, &w); err == nil {
		t.Error("an empty output is accepted")
	}
}
