package policies

import (
	"regexp"
	"strconv"
)

// k3sTagRE matches a pinned k3s release tag (v1.34.4+k3s1, also -rcN);
// channel names (stable, latest, v1.34) do not match. It is the same
// pattern stacks.ParseK3sVersion uses; the pack does not import stacks
// because that would link the whole program (every component and the
// Kubernetes SDK) into the analyzer binary.
var k3sTagRE = regexp.MustCompile(`^v1\.(\d+)\.\d+(?:-rc\d+)?\+k3s\d+$`)

// kubeMinor returns the Kubernetes minor version of a k3s release tag.
func kubeMinor(tag string) (int, bool) {
	m := k3sTagRE.FindStringSubmatch(tag)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}
