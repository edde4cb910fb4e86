//go:build engine

// Package engine_test drives the real program (stacks.Run) through the real
// Pulumi engine: the CLI built from the Go module proxy by build.sh, the
// Automation API's inline program (no Go language host), a local file
// backend, the passphrase secrets provider, and the test provider plugins
// under plugins/ against lab hosts (tests/lab/labhost). See README.md.
package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optremove"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"sigs.k8s.io/yaml"

	"k3s-onprem/stacks"
)

// pulumiVersion is the CLI build.sh builds by default: the version of our
// sdk/v3 (go.mod).
const pulumiVersion = "v3.276.0"

// passphrase protects the lab stacks' secrets (PULUMI_CONFIG_PASSPHRASE, as
// the README tells users for the local backend).
const passphrase = "engine-tier-lab-passphrase"

// engineDir is where build.sh caches the CLI and the test plugins.
func engineDir() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "k3s-onprem", "pulumi", pulumiVersion)
}

// skipOrFail skips with the reason, or fails under CI=true (like tests/lab).
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// requireEngine returns the cache dir with the CLI and all three plugins.
func requireEngine(t *testing.T) string {
	t.Helper()
	dir := engineDir()
	for _, b := range []string{"pulumi", "pulumi-resource-command", "pulumi-resource-random", "pulumi-resource-tls"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			skipOrFail(t, "%s not built: run bash tests/engine/build.sh (%v)", b, err)
		}
	}
	return dir
}

// engineStack is one stack in its own workspace, backend and PULUMI_HOME.
type engineStack struct {
	auto.Stack
	Work string
}

// newStack creates stack name with the project settings of the repository's
// Pulumi.yaml (its config schema included), then writes the stack's
// config the way a user edits Pulumi.<stack>.yaml, and sets the secrets
// with `pulumi config set --secret`.
func newStack(t *testing.T, ctx context.Context, name string, config map[string]any, secrets map[string]string) *engineStack {
	t.Helper()
	dir := requireEngine(t)
	root := t.TempDir()
	work, backend, home, cliRoot := filepath.Join(root, "work"), filepath.Join(root, "backend"), filepath.Join(root, "home"), filepath.Join(root, "cli")
	for _, d := range []string{work, backend, home, filepath.Join(cliRoot, "bin")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// auto.NewPulumiCommand wants Root/bin/pulumi.
	if err := os.Symlink(filepath.Join(dir, "pulumi"), filepath.Join(cliRoot, "bin", "pulumi")); err != nil {
		t.Fatal(err)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: cliRoot, SkipVersionCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := workspace.LoadProject("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	proj.Backend = &workspace.ProjectBackend{URL: "file://" + backend}
	env := map[string]string{
		"PULUMI_CONFIG_PASSPHRASE": passphrase,
		// The workspace's own backend: an operator's PULUMI_BACKEND_URL
		// (the Makefile exports one) would win over the project's.
		"PULUMI_BACKEND_URL": "file://" + backend,
		// The test plugins are found on PATH (ambient plugins); nothing
		// may be downloaded.
		"PATH":                     dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK":    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
	}
	s, err := auto.UpsertStackInlineSource(ctx, name, proj.Name.String(), stacks.Run,
		auto.Project(*proj), auto.WorkDir(work), auto.PulumiHome(home), auto.SecretsProvider("passphrase"),
		auto.EnvVars(env), auto.Pulumi(cmd))
	if err != nil {
		t.Fatal(err)
	}
	es := &engineStack{Stack: s, Work: work}
	es.writeConfig(t, config)
	for k, v := range secrets {
		if err := s.SetConfig(ctx, k, auto.ConfigValue{Value: v, Secret: true}); err != nil {
			t.Fatalf("pulumi config set --secret %s: %v", k, err)
		}
	}
	t.Cleanup(func() {
		// Remove the stack's record; the lab itself is torn down by labhost.
		_ = s.Workspace().RemoveStack(context.Background(), name, optremove.Force())
	})
	return es
}

// writeConfig replaces the plain config of the stack file, keeping what
// `pulumi stack init` wrote (encryption salt) and any secure values.
func (s *engineStack) writeConfig(t *testing.T, config map[string]any) {
	t.Helper()
	path := filepath.Join(s.Work, "Pulumi."+s.Name()+".yaml")
	doc := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
	}
	merged := map[string]any{}
	if old, ok := doc["config"].(map[string]any); ok {
		for k, v := range old {
			if m, ok := v.(map[string]any); ok && m["secure"] != nil {
				merged[k] = v
			}
		}
	}
	for k, v := range config {
		merged[k] = v
	}
	doc["config"] = merged
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readStackConfig is the config map of a committed Pulumi.<stack>.yaml.
func readStackConfig(t *testing.T, stack string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../Pulumi." + stack + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config map[string]any `json:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Config
}

// deepCopy copies a YAML/JSON config value.
func deepCopy(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// recorder collects engine events of one operation.
type recorder struct {
	mu     sync.Mutex
	ch     chan events.EngineEvent
	done   chan struct{}
	steps  map[string]apitype.OpType // URN -> op of its final step
	policy []apitype.PolicyEvent
	diags  []apitype.DiagnosticEvent
}

func newRecorder() *recorder {
	r := &recorder{ch: make(chan events.EngineEvent), done: make(chan struct{}), steps: map[string]apitype.OpType{}}
	go func() {
		defer close(r.done)
		for e := range r.ch {
			r.mu.Lock()
			switch {
			case e.ResOutputsEvent != nil:
				r.steps[e.ResOutputsEvent.Metadata.URN] = e.ResOutputsEvent.Metadata.Op
			case e.ResourcePreEvent != nil && e.ResourcePreEvent.Metadata.Op != apitype.OpSame:
				if _, ok := r.steps[e.ResourcePreEvent.Metadata.URN]; !ok {
					r.steps[e.ResourcePreEvent.Metadata.URN] = e.ResourcePreEvent.Metadata.Op
				}
			case e.PolicyEvent != nil:
				r.policy = append(r.policy, *e.PolicyEvent)
			case e.DiagnosticEvent != nil:
				r.diags = append(r.diags, *e.DiagnosticEvent)
			}
			r.mu.Unlock()
		}
	}()
	return r
}

// wait blocks until the event stream is closed (auto closes it after the
// operation).
func (r *recorder) wait() { <-r.done }

// changed lists the URNs whose step was not "same", by op.
func (r *recorder) changed() map[apitype.OpType][]string {
	out := map[apitype.OpType][]string{}
	for urn, op := range r.steps {
		if op != apitype.OpSame && op != apitype.OpRead {
			out[op] = append(out[op], urn)
		}
	}
	return out
}
