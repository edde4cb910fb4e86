package stacks

// Backup configures etcd snapshots and their off-host copy (the config key
// `backup`); the S3 secret key is the secret config key backupS3SecretKey.
type Backup struct {
	// EtcdSnapshots are k3s's own scheduled snapshots on every server.
	EtcdSnapshots *EtcdSnapshots `json:"etcdSnapshots,omitempty"`
	// OffHost pushes every server's snapshot directory to a backup host.
	OffHost *OffHost `json:"offHost,omitempty"`
}

// EtcdSnapshots are k3s's etcd-snapshot-* settings.
type EtcdSnapshots struct {
	// Schedule is a 5-field cron expression (etcd-snapshot-schedule-cron).
	Schedule string `json:"schedule,omitempty"`
	// Retention is the number of snapshots each server keeps (>= 1).
	Retention *int `json:"retention,omitempty"`
	// Dir is etcd-snapshot-dir, an absolute path on the servers.
	Dir string `json:"dir,omitempty"`
	// S3 also uploads each snapshot to an S3-compatible store.
	S3 *EtcdS3 `json:"s3,omitempty"`
}

// EtcdS3 is the S3-compatible snapshot target (secret key: backupS3SecretKey).
type EtcdS3 struct {
	// Endpoint is host[:port] without a scheme.
	Endpoint  string `json:"endpoint"`
	Bucket    string `json:"bucket"`
	Folder    string `json:"folder,omitempty"`
	Region    string `json:"region,omitempty"`
	AccessKey string `json:"accessKey"`
	// Insecure uses plain HTTP (etcd-s3-insecure); refused on prod.
	Insecure bool `json:"insecure,omitempty"`
}

// OffHost is the backup host and how long it keeps runs.
type OffHost struct {
	// Host is how the program reaches the backup host (as root or a sudo
	// user) and how servers reach it; its host key is pinned like a node's.
	Host BackupHost `json:"host"`
	// User is the dedicated user the servers' keys log in as.
	User string `json:"user,omitempty"`
	// Root holds <root>/<clusterName>/<node>/<UTC run>/ on the backup host.
	Root string `json:"root,omitempty"`
	// Keep is how many verified runs per server the backup host keeps.
	Keep *int `json:"keep,omitempty"`
	// Schedule is the servers' timer (systemd OnCalendar, e.g. hourly).
	Schedule string `json:"schedule,omitempty"`
}

// BackupHost is the backup host's SSH endpoint.
type BackupHost struct {
	// Address is the address servers and the program dial (IPv4 or DNS name).
	Address string `json:"address"`
	Port    int    `json:"port,omitempty"`
	// User is the program's login for preparing the host (default ssh.user).
	User string `json:"user,omitempty"`
	// HostKey is the host's public key ("ssh-ed25519 AAAA..."), pinned.
	HostKey string `json:"hostKey"`
}

// Backup defaults.
const (
	DefaultBackupUser     = "k3s-backup"
	DefaultBackupRoot     = "/srv/k3s-onprem-backups"
	DefaultBackupKeep     = 14
	DefaultBackupSchedule = "hourly"
)

// applyBackupDefaults fills the off-host copy's defaults.
func (s *ClusterSpec) applyBackupDefaults() {
	o := s.Backup.OffHost
	if o == nil {
		return
	}
	if o.User == "" {
		o.User = DefaultBackupUser
	}
	if o.Root == "" {
		o.Root = DefaultBackupRoot
	}
	if o.Keep == nil {
		k := DefaultBackupKeep
		o.Keep = &k
	}
	if o.Schedule == "" {
		o.Schedule = DefaultBackupSchedule
	}
	if o.Host.Port == 0 {
		o.Host.Port = s.SSH.Port
	}
	if o.Host.User == "" {
		o.Host.User = s.SSH.User
	}
}
