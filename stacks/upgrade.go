package stacks

import (
	"time"
)

// AgentBatches splits the agents, in stack order, into the batches they
// are installed and upgraded in: k3s.upgrade.agentBatch agents each, or
// agentBatchPercent of them rounded up (at least one). Batch N+1 starts
// only after every agent of batch N is Ready and uncordoned.
func (s *ClusterSpec) AgentBatches() [][]Node {
	agents := s.Agents()
	size := s.K3s.Upgrade.AgentBatch
	if p := s.K3s.Upgrade.AgentBatchPercent; p > 0 {
		size = (len(agents)*p + 99) / 100
	}
	size = max(size, 1)
	var out [][]Node
	for i := 0; i < len(agents); i += size {
		out = append(out, agents[i:min(i+size, len(agents))])
	}
	return out
}

// DrainSeconds is k3s.upgrade.drainTimeout in seconds (validated).
func (s *ClusterSpec) DrainSeconds() int {
	d, err := time.ParseDuration(s.K3s.Upgrade.DrainTimeout)
	if err != nil {
		return 0
	}
	return int(d / time.Second)
}
