// Command refresh rewrites components/cis/facts/kube-bench-<tag>.json from
// a kube-bench git snapshot (the fetch tool's mirror): the release's asset
// names, the benchmark kube-bench picks per k3s minor (cmd/util.go) and
// every check of those benchmarks (cfg/<benchmark>/<target>.yaml): ids,
// types, tested flags and what the audit reads. No upstream prose is kept.
//
//	go run ./components/cis/refresh -git /work/.mirror/aquasecurity+kube-bench/repo -tag v0.15.6
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"k3s-onprem/components/cis"
	"k3s-onprem/internal/upstream"
)

func main() {
	gitDir := flag.String("git", "", "kube-bench git directory (a bare mirror is fine)")
	tag := flag.String("tag", cis.KubeBenchVersion, "release tag")
	out := flag.String("out", "", "output file (default components/cis/facts/kube-bench-<tag>.json)")
	flag.Parse()
	if *gitDir == "" {
		fmt.Fprintln(os.Stderr, "refresh: -git is required")
		os.Exit(2)
	}
	if *out == "" {
		*out = "components/cis/facts/kube-bench-" + *tag + ".json"
	}
	f, err := build(*gitDir, *tag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "refresh:", err)
		os.Exit(1)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "refresh:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "refresh:", err)
		os.Exit(1)
	}
}

func show(gitDir, rev, path string) ([]byte, error) {
	cmd := exec.Command("git", "-C", gitDir, "show", rev+":"+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git show %s:%s: %v: %s", rev, path, err, stderr.String())
	}
	return b, nil
}

var (
	caseLine    = regexp.MustCompile(`case ((?:"[0-9.]+",?\s*)+):\s*return "([a-z0-9.-]+)"`)
	defaultLine = regexp.MustCompile(`default:\s*return "([a-z0-9.-]+)"`)
	quoted      = regexp.MustCompile(`"([0-9.]+)"`)
)

// benchmarkMapping reads k3sBenchmark's switch in cmd/util.go.
func benchmarkMapping(util string) (map[string]string, string, error) {
	start := strings.Index(util, "func k3sBenchmark(")
	if start < 0 {
		return nil, "", fmt.Errorf("cmd/util.go: no k3sBenchmark")
	}
	body := util[start:]
	if end := strings.Index(body, "\n}\n"); end > 0 {
		body = body[:end]
	}
	m := map[string]string{}
	for _, c := range caseLine.FindAllStringSubmatch(body, -1) {
		for _, v := range quoted.FindAllStringSubmatch(c[1], -1) {
			m[v[1]] = c[2]
		}
	}
	d := defaultLine.FindStringSubmatch(body)
	if len(m) == 0 || d == nil {
		return nil, "", fmt.Errorf("cmd/util.go: k3sBenchmark's switch not understood")
	}
	return m, d[1], nil
}

type configFile struct {
	TargetMapping map[string][]string `yaml:"target_mapping"`
}

type controlsFile struct {
	Type   string `yaml:"type"`
	Groups []struct {
		ID     string `yaml:"id"`
		Checks []struct {
			ID          string `yaml:"id"`
			Type        string `yaml:"type"`
			Audit       string `yaml:"audit"`
			AuditConfig string `yaml:"audit_config"`
			Scored      bool   `yaml:"scored"`
			Tests       *struct {
				BinOp     string `yaml:"bin_op"`
				TestItems []struct {
					Flag    string `yaml:"flag"`
					Path    string `yaml:"path"`
					Set     *bool  `yaml:"set"`
					Compare *struct {
						Op    string `yaml:"op"`
						Value any    `yaml:"value"`
					} `yaml:"compare"`
				} `yaml:"test_items"`
			} `yaml:"tests"`
		} `yaml:"checks"`
	} `yaml:"groups"`
}

var (
	journalComponent = regexp.MustCompile(`Running (kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy)`)
	fallbackEcho     = regexp.MustCompile(`else echo "(--[a-z-]+=[^"]*)"`)
	statTarget       = regexp.MustCompile(`(?:stat|find)\s[^|;]*?(\$[a-z]+|/(?:var|etc)/[^\s;'"|)]+)`)
)

