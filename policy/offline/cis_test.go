package offline

import "testing"

// TestProdWithKubeBenchPassesThePack: the CIS phase (kube-bench on every
// node, pinned archive) adds no violation to the prod stack.
func TestProdWithKubeBenchPassesThePack(t *testing.T) {
	enable := func(raw map[string]string) {
		raw["cis"] = `{"kubeBench": {"enabled": true, "sha256": {"amd64": "` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"}}}`
	}
	if vs := check(t, "prod", enable, nil, nil); len(vs) > 0 {
		t.Fatalf("%d violations:\n%s", len(vs), dump(vs))
	}
}
