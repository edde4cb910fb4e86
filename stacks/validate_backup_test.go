package stacks

import (
	"fmt"
	"strings"
	"testing"
)

func intPtr(i int) *int { return &i }

func backupSpec() *ClusterSpec {
	s := validSpec()
	s.Backup = Backup{
		EtcdSnapshots: &EtcdSnapshots{Schedule: "0 */6 * * *", Retention: intPtr(28), Dir: "/var/lib/rancher/k3s/server/db/snapshots",
			S3: &EtcdS3{Endpoint: "minio.example.internal:9000", Bucket: "etcd-prod", Folder: "test", Region: "us-east-1", AccessKey: "k3s"}},
		OffHost: &OffHost{Host: BackupHost{Address: "192.168.122.30", HostKey: testKey2}},
	}
	s.Secrets.BackupS3SecretKey = true
	return s
}

func TestValidateBackup_ValidHasNoErrors(t *testing.T) {
	s := backupSpec()
	s.ApplyDefaults("test")
	if v := s.Validate(); len(v.Errors) > 0 {
		t.Fatalf("valid backup rejected: %v", v.Err())
	}
	if o := s.Backup.OffHost; o.User != DefaultBackupUser || o.Root != DefaultBackupRoot || *o.Keep != DefaultBackupKeep ||
		o.Schedule != DefaultBackupSchedule || o.Host.Port != 22 || o.Host.User != "root" {
		t.Errorf("defaults: %+v", o)
	}
}

// TestValidateBackup_EveryProblemAtOnce breaks every backup key at once and
// expects exactly one error per key, named by its path.
func TestValidateBackup_EveryProblemAtOnce(t *testing.T) {
	s := backupSpec()
	s.Backup.EtcdSnapshots.Schedule = "every 6 hours"
	s.Backup.EtcdSnapshots.Retention = intPtr(0)
	s.Backup.EtcdSnapshots.Dir = "relative/dir"
	s.Backup.EtcdSnapshots.S3 = &EtcdS3{Endpoint: "https://minio:9000", Folder: "../x", Region: "us east", Insecure: true}
	s.Secrets.BackupS3SecretKey = false
	s.Backup.OffHost = &OffHost{Host: BackupHost{Address: "192.168.122.11", Port: 70000, User: "Bad User"},
		User: "root", Root: "srv/backups", Keep: intPtr(0), Schedule: "hourly; rm -rf /"}
	s.Environment = "prod"
	s.ApplyDefaults("test")
	got := errorSet(backupErrors(s))
	want := []string{
		"FieldValueForbidden::backup.etcdSnapshots.s3.insecure",
		"FieldValueInvalid::backup.etcdSnapshots.dir",
		"FieldValueInvalid::backup.etcdSnapshots.retention",
		"FieldValueInvalid::backup.etcdSnapshots.s3.endpoint",
		"FieldValueInvalid::backup.etcdSnapshots.s3.folder",
		"FieldValueInvalid::backup.etcdSnapshots.s3.region",
		"FieldValueInvalid::backup.etcdSnapshots.schedule",
		"FieldValueInvalid::backup.offHost.host.address",
		"FieldValueInvalid::backup.offHost.host.port",
		"FieldValueInvalid::backup.offHost.host.user",
		"FieldValueInvalid::backup.offHost.keep",
		"FieldValueInvalid::backup.offHost.root",
		"FieldValueInvalid::backup.offHost.schedule",
		"FieldValueInvalid::backup.offHost.user",
		"FieldValueRequired::backup.etcdSnapshots.s3.accessKey",
		"FieldValueRequired::backup.etcdSnapshots.s3.bucket",
		"FieldValueRequired::backup.offHost.host.hostKey",
		"FieldValueRequired::backupS3SecretKey",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// backupErrors are the errors under backup: the grid above also makes the
// stack prod, which has rules of its own elsewhere.
func backupErrors(s *ClusterSpec) Validation {
	v := s.Validate()
	var keep Validation
	for _, e := range v.Errors {
		if strings.HasPrefix(e.Field, "backup") {
			keep.Errors = append(keep.Errors, e)
		}
	}
	return keep
}

func TestValidateBackup_Singles(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(s *ClusterSpec)
		want   string
	}{
		{"secret without S3", func(s *ClusterSpec) { s.Backup.EtcdSnapshots.S3 = nil }, "FieldValueInvalid::backupS3SecretKey"},
		{"bad bucket name", func(s *ClusterSpec) { s.Backup.EtcdSnapshots.S3.Bucket = "Etcd_Prod" }, "FieldValueInvalid::backup.etcdSnapshots.s3.bucket"},
		{"six-field cron", func(s *ClusterSpec) { s.Backup.EtcdSnapshots.Schedule = "0 0 */6 * * *" }, "FieldValueInvalid::backup.etcdSnapshots.schedule"},
		{"cron out of range", func(s *ClusterSpec) { s.Backup.EtcdSnapshots.Schedule = "61 * * * *" }, "FieldValueInvalid::backup.etcdSnapshots.schedule"},
		{"private key as host key", func(s *ClusterSpec) { s.Backup.OffHost.Host.HostKey = testPrivateKey }, "FieldValueInvalid::backup.offHost.host.hostKey"},
		{"backup user is the admin login", func(s *ClusterSpec) { s.Backup.OffHost.User = "root" }, "FieldValueInvalid::backup.offHost.user"},
		{"cluster name not a label", func(s *ClusterSpec) { s.ClusterName = "Prod_1" }, "FieldValueInvalid::clusterName"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := backupSpec()
			c.mutate(s)
			s.ApplyDefaults("test")
			if got := errorSet(s.Validate()); fmt.Sprint(got) != fmt.Sprint([]string{c.want}) {
				t.Errorf("errors %v, want [%s]", got, c.want)
			}
		})
	}
	// Cron descriptors k3s's parser takes are accepted.
	for _, ok := range []string{"@every 6h", "@daily", "*/15 * * * *", "0 0 * * MON"} {
		s := backupSpec()
		s.Backup.EtcdSnapshots.Schedule = ok
		s.ApplyDefaults("test")
		if v := s.Validate(); len(v.Errors) > 0 {
			t.Errorf("%q rejected: %v", ok, v.Err())
		}
	}
}
