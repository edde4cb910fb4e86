package k3s

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/golden"
	"k3s-onprem/internal/hoststep"
)

func snapshotCluster(s3 bool) ClusterConfig {
	c := testCluster(versions["1.34"])
	c.EtcdSnapshots = &EtcdSnapshots{ScheduleCron: "0 */6 * * *", Retention: 28, Dir: "/var/lib/rancher/k3s/server/db/snapshots"}
	if s3 {
		c.EtcdSnapshots.S3 = &EtcdS3{Endpoint: "minio.example.internal:9000", Bucket: "etcd", Folder: "prod", Region: "us-east-1", AccessKey: "k3s-prod"}
	}
	return c
}

func TestGolden_ConfigWithEtcdSnapshots(t *testing.T) {
	for name, s3 := range map[string]bool{"local": false, "s3": true} {
		got, err := RenderConfig(snapshotCluster(s3), server0)
		if err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, "config-server0-snapshots-"+name+".yaml", got)
	}
	// Agents take no etcd flags.
	got, err := RenderConfig(snapshotCluster(true), agent)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "etcd-") {
		t.Errorf("agent config has etcd keys:\n%s", got)
	}
}

func TestGolden_EtcdS3SecretDropIn(t *testing.T) {
	got, err := RenderEtcdS3SecretDropIn()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "etcd-s3-secret-dropin.yaml.in", got)
}

// TestEtcdS3Step_OnlyWithS3 checks the step's place: servers with S3 only,
// after config and before the service.
func TestEtcdS3Step_OnlyWithS3(t *testing.T) {
	names := func(c ClusterConfig, n NodeConfig) string {
		steps, err := HostSteps(StepsInput{Cluster: c, Node: n, Install: Install{Arch: "amd64"}})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range steps {
			out = append(out, s.Name)
		}
		return strings.Join(out, " ")
	}
	if got := names(snapshotCluster(true), server1); !strings.Contains(got, StepConfig+" "+StepEtcdS3+" ") || strings.Index(got, StepEtcdS3) > strings.Index(got, StepService) {
		t.Errorf("server steps with S3: %s", got)
	}
	for _, c := range []struct {
		cluster ClusterConfig
		node    NodeConfig
	}{{snapshotCluster(false), server0}, {snapshotCluster(true), agent}, {testCluster(versions["1.34"]), server0}} {
		if got := names(c.cluster, c.node); strings.Contains(got, StepEtcdS3) {
			t.Errorf("%s: %s", c.node.Name, got)
		}
	}
}

// TestEtcdS3Step_WritesSecretFromStdin runs the step's real script with its
// paths in a temp dir: the secret (with a quote, slash, plus) arrives on
// stdin, lands 0600 as a YAML string that parses back to exactly it, is in
// no staged file, and a second run changes nothing. k3s is not running
// (the unit does not exist), so nothing restarts.
func TestEtcdS3Step_WritesSecretFromStdin(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("install_staged installs files as root")
	}
	steps, err := HostSteps(StepsInput{Cluster: snapshotCluster(true), Node: server0, Install: Install{Arch: "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	var step hoststep.Step
	for _, s := range steps {
		if s.Name == StepEtcdS3 {
			step = s
		}
	}
	dir := t.TempDir()
	step.Files[0].Path = filepath.Join(dir, "etcd-s3-secret.yaml.in")
	step.Vars["TEMPLATE"] = step.Files[0].Path
	step.Vars["DROPIN"] = filepath.Join(dir, "config.yaml.d", "60-etcd-s3-secret.yaml")
	step.Vars["UNIT"] = "k3s-onprem-test-absent.service"
	b, err := step.Render()
	if err != nil {
		t.Fatal(err)
	}
	stepDir := filepath.Join(dir, "steps", StepEtcdS3)
	if err := os.MkdirAll(stepDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range b.Files {
		if err := os.WriteFile(filepath.Join(stepDir, filepath.Base(f.RemotePath)), f.Content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	secret := `wJalr'XUtnFEMI/K7MDENG+bPxRfiCY=&`
	for _, f := range b.Files {
		if strings.Contains(string(f.Content), secret) {
			t.Fatalf("%s holds the secret", f.RemotePath)
		}
	}
	run := func() string {
		cmd := exec.Command("bash", filepath.Join(stepDir, "run.sh"), "apply")
		cmd.Stdin = strings.NewReader(secret + "\n")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if strings.Contains(string(out), secret) {
			t.Errorf("the step printed the secret:\n%s", out)
		}
		return lines[len(lines)-1]
	}
	if got := run(); got != "changed" {
		t.Fatalf("first run: %s", got)
	}
	content, err := os.ReadFile(step.Vars["DROPIN"])
	if err != nil {
		t.Fatal(err)
	}
	var parsed map[string]string
	if err := yaml.Unmarshal(content, &parsed); err != nil || parsed["etcd-s3-secret-key"] != secret {
		t.Fatalf("drop-in parses to %q (%v):\n%s", parsed, err, content)
	}
	if st, _ := os.Stat(step.Vars["DROPIN"]); st.Mode().Perm() != 0o600 {
		t.Errorf("drop-in mode %o", st.Mode().Perm())
	}
	if got := run(); got != "unchanged" {
		t.Errorf("second run: %s", got)
	}
}
