package stacks

import (
	"encoding/json"
	"fmt"
	"testing"

	"k3s-onprem/internal/plan"
)

// benchConfig is a valid stack with 3 servers and n agents on 10.0.0.0/16.
func benchConfig(agents int) map[string]string {
	var nodes []map[string]any
	add := func(name, role string, i int) {
		nodes = append(nodes, map[string]any{
			"name": name, "role": role, "internalAddress": fmt.Sprintf("10.0.%d.%d", i/250, i%250+1),
			"ssh": map[string]any{"hostKey": testKey1},
		})
	}
	for i := 0; i < 3; i++ {
		add(fmt.Sprintf("server-%d", i+1), RoleServer, i)
	}
	for i := 0; i < agents; i++ {
		add(fmt.Sprintf("agent-%d", i+1), RoleAgent, i+3)
	}
	j := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	return map[string]string{
		"nodes":          j(nodes),
		"network":        `{"internalCidr": "10.0.0.0/16"}`,
		"k3s":            `{"version": "v1.34.4+k3s1"}`,
		"vip":            `{"address": "10.0.255.100"}`,
		"loadBalancer":   `{"pools": [{"name": "internal", "range": "10.0.254.1-10.0.254.100", "network": "internal"}, {"name": "external", "range": "10.0.254.101-10.0.254.200", "network": "internal"}]}`,
		"hardening":      `{"permitRootLogin": "prohibit-password"}`,
		KeySSHPrivateKey: Placeholder,
	}
}

// BenchmarkDeploy runs the whole program under mocks for 3 servers + N
// agents; ns/op and allocs/op should grow linearly with N.
func BenchmarkDeploy(b *testing.B) {
	for _, agents := range []int{3, 30, 300} {
		cfg := benchConfig(agents)
		b.Run(fmt.Sprintf("agents=%d", agents), func(b *testing.B) {
			b.ReportAllocs()
			var resources int
			for i := 0; i < b.N; i++ {
				p, err := plan.Run(Project, "bench", cfg, []string{KeySSHPrivateKey}, Run)
				if err != nil {
					b.Fatal(err)
				}
				resources = len(p.Resources)
			}
			b.ReportMetric(float64(resources), "resources")
		})
	}
}

func TestBenchConfigIsValid(t *testing.T) {
	if _, v := Decode("bench", benchConfig(30)); v.Err() != nil {
		t.Fatal(v.Err())
	}
}
