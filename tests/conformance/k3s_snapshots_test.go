package conformance

import (
	"os"
	"path/filepath"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/upstream"
)

// TestK3sEtcdSnapshotKeys checks the etcd-snapshot and etcd-s3 keys the k3s
// component renders (its snapshot goldens and the S3 secret drop-in) against
// the server flags of every k3s minor the stack config accepts, and that an
// agent would refuse them (they are server-only).
func TestK3sEtcdSnapshotKeys(t *testing.T) {
	dir := filepath.Join(repoRoot, "components", "k3s", "testdata")
	for _, name := range []string{"config-server0-snapshots-local.yaml.golden", "config-server0-snapshots-s3.yaml.golden", "etcd-s3-secret-dropin.yaml.in.golden"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, minor := range acceptedMinors() {
			checkRenderedK3sFile(t, name, minor, k3s.RoleServer, b)
		}
	}
	problems, err := upstream.CheckK3sConfig(34, k3s.RoleAgent, []byte("etcd-snapshot-retention: 5\n"))
	if err != nil || len(problems) != 1 {
		t.Errorf("an agent should refuse etcd-snapshot-retention: %v %q", err, problems)
	}
}
