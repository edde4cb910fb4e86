package k3s

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"k3s-onprem/internal/hoststep"
)

// serviceStep places the unit and (re)starts k3s when anything in
// restartOn changed.
var serviceStep = hoststep.Def[StepsInput]{
	Name: StepService,
	Build: func(in StepsInput) (hoststep.Step, error) {
		n := in.Node
		unit, err := RenderUnit(n.Role)
		if err != nil {
			return hoststep.Step{}, err
		}
		key, err := restartKey(in, unit)
		if err != nil {
			return hoststep.Step{}, err
		}
		return hoststep.Step{Name: StepService, Script: script("restart.sh", "service.sh"),
			Files: []hoststep.File{{Path: UnitPath(n.Role), Mode: 0o600, Content: unit,
				Renderer: hoststep.Renderer{Func: "k3s.RenderUnit", Source: "components/k3s/unit.go"}}},
			Vars: map[string]string{"ROLE": n.Role, "UNIT": UnitName(n.Role), "UNIT_PATH": UnitPath(n.Role),
				"NODE_NAME": n.Name, "RESTART_KEY": key, "WAIT_SECONDS": in.waitSeconds()}}, nil
	},
}

// restartOn are the steps a running k3s must be restarted for: the binary
// (version, checksums), the config (config.yaml and policy files) and the
// SELinux drop-in. Tokens are not among them: a raised token generation
// restarts k3s through its own steps (token_rotation.go), after the
// cluster accepts the new token.
var restartOn = []hoststep.Def[StepsInput]{binaryStep, configStep, selinuxStep}

// RestartKey is the hash k3s-service compares to decide on a restart: a
// change of it means the node's k3s restarts on the next run.
func RestartKey(in StepsInput) (string, error) {
	unit, err := RenderUnit(in.Node.Role)
	if err != nil {
		return "", err
	}
	return restartKey(in, unit)
}

// restartKey hashes the bundles of the restartOn steps that run on this
// node, and the unit.
func restartKey(in StepsInput, unit []byte) (string, error) {
	steps, err := hoststep.Build(restartOn, in.Node.Role, in)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, s := range steps {
		b, err := s.Render()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s=%s\n", s.Name, b.Hash)
	}
	h.Write(unit)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
