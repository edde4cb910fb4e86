// Command restore brings a cluster's etcd back from an off-host backup run
// (components/backup): it prints the ordered plan and writes the restore
// script (default), or runs it over SSH with the stack's pinned host keys
// (-execute). The order is backup.RestorePlan: k3s stops on every server,
// the first server fetches the snapshot from its own backup directory,
// verifies it against the run's SHA256SUMS and resets etcd from it
// (k3s server --cluster-reset --cluster-reset-restore-path), then each
// other server moves its etcd data aside and rejoins, one at a time behind
// the health gate. It is a command, not a stack setting, because a
// restore is a one-off action on a broken cluster, not a state to
// converge to: a `restore` key left in the stack would reset etcd again on
// a later `up`.
//
//	go run ./cmd/restore -stack prod -run 20261201T054655Z -file etcd-snapshot-server-1-1764566400
//	go run ./cmd/restore -stack prod -run ... -file ... -execute
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"k3s-onprem/components/backup"
	"k3s-onprem/stacks"
)

func main() {
	stack := flag.String("stack", "dev", "stack name (reads Pulumi.<stack>.yaml)")
	dir := flag.String("dir", ".", "project directory")
	run := flag.String("run", "", "backup run (UTC stamp, e.g. 20261201T054655Z; `ssh -i <server key> k3s-backup@<backup host> list` lists them)")
	file := flag.String("file", "", "snapshot file name inside the run")
	out := flag.String("out", "out", "output directory for the plan and script (without -execute)")
	execute := flag.Bool("execute", false, "run the plan over SSH now")
	flag.Parse()
	if err := restore(*dir, *stack, *run, *file, *out, *execute, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "restore:", err)
		os.Exit(1)
	}
}

func restore(dir, stack, run, file, out string, execute bool, w io.Writer) error {
	spec, err := stacks.DecodeStackFile(dir, stack)
	if err != nil {
		return err
	}
	if spec.Backup.OffHost == nil {
		return fmt.Errorf("stack %s has no backup.offHost: there is no off-host run to restore from", stack)
	}
	servers := spec.Servers()
	var names []string
	for _, n := range servers {
		names = append(names, n.Name)
	}
	plan, err := backup.RestorePlan(names, run, file)
	if err != nil {
		return err
	}
	byName := map[string]stacks.Node{}
	for _, n := range servers {
		byName[n.Name] = n
	}
	if !execute {
		dst := filepath.Join(out, stack, "restore")
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		script := filepath.Join(dst, "restore.sh")
		if err := os.WriteFile(script, backup.RestoreScript(), 0o755); err != nil {
			return err
		}
		fmt.Fprintf(w, "Restore plan for stack %s from run %s, file %s (run each line in order; stop at the first failure):\n", stack, run, file)
		for i, a := range plan {
			n := byName[a.Node]
			fmt.Fprintf(w, "%d. ssh -p %d %s@%s '%sbash -s -- %s' < %s   # %s: %s\n", i+1, n.SSH.Port, n.SSH.User, n.SSH.Host,
				sudo(n), strings.Join(a.Args, " "), script, a.Node, a.Why)
		}
		return nil
	}
	auth, err := authMethod(spec, dir)
	if err != nil {
		return err
	}
	clients := map[string]*ssh.Client{}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for i, a := range plan {
		n := byName[a.Node]
		c, ok := clients[a.Node]
		if !ok {
			if c, err = dial(n, auth); err != nil {
				return fmt.Errorf("step %d (%s %s): %w", i+1, a.Node, a.Args[0], err)
			}
			clients[a.Node] = c
		}
		fmt.Fprintf(w, "%d. %s: %s (%s)\n", i+1, a.Node, strings.Join(a.Args, " "), a.Why)
		s, err := c.NewSession()
		if err != nil {
			return err
		}
		s.Stdin = strings.NewReader(string(backup.RestoreScript()))
		s.Stdout, s.Stderr = w, os.Stderr
		err = s.Run(sudo(n) + "bash -s -- " + strings.Join(a.Args, " "))
		s.Close()
		if err != nil {
			return fmt.Errorf("step %d (%s %s) failed: %w; the later steps did not run", i+1, a.Node, a.Args[0], err)
		}
	}
	return nil
}

func sudo(n stacks.Node) string {
	if n.SSH.User == "root" {
		return ""
	}
	return "sudo -n "
}

// authMethod is the stack's key (ssh.privateKeyPath) or the agent
// (ssh.useAgent); a key held only as the secret sshPrivateKey is not
// readable here: use the printed plan then.
func authMethod(spec *stacks.ClusterSpec, dir string) (ssh.AuthMethod, error) {
	if spec.SSH.UseAgent {
		conn, err := net.Dial("unix", os.Getenv("SSH_AUTH_SOCK"))
		if err != nil {
			return nil, fmt.Errorf("ssh.useAgent: %w", err)
		}
		return ssh.PublicKeysCallback(agent.NewClient(conn).Signers), nil
	}
	if spec.SSH.PrivateKeyPath == "" {
		return nil, fmt.Errorf("the stack's key is the secret sshPrivateKey, which this command does not decrypt: run the printed plan instead (without -execute)")
	}
	p, err := stacks.LocalPath(spec.SSH.PrivateKeyPath, dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("ssh.privateKeyPath %s: %w", p, err)
	}
	return ssh.PublicKeys(signer), nil
}

// dial connects with the node's pinned host key (never unpinned here).
func dial(n stacks.Node, auth ssh.AuthMethod) (*ssh.Client, error) {
	if n.SSH.Bastion != nil {
		return nil, fmt.Errorf("%s is behind a bastion: run the printed plan instead (without -execute)", n.Name)
	}
	if n.SSH.HostKey == "" {
		return nil, fmt.Errorf("%s has no pinned host key", n.Name)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(n.SSH.HostKey))
	if err != nil {
		return nil, fmt.Errorf("%s host key: %w", n.Name, err)
	}
	return ssh.Dial("tcp", net.JoinHostPort(n.SSH.Host, strconv.Itoa(n.SSH.Port)), &ssh.ClientConfig{
		User: n.SSH.User, Auth: []ssh.AuthMethod{auth}, HostKeyCallback: ssh.FixedHostKey(pub), Timeout: 30 * time.Second,
	})
}
