package policies

// CISRef is a policy and the CIS controls its declaration cites (the cis
// field: "k3s CIS 1.2.16-1.2.19, 3.2.1"), for the cross-reference with the
// kube-bench expectation (components/cis).
type CISRef struct {
	Policy string
	CIS    string
}

// CISRefs lists every policy's CIS citation in pack order.
func CISRefs() []CISRef {
	var out []CISRef
	for _, e := range ordered(registered()) {
		out = append(out, CISRef{Policy: e.name, CIS: e.cis})
	}
	return out
}
