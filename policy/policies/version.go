package policies

import (
	"regexp"
	"strconv"
)

// k3sTagRE matches a pinned k3s release tag (v1.34.4+k3s1, also -rcN);
// channel names (stable, latest, v1.34) do not match.
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
