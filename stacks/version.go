package stacks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// K3sVersion is a parsed k3s release tag such as v1.34.4+k3s1.
type K3sVersion struct {
	Major, Minor, Patch int
	Build               string // "k3s1"
	Raw                 string
}

var k3sVersionRE = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)(?:-rc\d+)?\+(k3s\d+)$`)

// Supported k3s minor versions (inclusive). Each needs a flag fact table
// (internal/upstream/facts/k3s-v1.<minor>.json) before it is accepted.
// v1.37 waits for a release commit readable here (see internal/upstream).
const (
	MinK3sMinor = 24
	MaxK3sMinor = 36
)

// NewestK3s is the newest stable k3s release this program knows; the
// example version for new stacks and what `make versions` compares pins with.
const NewestK3s = "v1.36.4+k3s1"

// ParseK3sVersion parses a full release tag; channel names ("stable",
// "latest") and tags without the +k3sN suffix are rejected because they do
// not pin a binary.
func ParseK3sVersion(s string) (K3sVersion, error) {
	m := k3sVersionRE.FindStringSubmatch(s)
	if m == nil {
		return K3sVersion{}, fmt.Errorf("must be a full k3s release tag like v1.34.4+k3s1")
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	patch, _ := strconv.Atoi(m[3])
	return K3sVersion{Major: major, Minor: minor, Patch: patch, Build: m[4], Raw: s}, nil
}

// Less orders releases: major, minor, patch, then the k3s build number
// (v1.34.4+k3s2 is newer than v1.34.4+k3s1). Release candidates sort
// with their release.
func (v K3sVersion) Less(o K3sVersion) bool {
	a := []int{v.Major, v.Minor, v.Patch, v.buildNumber()}
	b := []int{o.Major, o.Minor, o.Patch, o.buildNumber()}
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func (v K3sVersion) buildNumber() int {
	n, _ := strconv.Atoi(strings.TrimPrefix(v.Build, "k3s"))
	return n
}

// AtLeast reports whether v >= 1.minor.
func (v K3sVersion) AtLeast(minor int) bool { return v.Major > 1 || v.Minor >= minor }

// KubeMinor is the Kubernetes minor of k3s.version (34 for v1.34.4+k3s1).
// Deploy runs on validated specs only, where the version parses; 0 means
// an unvalidated spec.
func (s *ClusterSpec) KubeMinor() int {
	v, err := ParseK3sVersion(s.K3s.Version)
	if err != nil {
		return 0
	}
	return v.Minor
}
