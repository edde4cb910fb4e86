package k3s

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"path"
	"strconv"

	"k3s-onprem/internal/hoststep"
)

//go:embed scripts/*.sh
var scriptFS embed.FS

// script returns common.sh followed by the named step script.
func script(name string) string {
	common, err := scriptFS.ReadFile("scripts/common.sh")
	if err != nil {
		panic(err) // build-time invariant: the file is embedded
	}
	b, err := scriptFS.ReadFile("scripts/" + name)
	if err != nil {
		panic(fmt.Sprintf("embedded script %s missing: %v", name, err)) // build-time invariant
	}
	return string(common) + "\n" + string(b)
}

// Step names; resources are <node>-<step>.
const (
	StepVIPGate     = "k3s-vip-gate"
	StepToken       = "k3s-token"
	StepBinary      = "k3s-binary"
	StepConfig      = "k3s-config"
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

// NodeInput is everything one node's k3s steps are rendered from.
type NodeInput struct {
	Cluster ClusterConfig
	Node    NodeConfig
	Install Install
	// WaitSeconds bounds health waits (DefaultWaitSeconds when 0).
	WaitSeconds int
}

// artifact is the release asset name of the binary for an architecture.
func artifact(arch string) (string, error) {
	switch arch {
	case "amd64":
		return "k3s", nil
	case "arm64":
		return "k3s-arm64", nil
	}
	return "", fmt.Errorf("arch %q: want amd64 or arm64", arch)
}

// NodeSteps returns one node's k3s steps in chain order. It is pure, so the
// renderer, the mocks tests and the lab runner see the same steps.
//
// Server: token, binary, config, [selinux], service, permissions, gate.
// Agent: vip-gate, token, binary, config, [selinux], service, permissions.
func NodeSteps(in NodeInput) ([]hoststep.Step, error) {
	n := in.Node
	wait := in.WaitSeconds
	if wait == 0 {
		wait = DefaultWaitSeconds
	}
	waitVar := strconv.Itoa(wait)
	var steps []hoststep.Step
	if n.Role == RoleAgent {
		steps = append(steps, hoststep.Step{Name: StepVIPGate, Script: script("vipgate.sh"),
			Vars: map[string]string{"VIP": in.Cluster.VIP, "WAIT_SECONDS": waitVar}})
	}
	steps = append(steps, hoststep.Step{Name: StepToken, Script: script("token.sh"),
		Vars: map[string]string{"ROLE": n.Role, "TOKEN_FILE": TokenPath, "AGENT_TOKEN_FILE": AgentTokenPath}})
	bin, err := binaryStep(in)
	if err != nil {
		return nil, err
	}
	cfg, err := configStep(in)
	if err != nil {
		return nil, err
	}
	steps = append(steps, bin, cfg)
	restartInputs := []hoststep.Step{bin, cfg}
	if in.Cluster.SELinux {
		dropIn, err := RenderSELinuxDropIn()
		if err != nil {
			return nil, err
		}
		sel := hoststep.Step{Name: StepSELinux, Script: script("selinux.sh"),
			Files: []hoststep.File{{Path: SELinuxDropInPath, Mode: 0o600, Content: dropIn}},
			Vars:  map[string]string{"DROPIN": SELinuxDropInPath}}
		steps = append(steps, sel)
		restartInputs = append(restartInputs, sel)
	}
	unit, err := RenderUnit(n.Role)
	if err != nil {
		return nil, err
	}
	key, err := restartKey(restartInputs, unit)
	if err != nil {
		return nil, err
	}
	steps = append(steps, hoststep.Step{Name: StepService, Script: script("service.sh"),
		Files: []hoststep.File{{Path: UnitPath(n.Role), Mode: 0o600, Content: unit}},
		Vars: map[string]string{"ROLE": n.Role, "UNIT": UnitName(n.Role), "UNIT_PATH": UnitPath(n.Role),
			"NODE_NAME": n.Name, "RESTART_KEY": key, "WAIT_SECONDS": waitVar}})
	steps = append(steps, hoststep.Step{Name: StepPermissions, Script: script("permissions.sh")})
	if n.Role == RoleServer {
		steps = append(steps, hoststep.Step{Name: StepGate, Script: script("gate.sh"),
			Vars: map[string]string{"NODE_NAME": n.Name, "WAIT_SECONDS": waitVar}})
	}
	return steps, nil
}

// restartKey hashes what a running k3s must be restarted for: the binary
// step (version, checksums), the config step (config.yaml and policy
// files), the SELinux drop-in and the unit. Tokens are not in it: they never
// change for a running cluster.
func restartKey(steps []hoststep.Step, unit []byte) (string, error) {
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

// binaryStep installs the pinned binary. Airgap files are copied by the
// component into the step's directory as hoststep uploads (too big for text
// assets) and verified here against the configured checksums.
func binaryStep(in NodeInput) (hoststep.Step, error) {
	art, err := artifact(in.Install.Arch)
	if err != nil {
		return hoststep.Step{}, fmt.Errorf("node %s: %w", in.Node.Name, err)
	}
	vars := map[string]string{
		"VERSION": in.Cluster.Version, "ARCH": in.Install.Arch, "ARTIFACT": art,
		"AIRGAP_IMAGES_DIR": AirgapImagesDir,
		"AIRGAP":            "0", "VERIFY_CHECKSUM": "0",
		// Defined in both modes (empty when unused): binary.sh runs
		// under set -u (TestGraph_StepScriptsDefineWhatTheyRead).
		"BINARY_SHA256": "", "IMAGES_NAME": "", "IMAGES_SHA256": "", "RELEASE_URL": "",
	}
	if in.Install.VerifyChecksum {
		vars["VERIFY_CHECKSUM"] = "1"
	}
	if a := in.Install.Airgap; a != nil {
		vars["AIRGAP"] = "1"
		vars["BINARY_SHA256"] = a.BinarySHA256
		if a.ImagesPath != "" {
			vars["IMAGES_NAME"] = path.Base(a.ImagesPath)
			vars["IMAGES_SHA256"] = a.ImagesSHA256
		}
	} else {
		vars["RELEASE_URL"] = in.Install.ReleaseURL
	}
	return hoststep.Step{Name: StepBinary, Script: script("binary.sh"), Vars: vars}, nil
}

// configStep places config.yaml and, on servers, the files the API server
// flags reference (ServerFiles).
func configStep(in NodeInput) (hoststep.Step, error) {
	cfg, err := RenderConfig(in.Cluster, in.Node)
	if err != nil {
		return hoststep.Step{}, err
	}
	files := []hoststep.File{{Path: ConfigPath, Mode: 0o600, Content: cfg}}
	if in.Node.Role == RoleServer {
		sf, err := ServerFiles(in.Cluster)
		if err != nil {
			return hoststep.Step{}, err
		}
		for _, p := range sortedKeys(sf) {
			files = append(files, hoststep.File{Path: p, Mode: 0o600, Content: sf[p]})
		}
	}
	return hoststep.Step{Name: StepConfig, Script: script("config.sh"), Files: files,
		Vars: map[string]string{"ROLE": in.Node.Role}}, nil
}
