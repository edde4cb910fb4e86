package k3s

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
)

// Rotation steps; resources are <node>-<step>.
const (
	StepRotateCerts     = "k3s-rotate-certs"
	StepEncryptRotate   = "k3s-encrypt-rotate"
	StepEncryptRestart  = "k3s-encrypt-restart"
	StepCertExpiry      = "k3s-cert-expiry"
	ServingCertPath     = "/var/lib/rancher/k3s/server/tls/serving-kube-apiserver.crt"
	rotationNeverRaised = "its rotation generation is 0"
)

// Rotation holds the generations of what k3s rotates itself (see
// stacks.Rotation); raising one rotates on the next run.
type Rotation struct {
	Certificates      int
	SecretsEncryption int
	// Tokens are the join tokens' generations (token_rotation.go).
	Tokens TokenGenerations
}

// rotateCertsStep renews the node's certificates, last in its chain: on a
// server after its gate (so servers rotate one at a time), on an agent
// after its permissions step (agents after every server).
var rotateCertsStep = hoststep.Def[StepsInput]{
	Name: StepRotateCerts,
	Skip: func(in StepsInput) string {
		if in.Rotation.Certificates == 0 {
			return rotationNeverRaised
		}
		return ""
	},
	Build: func(in StepsInput) (hoststep.Step, error) {
		return hoststep.Step{Name: StepRotateCerts, Script: script("restart.sh", "rotatecerts.sh"), Vars: map[string]string{
			"ROLE": in.Node.Role, "UNIT": UnitName(in.Node.Role), "NODE_NAME": in.Node.Name,
			"GENERATION": strconv.Itoa(in.Rotation.Certificates), "WAIT_SECONDS": in.waitSeconds(),
		}}, nil
	},
}

// EncryptRotateStep runs rotate-keys on the first server (node).
func EncryptRotateStep(node string, generation int) hoststep.Step {
	return hoststep.Step{Name: StepEncryptRotate, Script: script("encryptrotate.sh"), Vars: encryptVars(node, generation)}
}

// EncryptRestartStep restarts one server for the new key.
func EncryptRestartStep(node string, generation int) hoststep.Step {
	return hoststep.Step{Name: StepEncryptRestart, Script: script("restart.sh", "encryptrestart.sh"), Vars: encryptVars(node, generation)}
}

func encryptVars(node string, generation int) map[string]string {
	return map[string]string{"NODE_NAME": node, "UNIT": UnitName(RoleServer), "GENERATION": strconv.Itoa(generation),
		"WAIT_SECONDS": strconv.Itoa(DefaultWaitSeconds)}
}

// EncryptionRotation registers the secrets-encryption key rotation for a
// raised generation: rotate-keys on the first server after every server's
// gate (after), then a restart of each server, one at a time. It returns
// the last restart (after itself when generation is 0: nothing to do).
func EncryptionRotation(ctx *pulumi.Context, servers []*Server, names []string, generation int, after []pulumi.Resource) ([]pulumi.Resource, error) {
	if generation == 0 {
		return after, nil
	}
	if len(servers) == 0 || len(names) != len(servers) {
		return nil, fmt.Errorf("encryption rotation: %d servers, %d names", len(servers), len(names))
	}
	prev, err := hoststep.Apply(ctx, servers[0].Target, EncryptRotateStep(names[0], generation),
		hoststep.Options{}, pulumi.Parent(servers[0]), pulumi.DependsOn(after))
	if err != nil {
		return nil, err
	}
	for i, s := range servers {
		if prev, err = hoststep.Apply(ctx, s.Target, EncryptRestartStep(names[i], generation), hoststep.Options{},
			pulumi.Parent(s), pulumi.DependsOn([]pulumi.Resource{prev})); err != nil {
			return nil, err
		}
	}
	return []pulumi.Resource{prev}, nil
}

// CertExpiryStep prints the serving certificate's notAfter; it carries
// the restart key and the certificates generation, so it runs after every
// restart through the program and every rotation.
func CertExpiryStep(in StepsInput) (hoststep.Step, error) {
	key, err := RestartKey(in)
	if err != nil {
		return hoststep.Step{}, err
	}
	return hoststep.Step{Name: StepCertExpiry, Script: script("certexpiry.sh"), Vars: map[string]string{
		"NODE_NAME": in.Node.Name, "CERT": ServingCertPath, "RESTART_KEY": key,
		"GENERATION": strconv.Itoa(in.Rotation.Certificates), "WAIT_SECONDS": in.waitSeconds(),
	}}, nil
}

// CertExpiry registers a server's serving-certificate check after its
// gate and returns its notAfter (RFC 3339) from the step's stdout. The
// step runs again when the server restarts through the program or its
// certificates are rotated.
func CertExpiry(ctx *pulumi.Context, s *Server, in StepsInput) (pulumi.StringOutput, error) {
	step, err := CertExpiryStep(in)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	cmd, err := hoststep.Apply(ctx, s.Target, step, hoststep.Options{}, pulumi.Parent(s), pulumi.DependsOn([]pulumi.Resource{s.Gate}))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return cmd.Stdout.ApplyT(func(out string) string {
		for _, line := range splitLines(out) {
			if line != "changed" && line != "unchanged" && line != "" {
				return line
			}
		}
		return ""
	}).(pulumi.StringOutput), nil
}
