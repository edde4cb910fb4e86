package k3s

import (
	"fmt"
	"path"

	"k3s-onprem/internal/hoststep"
)

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

// binaryStep installs the pinned binary. Airgap files are copied by the
// component into the step's directory as hoststep uploads (too big for text
// assets) and verified here against the configured checksums.
var binaryStep = hoststep.Def[StepsInput]{
	Name:  StepBinary,
	Build: buildBinary,
}

func buildBinary(in StepsInput) (hoststep.Step, error) {
	art, err := artifact(in.Install.Arch)
	if err != nil {
		return hoststep.Step{}, fmt.Errorf("node %s: %w", in.Node.Name, err)
	}
	vars := map[string]string{
		"VERSION": in.Cluster.Version, "ARCH": in.Install.Arch, "ARTIFACT": art, "NODE_NAME": in.Node.Name,
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
	return hoststep.Step{Name: StepBinary, Script: script("uninstall.sh", "binary.sh"), Vars: vars}, nil
}
