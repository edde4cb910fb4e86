package backuplab_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"k3s-onprem/components/backup"
	"k3s-onprem/internal/hoststep"
	"k3s-onprem/tests/lab/labhost"
	"k3s-onprem/tests/lab/runner"
)

// Its own /24 (10.216.0.0/24), so it runs beside the other lab packages;
// labhost serialises labs on the same network with a flock.
const (
	serverName = "bk-server"
	serverAddr = "10.216.0.11"
	storeName  = "bk-store"
	storeAddr  = "10.216.0.12"
	// server2Name is a second server for the restore's rejoin (no backup
	// steps: only the k3s stand-in and its unit).
	server2Name = "bk-server2"
	server2Addr = "10.216.0.13"
	cluster     = "lab"
	keep        = 2
)

// rsyncDebs are the Debian packages the lab rootfs lacks for rsync (and
// its rrsync): the hosts have no mirror, so the test downloads them with
// the machine's apt (its own sources) and installs them with dpkg, which
// is what a host's package manager does. Cached beside the lab rootfs.
var rsyncDebs = []string{"rsync", "libpopt0"}

type env struct {
	lab    *labhost.Lab
	client backup.Client
	target backup.TargetHost
	// keyPEM is the server's backup key as pulumi-tls's PrivateKey
	// (ED25519) gives it in privateKeyOpenssh; generated here because the
	// tls provider plugin cannot run in this tier.
	keyPEM []byte
	pubKey string
}

func setup(t *testing.T) *env {
	t.Helper()
	debs := downloadDebs(t)
	lab := labhost.Start(t, []labhost.HostSpec{
		{Name: serverName, Addresses: []string{serverAddr}},
		{Name: storeName, Addresses: []string{storeAddr}},
		{Name: server2Name, Addresses: []string{server2Addr}},
	})
	for _, h := range []string{serverName, storeName} {
		var names []string
		for _, d := range debs {
			remote := "/root/" + filepath.Base(d)
			b, err := os.ReadFile(d)
			if err != nil {
				t.Fatal(err)
			}
			if err := lab.Upload(h, remote, b); err != nil {
				t.Fatal(err)
			}
			names = append(names, remote)
		}
		lab.MustRun(t, h, "dpkg -i "+strings.Join(names, " ")+" >/dev/null && rm -f "+strings.Join(names, " "))
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	target := backup.Target{Address: storeAddr, Port: 22, HostKey: lab.Host(storeName).HostKey,
		User: backup.DefaultUser, Root: backup.DefaultRoot, Keep: keep}
	return &env{
		lab: lab,
		client: backup.Client{Target: target, Cluster: cluster, Node: serverName,
			SnapshotDir: backup.DefaultSnapshotDir, OnCalendar: "hourly"},
		target: backup.TargetHost{Target: target, Cluster: cluster, Nodes: []string{serverName},
			HomeDir: "/var/lib/" + backup.DefaultUser},
		keyPEM: pem.EncodeToMemory(blk),
		pubKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))),
	}
}

// downloadDebs fetches rsyncDebs once into the lab cache.
func downloadDebs(t *testing.T) []string {
	t.Helper()
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	dir := filepath.Join(cache, "k3s-onprem", "lab", "debs")
	var out []string
	for _, p := range rsyncDebs {
		got, _ := filepath.Glob(filepath.Join(dir, p+"_*.deb"))
		if len(got) == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("apt-get", "download", p)
			cmd.Dir = dir
			if b, err := cmd.CombinedOutput(); err != nil {
				msg := fmt.Sprintf("apt-get download %s: %v: %s", p, err, b)
				if os.Getenv("CI") == "true" {
					t.Fatal(msg + " (CI=true: failing instead of skipping)")
				}
				t.Skip(msg)
			}
			got, _ = filepath.Glob(filepath.Join(dir, p+"_*.deb"))
		}
		if len(got) == 0 {
			t.Fatalf("no %s deb in %s", p, dir)
		}
		out = append(out, got[0])
	}
	return out
}

// applySteps runs rendered steps on host, each with stdin, failing the test
// on any error; it returns the results.
func applySteps(t *testing.T, lab *labhost.Lab, host string, steps []hoststep.Step, stdin string) []runner.Result {
	t.Helper()
	var out []runner.Result
	for _, s := range steps {
		res, err := runner.RunStep(lab, host, s, []byte(stdin))
		if err != nil {
			t.Fatalf("%s on %s: %v\nstdout:\n%s\nstderr:\n%s", s.Name, host, err, res.Stdout, res.Stderr)
		}
		out = append(out, res)
	}
	return out
}
