package stacks

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"k3s-onprem/internal/grammar"
	"k3s-onprem/policy/policies"
)

var (
	// s3BucketRE is the S3 bucket naming rule (3-63 lower-case letters,
	// digits, dots and hyphens, starting and ending with a letter or digit).
	s3BucketRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	s3FolderRE   = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	s3PlainRE    = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	unixUserRE   = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,30}$`)
	onCalendarRE = regexp.MustCompile(`^[A-Za-z0-9 *:/,.~+-]+$`)
	portRE       = regexp.MustCompile(`^[0-9]{1,5}$`)
)

// validateBackup checks backup and the secret backupS3SecretKey.
func validateBackup(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	b := s.Backup
	if es := b.EtcdSnapshots; es != nil {
		ep := p.Child("etcdSnapshots")
		// k3s parses the schedule with robfig/cron/v3's standard parser
		// (pkg/etcd/etcd.go, cron.New); the same parser here fails the run
		// before k3s would fail to start.
		if es.Schedule != "" {
			if _, err := cron.ParseStandard(es.Schedule); err != nil {
				errs = append(errs, field.Invalid(ep.Child("schedule"), es.Schedule, "not a 5-field cron expression such as \"0 */6 * * *\": "+err.Error()))
			}
		}
		if es.Retention != nil && *es.Retention < 1 {
			errs = append(errs, field.Invalid(ep.Child("retention"), *es.Retention, "keep at least 1 snapshot per server"))
		}
		if es.Dir != "" {
			if err := grammar.AbsPath(es.Dir); err != nil {
				errs = append(errs, field.Invalid(ep.Child("dir"), es.Dir, err.Error()))
			}
		}
		if s3 := es.S3; s3 != nil {
			errs = append(errs, validateEtcdS3(s, s3, ep.Child("s3"))...)
		}
	}
	hasS3 := b.EtcdSnapshots != nil && b.EtcdSnapshots.S3 != nil
	if s.Secrets.BackupS3SecretKey && !hasS3 {
		errs = append(errs, field.Invalid(field.NewPath(KeyBackupS3SecretKey), notShown, "is set but backup.etcdSnapshots.s3 is not; configure S3 or remove the key"))
	}
	if o := b.OffHost; o != nil {
		errs = append(errs, validateOffHost(s, o, p.Child("offHost"))...)
	}
	return errs
}

func validateEtcdS3(s *ClusterSpec, s3 *EtcdS3, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case s3.Endpoint == "":
		errs = append(errs, field.Required(p.Child("endpoint"), "host[:port] of the S3-compatible store, e.g. s3.us-east-1.amazonaws.com"))
	case strings.Contains(s3.Endpoint, "://"):
		errs = append(errs, field.Invalid(p.Child("endpoint"), s3.Endpoint, "give host[:port] without a scheme (k3s uses https; insecure: true for http)"))
	default:
		host := s3.Endpoint
		if h, port, ok := strings.Cut(s3.Endpoint, ":"); ok {
			host = h
			if !portRE.MatchString(port) {
				errs = append(errs, field.Invalid(p.Child("endpoint"), s3.Endpoint, "the port must be a number"))
			}
		}
		if _, err := netip.ParseAddr(host); err != nil && len(validation.IsDNS1123Subdomain(strings.ToLower(host))) > 0 {
			errs = append(errs, field.Invalid(p.Child("endpoint"), s3.Endpoint, "not a host name or IP address"))
		}
	}
	if s3.Bucket == "" {
		errs = append(errs, field.Required(p.Child("bucket"), "name the bucket snapshots go to"))
	} else if !s3BucketRE.MatchString(s3.Bucket) {
		errs = append(errs, field.Invalid(p.Child("bucket"), s3.Bucket, "not an S3 bucket name (3-63 lower-case letters, digits, '.' and '-')"))
	}
	if s3.Folder != "" && (!s3FolderRE.MatchString(s3.Folder) || strings.Contains(s3.Folder, "..")) {
		errs = append(errs, field.Invalid(p.Child("folder"), s3.Folder, "letters, digits and . _ - / only"))
	}
	if s3.Region != "" && !s3PlainRE.MatchString(s3.Region) {
		errs = append(errs, field.Invalid(p.Child("region"), s3.Region, "a region name such as us-east-1"))
	}
	if s3.AccessKey == "" {
		errs = append(errs, field.Required(p.Child("accessKey"), "the access key id (the secret key is the secret config key "+KeyBackupS3SecretKey+")"))
	} else if !s3PlainRE.MatchString(s3.AccessKey) {
		errs = append(errs, field.Invalid(p.Child("accessKey"), notShown, "letters, digits and . _ - only"))
	}
	if !s.Secrets.BackupS3SecretKey {
		errs = append(errs, field.Required(field.NewPath(KeyBackupS3SecretKey), "backup.etcdSnapshots.s3 needs its secret key: pulumi config set --secret "+KeyBackupS3SecretKey+" < secret-key"))
	}
	if s3.Insecure && policies.IsProdStack(s.Stack, s.Environment) {
		errs = append(errs, field.Forbidden(p.Child("insecure"), "production stack: snapshots and the S3 credentials travel over https only"))
	}
	return errs
}

func validateOffHost(s *ClusterSpec, o *OffHost, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	hp := p.Child("host")
	if o.Host.Address == "" {
		errs = append(errs, field.Required(hp.Child("address"), "the backup host's address (IPv4 or DNS name)"))
	} else if a, err := netip.ParseAddr(o.Host.Address); err == nil {
		if !a.Is4() {
			errs = append(errs, field.Invalid(hp.Child("address"), o.Host.Address, "not an IPv4 address"))
		}
		for i, n := range s.Nodes {
			if n.Role == RoleServer && n.InternalAddress == o.Host.Address {
				errs = append(errs, field.Invalid(hp.Child("address"), o.Host.Address, fmt.Sprintf("is nodes[%d] (%s), a server: a copy on the server it protects is not off-host", i, n.Name)))
			}
		}
	} else if msgs := validation.IsDNS1123Subdomain(o.Host.Address); len(msgs) > 0 {
		errs = append(errs, field.Invalid(hp.Child("address"), o.Host.Address, "not an IPv4 address or DNS name"))
	}
	// Servers pin it in known_hosts: never unpinned, whatever ssh.allowUnpinnedHostKeys says.
	errs = append(errs, validateHostKey(o.Host.HostKey, false, hp.Child("hostKey"))...)
	if o.Host.Port < 1 || o.Host.Port > 65535 {
		errs = append(errs, field.Invalid(hp.Child("port"), o.Host.Port, "a TCP port, 1-65535"))
	}
	if !unixUserRE.MatchString(o.Host.User) {
		errs = append(errs, field.Invalid(hp.Child("user"), o.Host.User, "a login name"))
	}
	switch {
	case !unixUserRE.MatchString(o.User):
		errs = append(errs, field.Invalid(p.Child("user"), o.User, "a user name of lower-case letters, digits, '_' and '-'"))
	case o.User == "root" || o.User == o.Host.User:
		errs = append(errs, field.Invalid(p.Child("user"), o.User, "use a dedicated user (default "+DefaultBackupUser+"), not "+o.User))
	}
	if err := grammar.AbsPath(o.Root); err != nil {
		errs = append(errs, field.Invalid(p.Child("root"), o.Root, err.Error()))
	}
	if o.Keep != nil && *o.Keep < 1 {
		errs = append(errs, field.Invalid(p.Child("keep"), *o.Keep, "keep at least 1 run per server"))
	}
	if !onCalendarRE.MatchString(o.Schedule) {
		errs = append(errs, field.Invalid(p.Child("schedule"), o.Schedule, "a systemd OnCalendar expression such as hourly or *-*-* 00/6:15:00"))
	}
	if msgs := validation.IsDNS1123Label(s.ClusterName); len(msgs) > 0 {
		errs = append(errs, field.Invalid(field.NewPath("clusterName"), s.ClusterName, "names the cluster's directory on the backup host: "+strings.Join(msgs, "; ")))
	}
	return errs
}
