// Command falcofacts refreshes the Falco fact tables in
// internal/upstream/facts from a local git mirror of an upstream repository
// (as brought by the search tool's fetch, or any clone). It records facts
// only: rule, macro and list names, rule priorities, enabled flags and tags,
// required versions; for falco.yaml the plugin, rules-file and priority
// settings the deployment builds on. Run internal/upstream/falco-refresh.sh
// for the whole set.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/upstream"
)

// The tables this tool writes are the types internal/upstream reads.
type (
	source        = upstream.FalcoSource
	rule          = upstream.FalcoRule
	pluginVersion = upstream.FalcoPluginVersion
	ruleFacts     = upstream.FalcoRuleFile
	configFacts   = upstream.FalcoConfig
)

func main() {
	gitDir := flag.String("git", "", "git directory of the upstream mirror")
	repo := flag.String("repo", "", "upstream owner/name, recorded in the table")
	tag := flag.String("tag", "", "tag to read")
	file := flag.String("file", "", "rules file (or falco.yaml with -config) inside the repository")
	config := flag.Bool("config", false, "read falco.yaml settings instead of a rules file")
	out := flag.String("out", "", "JSON file to write")
	flag.Parse()
	if *gitDir == "" || *repo == "" || *tag == "" || *file == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: falcofacts -git DIR -repo OWNER/NAME -tag TAG -file PATH [-config] -out FILE")
		os.Exit(2)
	}
	if err := run(*gitDir, *repo, *tag, *file, *config, *out); err != nil {
		fmt.Fprintln(os.Stderr, "falcofacts:", err)
		os.Exit(1)
	}
}

func git(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"--git-dir", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return b, nil
}

func run(gitDir, repo, tag, file string, config bool, out string) error {
	commit, err := git(gitDir, "rev-list", "-n1", tag)
	if err != nil {
		return err
	}
	src := source{
		Repo: repo, File: file, Tag: tag, Commit: strings.TrimSpace(string(commit)),
		Read:    time.Now().UTC().Format("2006-01-02"),
		Refresh: "internal/upstream/falco-refresh.sh (falcofacts -repo " + repo + " -tag " + tag + " -file " + file + ")",
	}
	text, err := git(gitDir, "show", tag+":"+file)
	if err != nil {
		return err
	}
	var v any
	if config {
		v, err = readConfig(gitDir, tag, text, src)
	} else {
		v, err = readRules(text, src)
	}
	if err != nil {
		return fmt.Errorf("%s at %s: %w", file, tag, err)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case float64:
		return fmt.Sprint(t)
	}
	return fmt.Sprint(v)
}

func strs(v any) []string {
	a, _ := v.([]any)
	out := []string{}
	for _, e := range a {
		out = append(out, str(e))
	}
	return out
}

func readRules(text []byte, src source) (ruleFacts, error) {
	var items []map[string]any
	if err := yaml.Unmarshal(text, &items); err != nil {
		return ruleFacts{}, err
	}
	f := ruleFacts{Source: src, Rules: []rule{}, Macros: []string{}, Lists: []string{}}
	for _, it := range items {
		// An item that appends to or overrides an earlier definition
		// defines nothing new.
		if it["append"] == true || it["override"] != nil {
			continue
		}
		switch {
		case it["required_engine_version"] != nil:
			f.RequiredEngineVersion = str(it["required_engine_version"])
		case it["required_plugin_versions"] != nil:
			for _, p := range it["required_plugin_versions"].([]any) {
				m, _ := p.(map[string]any)
				f.RequiredPluginVersions = append(f.RequiredPluginVersions, pluginVersion{Name: str(m["name"]), Version: str(m["version"])})
			}
		case it["rule"] != nil:
			r := rule{Name: str(it["rule"]), Priority: strings.ToUpper(str(it["priority"])), Tags: strs(it["tags"])}
			if e, ok := it["enabled"].(bool); ok {
				r.Enabled = &e
			}
			f.Rules = append(f.Rules, r)
		case it["macro"] != nil:
			f.Macros = append(f.Macros, str(it["macro"]))
		case it["list"] != nil:
			f.Lists = append(f.Lists, str(it["list"]))
		}
	}
	return f, nil
}

func readConfig(gitDir, tag string, text []byte, src source) (configFacts, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal(text, &cfg); err != nil {
		return configFacts{}, err
	}
	f := configFacts{Source: src, Priority: str(cfg["priority"]), RulesFiles: strs(cfg["rules_files"]),
		LoadPlugins: strs(cfg["load_plugins"]), ConfigFiles: []string{}, Plugins: []string{},
		PackagedConfigD: map[string][]string{}}
	for _, c := range cfg["config_files"].([]any) {
		if m, ok := c.(map[string]any); ok {
			f.ConfigFiles = append(f.ConfigFiles, str(m["path"]))
		} else {
			f.ConfigFiles = append(f.ConfigFiles, str(c))
		}
	}
	for _, p := range cfg["plugins"].([]any) {
		f.Plugins = append(f.Plugins, str(p.(map[string]any)["name"]))
	}
	// The package installs config/*.yaml under /etc/falco/config.d.
	names, err := git(gitDir, "ls-tree", "--name-only", tag, "config/")
	if err != nil {
		return f, err
	}
	for _, n := range strings.Fields(string(names)) {
		b, err := git(gitDir, "show", tag+":"+n)
		if err != nil {
			return f, err
		}
		var d map[string]any
		if err := yaml.Unmarshal(b, &d); err != nil {
			return f, fmt.Errorf("%s: %w", n, err)
		}
		f.PackagedConfigD[strings.TrimPrefix(n, "config/")] = strs(d["load_plugins"])
	}
	unit, err := git(gitDir, "show", tag+":scripts/systemd/falco-modern-bpf.service")
	if err != nil {
		return f, err
	}
	for _, l := range strings.Split(string(unit), "\n") {
		if s, ok := strings.CutPrefix(l, "ExecStart="); ok {
			f.ServiceExecStart = s
		}
	}
	return f, nil
}
