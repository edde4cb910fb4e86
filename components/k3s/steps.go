package k3s

import (
	"embed"
	"fmt"
	"strconv"
	"strings"

	"k3s-onprem/internal/hoststep"
)

//go:embed scripts/*.sh
var scriptFS embed.FS

// script returns common.sh followed by the named step scripts (helpers
// first, the step's own script last).
func script(names ...string) string {
	var sb strings.Builder
	for _, name := range append([]string{"common.sh"}, names...) {
		b, err := scriptFS.ReadFile("scripts/" + name)
		if err != nil {
			panic(fmt.Sprintf("embedded script %s missing: %v", name, err)) // build-time invariant
		}
		if sb.Len() > 0 {
			sb.WriteString("\n")
		}
		sb.Write(b)
	}
	return sb.String()
}

// Step names; resources are <node>-<step>.
const (
	StepVIPGate     = "k3s-vip-gate"
	StepToken       = "k3s-token"
	StepBinary      = "k3s-binary"
	StepConfig      = "k3s-config"
	StepEtcdS3      = "k3s-etcd-s3"
	StepSELinux     = "k3s-selinux"
	StepService     = "k3s-service"
	StepPermissions = "k3s-permissions"
	StepGate        = "k3s-gate"
	StepKubeconfig  = "k3s-kubeconfig"
)

// DefaultWaitSeconds bounds every health wait: long enough for a first
// start that pulls images, short enough that a broken node fails the run.
const DefaultWaitSeconds = 600

// Install selects how the k3s binary reaches a node.
type Install struct {
	// ReleaseURL is the download base; the version and asset name are appended.
	ReleaseURL string
	// VerifyChecksum checks the download against sha256sum-<arch>.txt.
	VerifyChecksum bool
	// Arch is amd64 or arm64.
	Arch string
	// Airgap copies operator-side files instead of downloading.
	Airgap *Airgap
}

// Airgap names files on the operator's machine and their checksums.
type Airgap struct {
	BinaryPath   string
	BinarySHA256 string
	ImagesPath   string
	ImagesSHA256 string
}

// StepsInput is everything one node's k3s steps are rendered from.
type StepsInput struct {
	Cluster ClusterConfig
	Node    NodeConfig
	Install Install
	// WaitSeconds bounds health waits (DefaultWaitSeconds when 0).
	WaitSeconds int
	// Rotation are the generations of the node-level rotations.
	Rotation Rotation
}

// waitSeconds is WaitSeconds or its default, as the scripts read it.
func (in StepsInput) waitSeconds() string {
	if in.WaitSeconds == 0 {
		return strconv.Itoa(DefaultWaitSeconds)
	}
	return strconv.Itoa(in.WaitSeconds)
}

// stepOrder is one node's k3s steps in chain order (one step_<name>.go
// each). Server: token, binary, config, [selinux], service, permissions,
// gate, [rotate-certs]. Agent: vip-gate, token, binary, config, [selinux],
// service, permissions, [rotate-certs], [token-restart]. Servers with S3
// snapshots add etcd-s3 after config. (Servers' token restarts run outside
// their chains, one server at a time: TokenRotation.)
var stepOrder = []hoststep.Def[StepsInput]{
	vipGateStep, tokenStep, binaryStep, configStep, etcdS3Step, selinuxStep, serviceStep, permissionsStep, gateStep, rotateCertsStep,
	agentTokenRestartStep,
}

// HostSteps returns one node's k3s steps in chain order. It is pure, so
// the renderer, the mocks tests and the lab runner see the same steps.
func HostSteps(in StepsInput) ([]hoststep.Step, error) {
	return hoststep.Build(stepOrder, in.Node.Role, in)
}

func splitLines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }
