package labhost

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

var randRead = rand.Read

// makeKeys generates the operator's client key and one ed25519 host key per
// host. The harness, not the rootfs, owns host identity: every host gets a
// distinct key and tests pin it, exactly as the stack config pins hostKey.
func (l *Lab) makeKeys() error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, "k3s-onprem lab operator")
	if err != nil {
		return err
	}
	l.clientKeyPEM = pem.EncodeToMemory(block)
	if l.signer, err = ssh.NewSignerFromKey(priv); err != nil {
		return err
	}
	for _, h := range l.Hosts {
		pub, hpriv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		if h.hostPub, err = ssh.NewPublicKey(pub); err != nil {
			return err
		}
		h.HostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(h.hostPub)))
		h.hostPriv = hpriv
	}
	return nil
}

func hostKeyPEM(h *Host) ([]byte, error) {
	if h.hostPriv == nil {
		return nil, fmt.Errorf("no host key for %s", h.Name)
	}
	block, err := ssh.MarshalPrivateKey(h.hostPriv, "root@"+h.Name)
	// The private half lives on only in the host's overlay.
	h.hostPriv = nil
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(block), nil
}

// SSHDial connects as root to addr:22 and accepts only the pinned host key:
// the connection fails if the server presents any other key. Callers own
// the client. Only lab addresses may be dialled.
func (l *Lab) SSHDial(addr string, pinned ssh.PublicKey, timeout time.Duration) (*ssh.Client, error) {
	if pinned == nil {
		return nil, errors.New("labhost: SSHDial needs a pinned host key")
	}
	return l.sshDial(addr, ssh.FixedHostKey(pinned), timeout)
}

func (l *Lab) sshDial(addr string, hostKey ssh.HostKeyCallback, timeout time.Duration) (*ssh.Client, error) {
	if err := l.checkAddr(addr); err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{
		User:            "root",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(l.signer)},
		HostKeyCallback: hostKey,
		// Only ed25519: the hosts have no other key, and a fixed order
		// makes a mismatch an error rather than a negotiation.
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           timeout,
	}
	return ssh.Dial("tcp", net.JoinHostPort(addr, "22"), cfg)
}

func (l *Lab) dialHost(h *Host, timeout time.Duration) (*ssh.Client, error) {
	return l.SSHDial(h.Addr(), h.hostPub, timeout)
}

// HostPublicKey is the parsed pinned key of a host.
func (l *Lab) HostPublicKey(host string) (ssh.PublicKey, error) {
	h := l.Host(host)
	if h == nil {
		return nil, fmt.Errorf("labhost: unknown host %q", host)
	}
	return h.hostPub, nil
}

// client returns h's cached SSH connection, redialling when it is gone (a
// host's sshd may be restarted by a test or by the sshd host step).
func (l *Lab) client(h *Host) (*ssh.Client, error) {
	h.clientMu.Lock()
	defer h.clientMu.Unlock()
	if h.client != nil {
		// A cheap liveness check: a dead connection fails this at once.
		if _, _, err := h.client.SendRequest("keepalive@k3s-onprem", true, nil); err == nil {
			return h.client, nil
		}
		h.client.Close()
		h.client = nil
	}
	c, err := l.dialHost(h, 10*time.Second)
	if err != nil {
		return nil, err
	}
	h.client = c
	return c, nil
}

// Run runs cmd on host (a name or any of its addresses) as root, like
// pulumi-command's remote.Command does: one SSH session, the command text
// as given to the remote shell, stdin if non-nil. err is an *ssh.ExitError
// for a non-zero exit.
func (l *Lab) Run(host, cmd string, stdin []byte) (stdout, stderr string, err error) {
	h := l.Host(host)
	if h == nil {
		return "", "", fmt.Errorf("labhost: unknown host %q", host)
	}
	c, err := l.client(h)
	if err != nil {
		return "", "", fmt.Errorf("ssh %s: %w", h.Name, err)
	}
	s, err := c.NewSession()
	if err != nil {
		return "", "", fmt.Errorf("ssh %s: session: %w", h.Name, err)
	}
	defer s.Close()
	var o, e bytes.Buffer
	s.Stdout, s.Stderr = &o, &e
	if stdin != nil {
		s.Stdin = bytes.NewReader(stdin)
	}
	timeout := l.CommandTimeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(cmd) }()
	select {
	case err = <-done:
	case <-time.After(timeout):
		s.Close()
		err = fmt.Errorf("ssh %s: command timed out after %s: %s", h.Name, timeout, cmd)
	}
	return o.String(), e.String(), err
}

// Upload writes data to path on host, mode 0644; it satisfies the lab
// runner's Executor (tests/lab/runner) together with Run.
func (l *Lab) Upload(host, path string, data []byte) error {
	return l.UploadMode(host, path, data, 0o644)
}

// UploadMode writes data to path on host with mode, through `cat` on the
// session's stdin, into a temporary name renamed at the end, so a reader
// never sees half a file. Like pulumi-command's CopyToRemote it does not
// create missing parent directories ("an error when additional elements
// don't exist"), so the lab catches a program that forgets to create them.
func (l *Lab) UploadMode(host, path string, data []byte, mode fs.FileMode) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("labhost: upload path %q is not absolute", path)
	}
	q := shellQuote(path)
	tmp := shellQuote(path + ".lab-upload")
	cmd := fmt.Sprintf("test -d \"$(dirname %s)\" || { echo 'no such directory: '\"$(dirname %s)\" >&2; exit 1; }; "+
		"cat > %s && chmod %04o %s && mv -f %s %s", q, q, tmp, mode.Perm(), tmp, tmp, q)
	_, stderr, err := l.Run(host, cmd, nonNil(data))
	if err != nil {
		return fmt.Errorf("upload %s:%s: %w: %s", host, path, err, strings.TrimSpace(stderr))
	}
	return nil
}

// MustRun runs cmd and fails the test on error; it returns stdout.
func (l *Lab) MustRun(t interface {
	Helper()
	Fatalf(string, ...any)
}, host, cmd string) string {
	t.Helper()
	out, errOut, err := l.Run(host, cmd, nil)
	if err != nil {
		t.Fatalf("%s: %q: %v\nstdout:\n%s\nstderr:\n%s", host, cmd, err, out, errOut)
	}
	return out
}

// WhoAnswersSSH connects to addr:22 and returns the name of the lab host
// whose pinned key the server presented (e.g. which host holds a VIP). A key
// that belongs to no lab host is refused.
func (l *Lab) WhoAnswersSSH(addr string, timeout time.Duration) (string, error) {
	var who string
	cb := func(_ string, _ net.Addr, key ssh.PublicKey) error {
		for _, h := range l.Hosts {
			if bytes.Equal(key.Marshal(), h.hostPub.Marshal()) {
				who = h.Name
				return nil
			}
		}
		return errors.New("host key belongs to no lab host")
	}
	c, err := l.sshDial(addr, cb, timeout)
	if err != nil {
		return "", err
	}
	c.Close()
	return who, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
