package k3s

import (
	"fmt"
	"regexp"
	"strconv"
)

var versionRE = regexp.MustCompile(`^v1\.(\d+)\.\d+(?:-rc\d+)?\+k3s\d+$`)

// Minor returns the Kubernetes minor version of a k3s release tag
// (v1.34.4+k3s1 -> 34). Flags that exist only for some Kubernetes versions
// are chosen by it. stacks validates the tag first; this parse only guards
// direct callers of the renderers.
func Minor(version string) (int, error) {
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		return 0, fmt.Errorf("k3s version %q: want a release tag such as v1.34.4+k3s1", version)
	}
	return strconv.Atoi(m[1])
}
