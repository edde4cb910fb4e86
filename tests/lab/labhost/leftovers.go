package labhost

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Leftovers lists everything on the machine that still carries the run
// prefix: network namespaces, links, mounts, cgroups, processes and the
// state directory. Empty after a clean teardown; tests assert that, and
// cleanup.sh removes the same set for a crashed run.
func Leftovers(prefix string) []string {
	var out []string
	if b, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
				out = append(out, "netns "+f[0])
			}
		}
	}
	if b, err := exec.Command("ip", "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 1 {
				name := strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0]
				if strings.HasPrefix(name, prefix) {
					out = append(out, "link "+name)
				}
			}
		}
	}
	dir := filepath.Join(StateRoot, prefix)
	for _, m := range mountsUnder(dir) {
		out = append(out, "mount "+m)
	}
	if _, err := os.Stat(dir); err == nil {
		out = append(out, "dir "+dir)
	}
	for _, root := range cgroupRoots() {
		ms, _ := filepath.Glob(filepath.Join(root, "k3s-onprem-lab", prefix+"-*"))
		for _, m := range ms {
			out = append(out, "cgroup "+m)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), dir+"/") {
			out = append(out, "process "+filepath.Base(filepath.Dir(p))+": "+strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " "))
		}
	}
	return out
}
