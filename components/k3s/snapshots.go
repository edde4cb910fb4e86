package k3s

import (
	"fmt"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/hoststep"
)

// EtcdSnapshots are k3s's own scheduled etcd snapshots on every server,
// optionally also uploaded to an S3-compatible store. Nil keeps k3s's
// defaults (every 12 hours, 5 kept, under the data dir).
type EtcdSnapshots struct {
	// ScheduleCron is etcd-snapshot-schedule-cron (5-field cron, as k3s
	// parses it with robfig/cron/v3).
	ScheduleCron string
	// Retention is etcd-snapshot-retention: snapshots kept per server.
	Retention int
	// Dir is etcd-snapshot-dir ("" = k3s's default).
	Dir string
	// S3, when set, also uploads each snapshot.
	S3 *EtcdS3
}

// EtcdS3 is the S3-compatible target. The secret key is not here: it is a
// Pulumi secret that reaches the servers only on the k3s-etcd-s3 step's
// stdin, into a root-only config.yaml.d drop-in.
type EtcdS3 struct {
	Endpoint  string
	Bucket    string
	Folder    string
	Region    string
	AccessKey string
	// Insecure talks plain HTTP to the endpoint (etcd-s3-insecure).
	Insecure bool
}

// EtcdSnapshotFlags are the etcd-snapshot keys of a server's config.yaml
// (embedded in Config; each key is a k3s server flag of every supported
// minor, tests/conformance checks them against the fact tables).
type EtcdSnapshotFlags struct {
	EtcdSnapshotScheduleCron string `json:"etcd-snapshot-schedule-cron,omitempty"`
	EtcdSnapshotRetention    int    `json:"etcd-snapshot-retention,omitempty"`
	EtcdSnapshotDir          string `json:"etcd-snapshot-dir,omitempty"`
	EtcdS3                   bool   `json:"etcd-s3,omitempty"`
	EtcdS3Endpoint           string `json:"etcd-s3-endpoint,omitempty"`
	EtcdS3Bucket             string `json:"etcd-s3-bucket,omitempty"`
	EtcdS3Folder             string `json:"etcd-s3-folder,omitempty"`
	EtcdS3Region             string `json:"etcd-s3-region,omitempty"`
	EtcdS3AccessKey          string `json:"etcd-s3-access-key,omitempty"`
	EtcdS3Insecure           bool   `json:"etcd-s3-insecure,omitempty"`
}

// etcdSnapshotFlags renders s as config.yaml keys (none when s is nil).
func etcdSnapshotFlags(s *EtcdSnapshots) EtcdSnapshotFlags {
	if s == nil {
		return EtcdSnapshotFlags{}
	}
	f := EtcdSnapshotFlags{EtcdSnapshotScheduleCron: s.ScheduleCron, EtcdSnapshotRetention: s.Retention, EtcdSnapshotDir: s.Dir}
	if s3 := s.S3; s3 != nil {
		f.EtcdS3, f.EtcdS3Endpoint, f.EtcdS3Bucket, f.EtcdS3Folder = true, s3.Endpoint, s3.Bucket, s3.Folder
		f.EtcdS3Region, f.EtcdS3AccessKey, f.EtcdS3Insecure = s3.Region, s3.AccessKey, s3.Insecure
	}
	return f
}

// EtcdS3SecretPlaceholder stands for the secret key in the staged drop-in.
const EtcdS3SecretPlaceholder = "@ETCD_S3_SECRET_KEY@"

// RenderEtcdS3SecretDropIn renders the config.yaml.d drop-in that carries
// etcd-s3-secret-key, with the placeholder in a single-quoted YAML string
// (the step writes the secret there, quotes doubled).
func RenderEtcdS3SecretDropIn() ([]byte, error) {
	b, err := yaml.Marshal(map[string]string{"etcd-s3-secret-key": EtcdS3SecretPlaceholder})
	if err != nil {
		return nil, err
	}
	want := "etcd-s3-secret-key: '" + EtcdS3SecretPlaceholder + "'\n"
	if string(b) != want {
		return nil, fmt.Errorf("etcd-s3 drop-in renders as %q, want %q", b, want)
	}
	return append([]byte("# Managed by k3s-onprem; the secret is written from stdin, root-only.\n"), b...), nil
}

// etcdS3Step writes the S3 secret key drop-in on servers when snapshots go
// to S3 (the secret on stdin), and restarts a running k3s, behind the
// health gate, when the secret changed.
var etcdS3Step = hoststep.Def[StepsInput]{
	Name:  StepEtcdS3,
	Roles: []string{RoleServer},
	Skip: func(in StepsInput) string {
		if in.Cluster.EtcdSnapshots == nil || in.Cluster.EtcdSnapshots.S3 == nil {
			return "backup.etcdSnapshots.s3 is not set"
		}
		return ""
	},
	Build: func(in StepsInput) (hoststep.Step, error) {
		dropIn, err := RenderEtcdS3SecretDropIn()
		if err != nil {
			return hoststep.Step{}, err
		}
		return hoststep.Step{Name: StepEtcdS3, Script: script("restart.sh", "etcd-s3.sh"),
			Files: []hoststep.File{{Path: EtcdS3SecretTemplatePath, Mode: 0o600, Content: dropIn,
				Renderer: hoststep.Renderer{Func: "k3s.RenderEtcdS3SecretDropIn", Source: "components/k3s/snapshots.go"}}},
			Vars: map[string]string{"DROPIN": EtcdS3SecretDropInPath, "TEMPLATE": EtcdS3SecretTemplatePath,
				"PLACEHOLDER": EtcdS3SecretPlaceholder, "UNIT": UnitName(RoleServer), "NODE_NAME": in.Node.Name,
				"WAIT_SECONDS": in.waitSeconds()}}, nil
	},
}

// Paths of the S3 secret: the staged template (no secret) and the drop-in
// k3s reads (0600).
const (
	EtcdS3SecretTemplatePath = "/etc/rancher/k3s/etcd-s3-secret.yaml.in"
	EtcdS3SecretDropInPath   = "/etc/rancher/k3s/config.yaml.d/60-etcd-s3-secret.yaml"
)
