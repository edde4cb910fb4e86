package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRestore_PrintsThePlanForProd renders the committed prod stack's plan:
// every server in order, the script written beside it.
func TestRestore_PrintsThePlanForProd(t *testing.T) {
	out := t.TempDir()
	var b strings.Builder
	if err := restore("../..", "prod", "20261201T054655Z", "etcd-snapshot-server-1-1764566400", out, false, &b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")[1:]
	want := []string{"server-3'", "server-2'", "server-1'", "fetch 20261201T054655Z", "reset /var/lib/k3s-onprem/restore/20261201T054655Z/", "rejoin", "rejoin"}
	if len(lines) != len(want) {
		t.Fatalf("plan:\n%s", b.String())
	}
	hosts := []string{"192.168.122.13", "192.168.122.12", "192.168.122.11", "192.168.122.11", "192.168.122.11", "192.168.122.12", "192.168.122.13"}
	for i, l := range lines {
		if !strings.Contains(l, "root@"+hosts[i]+" ") {
			t.Errorf("line %d runs on the wrong host: %s", i+1, l)
		}
		if i < 3 && !strings.Contains(l, "bash -s -- stop'") {
			t.Errorf("line %d is not a stop: %s", i+1, l)
		}
		if i >= 3 && !strings.Contains(l, want[i]) {
			t.Errorf("line %d: %s, want %q", i+1, l, want[i])
		}
	}
	if st, err := os.Stat(filepath.Join(out, "prod", "restore", "restore.sh")); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("restore.sh: %v", err)
	}
	if err := restore("../..", "dev", "20261201T054655Z", "f", out, false, &b); err == nil || !strings.Contains(err.Error(), "no backup.offHost") {
		t.Errorf("dev (no offHost): %v", err)
	}
}
