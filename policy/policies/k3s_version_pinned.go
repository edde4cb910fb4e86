package policies

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"regexp"
	"strings"

	"k3s-onprem/internal/hoststep"
)

// binaryStep is the host step of components/k3s that installs the binary;
// its run.sh carries the airgap checksum as a variable.
const binaryStep = "k3s-binary"

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// unpinnedInstall matches install paths that fetch whatever a channel
// points at today: the piped get.k3s.io script and its channel variable.
var unpinnedInstall = regexp.MustCompile(`get\.k3s\.io|INSTALL_K3S_CHANNEL`)

// k3s-version-pinned: a channel ("stable", "latest") changes under the stack,
// so two runs install different binaries, and an unverified download runs
// whatever the network hands over as root on every node.
var _ = register(resourceRule{
	name:  "k3s-version-pinned",
	order: 50,
	level: policyx.EnforcementLevelMandatory,
	cis:   "CIS Linux 1.2 (software integrity); no k3s CIS control",
	what:  "k3s nodes (`k3s-onprem:k3s:Server/Agent` inputs) install a full release tag (no channel) with `verifyChecksum` on or air-gapped; the air-gap binary has a sha256; no command installs via `get.k3s.io` or `INSTALL_K3S_CHANNEL`",
	check: func(c *resourceCheck) {
		switch {
		case c.typeIn("k3s-onprem:k3s:Server", "k3s-onprem:k3s:Agent"):
			checkK3sNode(c)
		case c.isRemote():
			checkInstallCommand(c)
		}
	},
})

// checkK3sNode judges the version and verification a k3s node records.
func checkK3sNode(c *resourceCheck) {
	v := at(c.props, "version")
	if s, ok := v.Str(); ok && !k3sTagRE.MatchString(s) {
		c.report("k3s node %s installs %q: set k3s.version to a full release tag such as v1.34.4+k3s1 (channels are not pinned)", c.r.Name, s)
	}
	verify, airgap := at(c.props, "verifyChecksum"), at(c.props, "airgap")
	if verify.Unknown() || airgap.Unknown() {
		return
	}
	vb, _ := verify.Bool()
	ab, _ := airgap.Bool()
	if !vb && !ab {
		c.report("k3s node %s installs an unverified binary: remove k3s.verifyChecksum: false (it defaults to true), or install air-gapped with k3s.airgap.binarySha256", c.r.Name)
	}
}

// checkInstallCommand rejects other install paths and checks the airgap
// checksum the binary step verifies against.
func checkInstallCommand(c *resourceCheck) {
	for _, key := range []string{"create", "update"} {
		if s, ok := at(c.props, key).Str(); ok && unpinnedInstall.MatchString(s) {
			c.report("command %s installs k3s from a channel or the get.k3s.io script: install through the k3s component with k3s.version pinned", c.r.Name)
		}
	}
	f, ok := asHostFile(c.r)
	if !ok || f.unknown || !strings.HasSuffix(f.staged, "/run.sh") {
		return
	}
	if step, _, _ := hoststep.ParseStagedPath(f.staged); step != binaryStep {
		return
	}
	vars := hoststep.ScriptVars(f.text)
	if vars["AIRGAP"] == "1" && !sha256RE.MatchString(vars["BINARY_SHA256"]) {
		c.report("node %s copies an air-gapped k3s binary without a valid sha256: set k3s.airgap.binarySha256 from the release's sha256sum file", f.host)
	}
}
