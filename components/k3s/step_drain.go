package k3s

import (
	"strconv"

	"k3s-onprem/internal/hoststep"
)

// Steps run on the first server around one agent's restart; resources are
// <first server>-k3s-drain-<agent> and <first server>-k3s-uncordon-<agent>.
const (
	StepDrainPrefix    = "k3s-drain-"
	StepUncordonPrefix = "k3s-uncordon-"
)

// DefaultDrainSeconds bounds a drain when Drain.TimeoutSeconds is 0.
const DefaultDrainSeconds = 300

// Drain makes an agent's restart disruption-aware: the first server
// cordons and drains it (PodDisruptionBudgets respected) before its
// k3s-service step and uncordons it once the node is Ready again.
type Drain struct {
	// Via is the first server, whose admin kubeconfig drains.
	Via hoststep.Target
	// TimeoutSeconds bounds the drain (DefaultDrainSeconds when 0).
	TimeoutSeconds int
	// Batch names the agent's batch in messages ("2/3").
	Batch string
}

// DrainStep is the drain step for the agent of in. It carries the agent's
// restart key, so it runs exactly when the agent's k3s will restart.
func DrainStep(in StepsInput, d Drain) (hoststep.Step, error) {
	key, err := RestartKey(in)
	if err != nil {
		return hoststep.Step{}, err
	}
	seconds := d.TimeoutSeconds
	if seconds == 0 {
		seconds = DefaultDrainSeconds
	}
	return hoststep.Step{Name: StepDrainPrefix + in.Node.Name, Script: script("drain.sh"), Vars: map[string]string{
		"MEMBER": in.Node.Name, "RESTART_KEY": key, "DRAIN_SECONDS": strconv.Itoa(seconds), "BATCH": d.Batch,
	}}, nil
}

// UncordonStep makes the agent schedulable again after its restart. It
// carries the restart key too, so it runs after every drain.
func UncordonStep(in StepsInput, d Drain) (hoststep.Step, error) {
	key, err := RestartKey(in)
	if err != nil {
		return hoststep.Step{}, err
	}
	return hoststep.Step{Name: StepUncordonPrefix + in.Node.Name, Script: script("uncordon.sh"), Vars: map[string]string{
		"MEMBER": in.Node.Name, "RESTART_KEY": key, "BATCH": d.Batch,
	}}, nil
}
