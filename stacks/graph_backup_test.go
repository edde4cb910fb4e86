package stacks

import (
	"strings"
	"testing"

	"k3s-onprem/components/backup"
	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/hoststep/steptest"
	"k3s-onprem/internal/plan"
)

// TestGraph_BackupOffHost (prod): one ED25519 key per server (pulumi-tls),
// the backup host prepared with their public keys before any server's
// etcd-backup step, each of which waits for its server's health gate and
// gets its private key only on stdin (secret).
func TestGraph_BackupOffHost(t *testing.T) {
	p := planStack(t, "prod", nil)
	spec := prodSpec(t)
	comp := p.Named("k3s-onprem:backup:Backup", "prod-backup")
	if comp == nil {
		t.Fatal("no backup component")
	}
	hostNode := "prod-" + BackupHostNode
	ts, err := backup.TargetSteps(backupHost(spec))
	if err != nil {
		t.Fatal(err)
	}
	target := steptest.Applied(t, p, hostNode, ts[0], comp.URN, nil, false)
	if h := plan.Str(plan.Connection(target), "host"); h != spec.Backup.OffHost.Host.Address {
		t.Errorf("backup-target runs on %q", h)
	}
	if hk := plan.Str(plan.Connection(target), "hostKey"); hk != spec.Backup.OffHost.Host.HostKey {
		t.Errorf("backup host key not pinned: %q", hk)
	}
	stdin := plan.Str(target.Inputs, "stdin")
	for _, n := range spec.Servers() {
		key := p.Named("tls:index/privateKey:PrivateKey", "prod-backup-"+n.Name+"-key")
		if key == nil || plan.Str(key.Inputs, "algorithm") != "ED25519" || key.Parent != comp.URN {
			t.Fatalf("%s: no ED25519 key under the backup component", n.Name)
		}
		if !strings.Contains(stdin, n.Name+" ssh-ed25519 ") {
			t.Errorf("backup-target stdin lacks %s's public key: %q", n.Name, stdin)
		}
		cs, err := backup.ClientSteps(BackupClient(spec, n.Name))
		if err != nil {
			t.Fatal(err)
		}
		gate := mustCmd(t, p, n.Name+"-"+k3s.StepGate)
		cmd := steptest.Applied(t, p, n.Name, cs[0], comp.URN, []string{target.URN, gate.URN}, false)
		steptest.SecretInput(t, cmd, "stdin")
		for _, f := range []string{backup.UnitPath, backup.TimerPath, backup.ConfPath, backup.KnownHostsPath} {
			copiedFile(t, p, n.Name+"-"+backup.StepClient, f)
		}
		if kh := copiedFile(t, p, n.Name+"-"+backup.StepClient, backup.KnownHostsPath); !strings.Contains(kh, spec.Backup.OffHost.Host.HostKey) {
			t.Errorf("%s: known_hosts does not pin the backup host: %q", n.Name, kh)
		}
	}
	steptest.NoneInClear(t, p, "OPENSSH PRIVATE KEY-----\nmock")
	// k3s takes the snapshot settings on servers only.
	for _, n := range spec.Servers() {
		cfg := copiedFile(t, p, n.Name+"-"+k3s.StepConfig, k3s.ConfigPath)
		if !strings.Contains(cfg, "etcd-snapshot-schedule-cron: 0 */6 * * *") || !strings.Contains(cfg, "etcd-snapshot-retention: 28") {
			t.Errorf("%s config.yaml lacks the snapshot settings:\n%s", n.Name, cfg)
		}
	}
	for _, n := range spec.Agents() {
		if cfg := copiedFile(t, p, n.Name+"-"+k3s.StepConfig, k3s.ConfigPath); strings.Contains(cfg, "etcd-") {
			t.Errorf("%s (agent) has etcd keys", n.Name)
		}
	}
}

// TestGraph_BackupS3Secret (dev with S3): the secret key reaches each
// server only on the k3s-etcd-s3 step's stdin (secret), between the config
// and service steps, and appears in clear nowhere.
func TestGraph_BackupS3Secret(t *testing.T) {
	const secret = "s3-SECRET-value/with+chars"
	p := planStack(t, "dev", func(raw map[string]string) {
		raw["backup"] = `{"etcdSnapshots": {"retention": 10, "s3": {"endpoint": "minio.lab.internal:9000", "bucket": "etcd", "accessKey": "dev-k3s"}}}`
		raw[KeyBackupS3SecretKey] = secret
	})
	servers := 0
	for _, r := range p.OfType("command:remote:Command") {
		node, step, ok := strings.Cut(r.Name, "-"+k3s.StepEtcdS3)
		if !ok || step != "" {
			continue
		}
		servers++
		steptest.SecretInput(t, r, "stdin")
		cfg := mustCmd(t, p, node+"-"+k3s.StepConfig)
		svc := mustCmd(t, p, node+"-"+k3s.StepService)
		if !p.DependsOnTransitively(r.URN, cfg.URN) || !p.DependsOnTransitively(svc.URN, r.URN) {
			t.Errorf("%s is not between %s and %s", r.Name, cfg.Name, svc.Name)
		}
		if c := copiedFile(t, p, node+"-"+k3s.StepConfig, k3s.ConfigPath); !strings.Contains(c, "etcd-s3-bucket: etcd") || !strings.Contains(c, "etcd-s3-access-key: dev-k3s") {
			t.Errorf("%s config.yaml lacks the S3 settings", node)
		}
	}
	if servers != 3 {
		t.Errorf("%d k3s-etcd-s3 steps, want one per server (3)", servers)
	}
	steptest.NoneInClear(t, p, secret)
}