// audits classifies what a check's audit commands read.
func audits(audit, auditConfig string) []string {
	set := map[string]bool{}
	for _, m := range journalComponent.FindAllStringSubmatch(audit, -1) {
		set["journal:"+m[1]] = true
	}
	for _, m := range statTarget.FindAllStringSubmatch(audit, -1) {
		set["file:"+m[1]] = true
	}
	if strings.Contains(audit, "kubectl") {
		set["kubectl"] = true
	}
	switch {
	case strings.Contains(auditConfig, "$etcdconf"):
		set["etcd-config"] = true
	case strings.Contains(auditConfig, "$kubeletconf"):
		set["kubelet-config"] = true
	}
	if len(set) == 0 {
		return []string{"none"}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func build(gitDir, tag string) (*cis.Facts, error) {
	commit, err := exec.Command("git", "-C", gitDir, "rev-parse", tag+"^{commit}").Output()
	if err != nil {
		return nil, fmt.Errorf("rev-parse %s: %w", tag, err)
	}
	util, err := show(gitDir, tag, "cmd/util.go")
	if err != nil {
		return nil, err
	}
	byMinor, fallback, err := benchmarkMapping(string(util))
	if err != nil {
		return nil, err
	}
	cfgYAML, err := show(gitDir, tag, "cfg/config.yaml")
	if err != nil {
		return nil, err
	}
	var cfg configFile
	if err := yaml.Unmarshal(cfgYAML, &cfg); err != nil {
		return nil, fmt.Errorf("cfg/config.yaml: %w", err)
	}
	names := map[string]bool{fallback: true}
	for _, b := range byMinor {
		names[b] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	paths := []string{"cmd/util.go (k3sBenchmark)", "cfg/config.yaml (target_mapping)", ".goreleaser.yml (archives)"}
	f := &cis.Facts{
		Release: cis.Release{
			Version: tag, Commit: strings.TrimSpace(string(commit)),
			Asset:     "kube-bench_{version}_linux_{arch}.tar.gz",
			Checksums: "kube-bench_{version}_checksums.txt",
			ConfigDir: "cfg", Binary: "kube-bench",
		},
		BenchmarkByMinor: byMinor, Fallback: fallback,
	}
	for _, name := range sorted {
		targets := cfg.TargetMapping[name]
		if len(targets) == 0 {
			return nil, fmt.Errorf("cfg/config.yaml: no target_mapping for %s", name)
		}
		b := cis.Benchmark{Name: name, Targets: targets}
		for _, t := range []string{"master", "etcd", "controlplane", "node", "policies"} {
			p := "cfg/" + name + "/" + t + ".yaml"
			raw, err := show(gitDir, tag, p)
			if err != nil {
				return nil, err
			}
			paths = append(paths, p)
			var c controlsFile
			if err := yaml.Unmarshal(raw, &c); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			for _, g := range c.Groups {
				for _, ch := range g.Checks {
					typ := ch.Type
					if typ == "" {
						typ = cis.TypeAutomated
					}
					fc := cis.Check{ID: ch.ID, Target: c.Type, Group: g.ID, Type: typ, Scored: ch.Scored,
						Audits: audits(ch.Audit, ch.AuditConfig)}
					if m := fallbackEcho.FindStringSubmatch(ch.Audit); m != nil {
						fc.Fallback = m[1]
					}
					if ch.Tests != nil {
						fc.BinOp = ch.Tests.BinOp
						for _, ti := range ch.Tests.TestItems {
							t := cis.Test{Flag: ti.Flag, Path: ti.Path, Set: ti.Set}
							if ti.Compare != nil {
								t.Op = ti.Compare.Op
								if ti.Compare.Value != nil {
									t.Value = fmt.Sprint(ti.Compare.Value)
								}
							}
							fc.Tests = append(fc.Tests, t)
						}
					}
					b.Checks = append(b.Checks, fc)
				}
			}
		}
		f.Benchmarks = append(f.Benchmarks, b)
	}
	f.Source = upstream.Source{
		Repo: "aquasecurity/kube-bench", Paths: paths, Tag: tag, Commit: f.Release.Commit,
		Note: "asset and checksum names: .goreleaser.yml's archives name_template and goreleaser's default checksum name (the file sets none); " +
			"the checksums file lists the sha256 of every archive",
		Read:    time.Now().UTC().Format("2006-01-02"),
		Refresh: "go run ./components/cis/refresh -git <kube-bench mirror> -tag " + tag,
	}
	return f, nil
}
