package stacks

import (
	"sort"
	"strings"
	"testing"
)

// TestValidate_UpgradePath: with k3s.previousVersion set, a downgrade and
// a skipped minor are refused before anything is registered, naming
// k3s.version and the fix; one minor up, a patch or a k3s build is fine.
func TestValidate_UpgradePath(t *testing.T) {
	cases := []struct {
		prev, next string
		want       string // "" = allowed; else a phrase of the message
	}{
		{"v1.34.4+k3s1", "v1.34.4+k3s1", ""},
		{"v1.34.4+k3s1", "v1.34.5+k3s1", ""},
		{"v1.34.4+k3s1", "v1.34.4+k3s2", ""},
		{"v1.34.4+k3s1", "v1.35.1+k3s1", ""},
		{"v1.35.0-rc1+k3s1", "v1.35.1+k3s1", ""},
		{"v1.34.4+k3s1", "v1.36.3+k3s1", "first set k3s.version to the newest v1.35.x release"},
		{"v1.34.4+k3s1", "v1.33.9+k3s1", "downgrades are not supported: set k3s.version back to v1.34.4+k3s1"},
		{"v1.34.4+k3s1", "v1.34.3+k3s1", "downgrades are not supported"},
		{"v1.34.4+k3s2", "v1.34.4+k3s1", "downgrades are not supported"},
	}
	for _, tc := range cases {
		s := validSpec()
		s.K3s.Version, s.K3s.PreviousVersion = tc.next, tc.prev
		s.ApplyDefaults("test")
		v := s.Validate()
		if tc.want == "" {
			if len(v.Errors) > 0 {
				t.Errorf("%s -> %s refused: %v", tc.prev, tc.next, v.Err())
			}
			continue
		}
		if got := errorSet(v); strings.Join(got, " ") != "FieldValueForbidden::k3s.version" {
			t.Errorf("%s -> %s: errors %v, want one on k3s.version", tc.prev, tc.next, got)
			continue
		}
		if msg := v.Errors[0].Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "k3s.version") {
			t.Errorf("%s -> %s: message %q lacks %q", tc.prev, tc.next, msg, tc.want)
		}
	}
	s := validSpec()
	s.K3s.PreviousVersion = "stable"
	s.ApplyDefaults("test")
	if got := errorSet(s.Validate()); strings.Join(got, " ") != "FieldValueInvalid::k3s.previousVersion" {
		t.Errorf("a channel as previousVersion: %v", got)
	}
}

func TestValidate_UpgradeAndRotationSettings(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(s *ClusterSpec)
		want   []string
	}{
		{"batch and percent", func(s *ClusterSpec) { s.K3s.Upgrade.AgentBatch, s.K3s.Upgrade.AgentBatchPercent = 2, 50 },
			[]string{"FieldValueInvalid::k3s.upgrade.agentBatchPercent"}},
		{"negative batch", func(s *ClusterSpec) { s.K3s.Upgrade.AgentBatch = -1 }, []string{"FieldValueInvalid::k3s.upgrade.agentBatch"}},
		{"percent over 100", func(s *ClusterSpec) { s.K3s.Upgrade.AgentBatchPercent = 101 }, []string{"FieldValueInvalid::k3s.upgrade.agentBatchPercent"}},
		{"drain timeout not a duration", func(s *ClusterSpec) { s.K3s.Upgrade.DrainTimeout = "5 minutes" }, []string{"FieldValueInvalid::k3s.upgrade.drainTimeout"}},
		{"drain timeout too short", func(s *ClusterSpec) { s.K3s.Upgrade.DrainTimeout = "5s" }, []string{"FieldValueInvalid::k3s.upgrade.drainTimeout"}},
		{"negative generation", func(s *ClusterSpec) { s.Rotation.Certificates = -1 }, []string{"FieldValueInvalid::rotation.certificates"}},
		{"rotate-keys before 1.30.5", func(s *ClusterSpec) {
			s.K3s.Version = "v1.30.4+k3s1"
			s.Rotation.SecretsEncryption = 1
		}, []string{"FieldValueForbidden::rotation.secretsEncryption"}},
		{"negative token generation", func(s *ClusterSpec) { s.Rotation.AgentToken = -2 }, []string{"FieldValueInvalid::rotation.agentToken"}},
		{"token rotate before 1.28.3", func(s *ClusterSpec) {
			s.K3s.Version = "v1.28.2+k3s1"
			s.Rotation.ClusterToken = 1
		}, []string{"FieldValueForbidden::rotation.clusterToken"}},
	}
	for _, tc := range cases {
		s := validSpec()
		tc.mutate(s)
		s.ApplyDefaults("test")
		got := errorSet(s.Validate())
		sort.Strings(tc.want)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: errors %v, want %v", tc.name, got, tc.want)
		}
	}
	s := validSpec()
	s.K3s.Version = "v1.30.5+k3s1"
	s.Rotation = Rotation{SecretsEncryption: 1, Certificates: 2, VIPPassword: 1, ResponderToken: 1, ResponderTLS: 1, ClusterToken: 1, AgentToken: 3}
	s.ApplyDefaults("test")
	if v := s.Validate(); len(v.Errors) > 0 {
		t.Errorf("rotation on v1.30.5 refused: %v", v.Err())
	}
	s = validSpec()
	s.K3s.Version = "v1.28.3+k3s1"
	s.Rotation = Rotation{ClusterToken: 1}
	s.ApplyDefaults("test")
	if v := s.Validate(); len(v.Errors) > 0 {
		t.Errorf("token rotation on v1.28.3 refused: %v", v.Err())
	}
}

// TestAgentBatches: a count, a percentage rounded up, the default of one.
func TestAgentBatches(t *testing.T) {
	names := func(bs [][]Node) string {
		var out []string
		for _, b := range bs {
			var ns []string
			for _, n := range b {
				ns = append(ns, n.Name)
			}
			out = append(out, strings.Join(ns, ","))
		}
		return strings.Join(out, " | ")
	}
	spec := func(u Upgrade, agents int) *ClusterSpec {
		s := &ClusterSpec{Nodes: []Node{{Name: "s1", Role: RoleServer}}}
		for i := 1; i <= agents; i++ {
			s.Nodes = append(s.Nodes, Node{Name: "a" + string(rune('0'+i)), Role: RoleAgent})
		}
		s.K3s.Upgrade = u
		s.ApplyDefaults("test")
		return s
	}
	for _, tc := range []struct {
		u      Upgrade
		agents int
		want   string
	}{
		{Upgrade{}, 3, "a1 | a2 | a3"},
		{Upgrade{AgentBatch: 2}, 5, "a1,a2 | a3,a4 | a5"},
		{Upgrade{AgentBatch: 9}, 3, "a1,a2,a3"},
		{Upgrade{AgentBatchPercent: 25}, 5, "a1,a2 | a3,a4 | a5"},
		{Upgrade{AgentBatchPercent: 25}, 8, "a1,a2 | a3,a4 | a5,a6 | a7,a8"},
		{Upgrade{AgentBatchPercent: 1}, 3, "a1 | a2 | a3"},
		{Upgrade{AgentBatchPercent: 100}, 3, "a1,a2,a3"},
		{Upgrade{AgentBatch: 2}, 0, ""},
	} {
		if got := names(spec(tc.u, tc.agents).AgentBatches()); got != tc.want {
			t.Errorf("%+v with %d agents: %q, want %q", tc.u, tc.agents, got, tc.want)
		}
	}
	if got := spec(Upgrade{}, 1).DrainSeconds(); got != 300 {
		t.Errorf("default drain timeout %d s, want 300", got)
	}
}
