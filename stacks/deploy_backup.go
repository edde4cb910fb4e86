package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/backup"
	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/hoststep"
)

// BackupHostNode names the backup host in resource names (<cluster>-backup-host-...).
const BackupHostNode = "backup-host"

// deployBackup installs the off-host copy when backup.offHost is set: the
// backup host first, then each server's timer after its health gate.
func deployBackup(ctx *pulumi.Context, spec *ClusterSpec, sec *Secrets, k *K3sCluster) (*backup.Backup, error) {
	o := spec.Backup.OffHost
	if o == nil {
		return nil, nil
	}
	host := backupHost(spec)
	hostNode := Node{Name: spec.ClusterName + "-" + BackupHostNode, SSH: NodeSSH{
		Host: o.Host.Address, Port: o.Host.Port, User: o.Host.User, HostKey: o.Host.HostKey, Bastion: spec.SSH.Bastion}}
	args := &backup.Args{
		Host:       host,
		HostTarget: hoststep.Target{Node: hostNode.Name, Connection: connection(hostNode, spec, sec), Sudo: o.Host.User != "root"},
	}
	for i, n := range spec.Servers() {
		args.Servers = append(args.Servers, backup.Server{
			Client: BackupClient(spec, n.Name),
			Target: k.Servers[i].Target,
			After:  []pulumi.Resource{k.Servers[i].Gate},
		})
	}
	return backup.NewBackup(ctx, spec.ClusterName+"-backup", args)
}

// backupHost is the backup host's side of a spec with backup.offHost.
func backupHost(spec *ClusterSpec) backup.TargetHost {
	h := backup.TargetHost{Target: backupTarget(spec), Cluster: spec.ClusterName, HomeDir: "/var/lib/" + spec.Backup.OffHost.User}
	for _, n := range spec.Servers() {
		h.Nodes = append(h.Nodes, n.Name)
	}
	return h
}

func backupTarget(spec *ClusterSpec) backup.Target {
	o := spec.Backup.OffHost
	return backup.Target{Address: o.Host.Address, Port: o.Host.Port, HostKey: o.Host.HostKey, User: o.User, Root: o.Root, Keep: *o.Keep}
}

// BackupClient is one server's off-host copy settings (the restore
// command reads the same paths).
func BackupClient(spec *ClusterSpec, node string) backup.Client {
	dir := backup.DefaultSnapshotDir
	if es := spec.Backup.EtcdSnapshots; es != nil && es.Dir != "" {
		dir = es.Dir
	}
	return backup.Client{Target: backupTarget(spec), Cluster: spec.ClusterName, Node: node, SnapshotDir: dir, OnCalendar: spec.Backup.OffHost.Schedule}
}

// k3sEtcdSnapshots is the k3s component's snapshot settings (nil: k3s defaults).
func k3sEtcdSnapshots(spec *ClusterSpec) *k3s.EtcdSnapshots {
	es := spec.Backup.EtcdSnapshots
	if es == nil {
		return nil
	}
	out := &k3s.EtcdSnapshots{ScheduleCron: es.Schedule, Dir: es.Dir}
	if es.Retention != nil {
		out.Retention = *es.Retention
	}
	if s3 := es.S3; s3 != nil {
		out.S3 = &k3s.EtcdS3{Endpoint: s3.Endpoint, Bucket: s3.Bucket, Folder: s3.Folder, Region: s3.Region, AccessKey: s3.AccessKey, Insecure: s3.Insecure}
	}
	return out
}

// etcdS3SecretKey is the S3 secret for the servers' k3s-etcd-s3 step (nil without S3).
func etcdS3SecretKey(spec *ClusterSpec, sec *Secrets) pulumi.StringInput {
	if es := spec.Backup.EtcdSnapshots; es == nil || es.S3 == nil {
		return nil
	}
	return sec.BackupS3SecretKey
}
