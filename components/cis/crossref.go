package cis

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// PolicyCitation is a policy of the pack and its cis declaration
// (policy/policies.CISRefs).
type PolicyCitation struct {
	Policy string
	CIS    string
}

var (
	citedRun = regexp.MustCompile(`(?:k3s|Kubernetes) CIS ((?:\d+(?:\.\d+)+(?:-\d+(?:\.\d+)+)?(?:,\s*)?)+)`)
	citedID  = regexp.MustCompile(`(\d+(?:\.\d+)+)(?:-(\d+(?:\.\d+)+))?`)
)

// CitedIDs are the benchmark ids a cis declaration names ("k3s CIS
// 1.2.16-1.2.19, 3.2.1" -> 1.2.16 1.2.17 1.2.18 1.2.19 3.2.1). Section 5
// of the k3s benchmarks keeps the Kubernetes benchmark's numbering, so
// "Kubernetes CIS" citations count too; "CIS Linux" ones do not.
func CitedIDs(cis string) []string {
	var ids []string
	for _, run := range citedRun.FindAllStringSubmatch(cis, -1) {
		for _, m := range citedID.FindAllStringSubmatch(run[1], -1) {
			if m[2] == "" {
				ids = append(ids, m[1])
				continue
			}
			i, j := strings.LastIndex(m[1], "."), strings.LastIndex(m[2], ".")
			from, err1 := strconv.Atoi(m[1][i+1:])
			to, err2 := strconv.Atoi(m[2][j+1:])
			if err1 != nil || err2 != nil || m[1][:i] != m[2][:j] || to < from {
				ids = append(ids, m[1], m[2])
				continue
			}
			for n := from; n <= to; n++ {
				ids = append(ids, m[1][:i+1]+strconv.Itoa(n))
			}
		}
	}
	return ids
}

// CrossRow is one CIS id of the cross-reference.
type CrossRow struct {
	ID       string
	Outcome  Outcome // on a server; "" when the benchmark has no such id
	By       string  // the claim, when the program makes it pass
	Policies []string
}

// CrossReference joins a benchmark's server expectation, the program's
// claims and the policy pack's citations by CIS id, in benchmark order;
// cited ids the benchmark lacks come last.
func CrossReference(b *Benchmark, server []Expectation, policies []PolicyCitation) []CrossRow {
	cited := map[string][]string{}
	for _, p := range policies {
		for _, id := range CitedIDs(p.CIS) {
			cited[id] = append(cited[id], p.Policy)
		}
	}
	by := map[string]string{}
	for _, c := range Claims[b.Name] {
		by[c.ID] = c.By
	}
	outcome, reason := map[string]Outcome{}, map[string]string{}
	for _, e := range server {
		outcome[e.ID], reason[e.ID] = e.Outcome, e.Reason
	}
	var rows []CrossRow
	seen := map[string]bool{}
	for _, c := range b.Checks {
		if _, ok := by[c.ID]; !ok && cited[c.ID] == nil {
			continue
		}
		seen[c.ID] = true
		r := CrossRow{ID: c.ID, Outcome: outcome[c.ID], By: by[c.ID], Policies: cited[c.ID]}
		switch {
		case r.By != "":
		case r.Outcome == ExpectPass:
			r.By = "k3s itself: " + reason[c.ID]
		case r.Outcome == ExpectManual:
			r.By = "kube-bench leaves it to a human; the policy rule checks the rendered objects before deployment"
		case r.Outcome == ExpectReview:
			r.By = "kube-bench reads the live cluster; the policy rule checks the rendered objects before deployment"
		}
		rows = append(rows, r)
	}
	for _, p := range policies {
		for _, id := range CitedIDs(p.CIS) {
			if !seen[id] {
				seen[id] = true
				rows = append(rows, CrossRow{ID: id, Policies: cited[id]})
			}
		}
	}
	return rows
}

// RenderCrossReference renders the rows as the top README's table;
// neighbouring ids with the same outcome, reason and policies share a
// line ("4.1.3-4.1.8").
func RenderCrossReference(bench string, rows []CrossRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| CIS ID (%s) | kube-bench on a server | what makes it pass | policy rule |\n|---|---|---|---|\n", bench)
	line := func(r CrossRow) string {
		o := string(r.Outcome)
		if o == "" {
			o = "not in " + bench
		}
		pol := make([]string, len(r.Policies))
		for i, p := range r.Policies {
			pol[i] = "`" + p + "`"
		}
		return fmt.Sprintf("| %s | %s | %s |", o, r.By, strings.Join(pol, ", "))
	}
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && line(rows[j]) == line(rows[i]) && follows(rows[j-1].ID, rows[j].ID) {
			j++
		}
		id := rows[i].ID
		if j-i > 1 {
			id += "-" + rows[j-1].ID
		}
		fmt.Fprintf(&b, "| %s %s\n", id, line(rows[i]))
		i = j
	}
	return b.String()
}

// follows: b is the id right after a in one section (1.1.14, 1.1.15).
func follows(a, b string) bool {
	i, j := strings.LastIndex(a, "."), strings.LastIndex(b, ".")
	if i < 0 || j < 0 || a[:i] != b[:j] {
		return false
	}
	x, err1 := strconv.Atoi(a[i+1:])
	y, err2 := strconv.Atoi(b[j+1:])
	return err1 == nil && err2 == nil && y == x+1
}
