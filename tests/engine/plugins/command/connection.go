package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/retry"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"k3s-onprem/tests/engine/plugins/internal/testprovider"
)

// Defaults of remote/connection.go (infer annotations SetDefault).
const (
	defaultUser           = "root"
	defaultPort           = 22
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15
	unlimitedDials        = -1
)

// connection is remote.Connection / remote.ProxyConnection.
type connection struct {
	host, user, password, privateKey, privateKeyPassword, agentSocket, hostKey string
	port, dialErrorLimit, perDialTimeout                                       int
	proxy                                                                      *connection
}

// withDefaults fills the defaults into a connection input object, keeping
// its secret marker; it is what the provider's Check does.
func withDefaults(v resource.PropertyValue) resource.PropertyValue {
	secret := v.IsSecret()
	if secret {
		v = v.SecretValue().Element
	}
	if !v.IsObject() {
		return v
	}
	m := testprovider.Copy(v.ObjectValue())
	set := func(k string, d resource.PropertyValue) {
		if _, ok := m[resource.PropertyKey(k)]; !ok {
			m[resource.PropertyKey(k)] = d
		}
	}
	set("user", resource.NewProperty(defaultUser))
	set("port", resource.NewProperty(float64(defaultPort)))
	set("dialErrorLimit", resource.NewProperty(float64(defaultDialErrorLimit)))
	set("perDialTimeout", resource.NewProperty(float64(defaultPerDialTimeout)))
	if p, ok := m["proxy"]; ok {
		m["proxy"] = withDefaults(p)
	}
	out := resource.NewProperty(m)
	if secret {
		out = resource.MakeSecret(out)
	}
	return out
}

func parseConnection(v resource.PropertyValue) (*connection, error) {
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsObject() {
		return nil, fmt.Errorf("connection: want an object, got %s", v.TypeString())
	}
	m := v.ObjectValue()
	c := &connection{
		port:           int(testprovider.Num(m, "port", defaultPort)),
		dialErrorLimit: int(testprovider.Num(m, "dialErrorLimit", defaultDialErrorLimit)),
		perDialTimeout: int(testprovider.Num(m, "perDialTimeout", defaultPerDialTimeout)),
	}
	var ok bool
	if c.host, ok = testprovider.Str(m, "host"); !ok {
		return nil, fmt.Errorf("connection: host is required")
	}
	if c.user, ok = testprovider.Str(m, "user"); !ok {
		c.user = defaultUser
	}
	c.password, _ = testprovider.Str(m, "password")
	c.privateKey, _ = testprovider.Str(m, "privateKey")
	c.privateKeyPassword, _ = testprovider.Str(m, "privateKeyPassword")
	c.agentSocket, _ = testprovider.Str(m, "agentSocketPath")
	c.hostKey, _ = testprovider.Str(m, "hostKey")
	if p, ok := m["proxy"]; ok {
		proxy, err := parseConnection(p)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		c.proxy = proxy
	}
	return c, nil
}

// sshConfig follows connectionBase.SSHConfig: a pinned host key when given
// (else any key is accepted, as upstream does), then private key, password
// and agent auth.
func (c *connection) sshConfig() (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{
		User:            c.user,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // upstream's behaviour without hostKey
		Timeout:         time.Duration(c.perDialTimeout) * time.Second,
	}
	if c.hostKey != "" {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.hostKey))
		if err != nil {
			return nil, fmt.Errorf("failed to parse host key: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(pub)
		cfg.HostKeyAlgorithms = []string{pub.Type()}
	}
	if c.privateKey != "" {
		var signer ssh.Signer
		var err error
		if c.privateKeyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(c.privateKey), []byte(c.privateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(c.privateKey))
		}
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.password != "" {
		cfg.Auth = append(cfg.Auth, ssh.Password(c.password))
	}
	sock := c.agentSocket
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return cfg, nil
}

// dialWithRetry follows remote/connection.go: retry.Until, giving up after
// limit failed dials (-1: never), reporting each failure as a status line.
func dialWithRetry[T any](ctx context.Context, op testprovider.Op, what string, limit int, f func() (T, error)) (T, error) {
	var lastErr error
	ok, data, err := retry.Until(ctx, retry.Acceptor{
		Accept: func(try int, _ time.Duration) (bool, any, error) {
			res, err := f()
			if err == nil {
				return true, res, nil
			}
			lastErr = err
			dials := try + 1
			if limit > unlimitedDials && dials > limit {
				return true, nil, fmt.Errorf("after %d failed attempts: %w", try, err)
			}
			max := "inf"
			if limit != unlimitedDials {
				max = strconv.Itoa(limit)
			}
			op.Log(diag.Info, true, fmt.Sprintf("%s %d/%s failed: retrying", what, dials, max))
			return false, nil, nil
		},
	})
	var zero T
	if ok && err == nil {
		return data.(T), nil
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = lastErr
	}
	return zero, err
}

// dial opens the SSH client, through the proxy (bastion) when configured.
func (c *connection) dial(ctx context.Context, op testprovider.Op) (*ssh.Client, error) {
	cfg, err := c.sshConfig()
	if err != nil {
		return nil, err
	}
	endpoint := net.JoinHostPort(c.host, strconv.Itoa(c.port))
	if c.proxy == nil {
		return dialWithRetry(ctx, op, "Dial", c.dialErrorLimit, func() (*ssh.Client, error) {
			return ssh.Dial("tcp", endpoint, cfg)
		})
	}
	pcfg, err := c.proxy.sshConfig()
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	proxyClient, err := dialWithRetry(ctx, op, "Dial proxy", c.proxy.dialErrorLimit, func() (*ssh.Client, error) {
		return ssh.Dial("tcp", net.JoinHostPort(c.proxy.host, strconv.Itoa(c.proxy.port)), pcfg)
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	conn, err := dialWithRetry(ctx, op, "Dial from proxy", c.dialErrorLimit, func() (net.Conn, error) {
		return proxyClient.Dial("tcp", endpoint)
	})
	if err != nil {
		proxyClient.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	type clientConn struct {
		conn  ssh.Conn
		chans <-chan ssh.NewChannel
		reqs  <-chan *ssh.Request
	}
	cc, err := dialWithRetry(ctx, op, "Dial", c.dialErrorLimit, func() (clientConn, error) {
		sc, ch, rq, err := ssh.NewClientConn(conn, endpoint, cfg)
		return clientConn{sc, ch, rq}, err
	})
	if err != nil {
		proxyClient.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return ssh.NewClient(cc.conn, cc.chans, cc.reqs), nil
}
