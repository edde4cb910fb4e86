package apiserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options configures a test control plane.
type Options struct {
	// ExtraArgs is a k3s kube-apiserver-arg list ("name=value", as in
	// config.yaml). It is merged over the k3s defaults with k3s's rules
	// (see mergeArgs). Absolute paths in values are rewritten to the
	// copies of Files.
	ExtraArgs []string
	// Files maps host paths (e.g. /var/lib/rancher/k3s/server/psa.yaml) to
	// content. They are written into a per-test directory under the same
	// relative path.
	Files map[string][]byte
	// WithControllerManager also runs kube-controller-manager, for tests
	// that need controllers (default service accounts, ReplicaSets,
	// namespace deletion).
	WithControllerManager bool
	// ControllerManagerArgs is a k3s kube-controller-manager-arg list,
	// merged over the harness's controller-manager flags with the same
	// rules as ExtraArgs. Used only WithControllerManager.
	ControllerManagerArgs []string
	// NoSecretsEncryption leaves out the k3s secrets-encryption config.
	// The default is on, like the clusters this project builds.
	NoSecretsEncryption bool
	// ServiceCIDR defaults to k3s's 10.43.0.0/16.
	ServiceCIDR string
	// ClusterCIDR (pod network, for kube-controller-manager) defaults to
	// k3s's 10.42.0.0/16.
	ClusterCIDR string
	// ReadyTimeout bounds each readiness wait. Default 2 minutes: the
	// apiserver needs 6-8 s on an idle 2-core machine and several times
	// that when builds run next to it.
	ReadyTimeout time.Duration
}

// Server is a running control plane. Everything is stopped by t.Cleanup.
type Server struct {
	url          string
	caPEM        []byte
	certPEM      []byte
	keyPEM       []byte
	kubeconfig   []byte
	etcdEndpoint string
	args         []string
	root         hostRoot
	readyAfter   time.Duration
}

// Default versions; keep in step with tests/realapi/build.sh.
const (
	defaultKubeVersion = "v1.34.4"
	defaultEtcdVersion = "v3.6.16"
)

// maxPortRetries bounds restarts after losing a free port to another process.
const maxPortRetries = 3

// Start starts etcd and kube-apiserver (plus kube-controller-manager when
// asked) and returns when /readyz answers. Any failure fails the test; see
// StartE to get the error instead.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := StartE(t, opts)
	if err != nil {
		t.Fatalf("realapi: %v", err)
	}
	return s
}

// StartE is Start returning start failures (a rejected flag, a missing
// file, a timeout) as an error. Missing prerequisites still skip the test
// (or fail it under CI=true), and processes are still cleaned up through t.
func StartE(t testing.TB, opts Options) (*Server, error) {
	t.Helper()
	b := requireBinaries(t)
	if opts.ServiceCIDR == "" {
		opts.ServiceCIDR = "10.43.0.0/16"
	}
	if opts.ClusterCIDR == "" {
		opts.ClusterCIDR = "10.42.0.0/16"
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 2 * time.Minute
	}
	_, svcNet, err := net.ParseCIDR(opts.ServiceCIDR)
	if err != nil {
		return nil, fmt.Errorf("ServiceCIDR: %w", err)
	}
	firstIP := make(net.IP, len(svcNet.IP))
	copy(firstIP, svcNet.IP)
	firstIP[len(firstIP)-1]++

	dir := t.TempDir()
	for _, d := range []string{"tls", "cred", "etcd", "logs", "host", "tls/temporary-certs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	p, err := newPKI(filepath.Join(dir, "tls"), firstIP)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	in := apiServerInputs{
		kubeMinor:   kubeMinor(KubeVersion()),
		certDir:     filepath.Join(dir, "tls", "temporary-certs"),
		serviceCIDR: opts.ServiceCIDR,
		pki:         p,
	}
	if !opts.NoSecretsEncryption {
		in.encryptionConfig = filepath.Join(dir, "cred", "encryption-config.json")
		if err := writeEncryptionConfig(in.encryptionConfig); err != nil {
			return nil, fmt.Errorf("encryption config: %w", err)
		}
	}
	root := hostRoot(filepath.Join(dir, "host"))
	if err := root.writeFiles(opts.Files); err != nil {
		return nil, err
	}
	extra, err := root.rewriteArgs(opts.ExtraArgs, opts.Files)
	if err != nil {
		return nil, err
	}

	etcdURL, err := startEtcd(t, b.etcd, dir, opts.ReadyTimeout)
	if err != nil {
		return nil, err
	}
	in.etcdURL = etcdURL

	s := &Server{
		caPEM:        p.serverCAPEM,
		certPEM:      p.adminCertPEM,
		keyPEM:       p.adminKeyPEM,
		etcdEndpoint: etcdURL,
		root:         root,
	}
	started := time.Now()
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		in.port = port
		s.url = fmt.Sprintf("https://127.0.0.1:%d", port)
		s.args = mergeArgs(k3sAPIServerDefaults(in, extra), extra)
		proc, err := startProc("kube-apiserver", b.apiserver, s.args, filepath.Join(dir, "logs", "kube-apiserver.log"))
		if err != nil {
			return nil, err
		}
		registerStop(t, proc, 10*time.Second)
		err = s.waitReady(proc, opts.ReadyTimeout)
		if err == nil {
			break
		}
		if attempt < maxPortRetries && proc.exited() && proc.logContains("address already in use") {
			continue
		}
		return nil, err
	}
	s.readyAfter = time.Since(started)
	t.Logf("realapi: kube-apiserver %s ready at %s after %s", b.kubeVersion, s.url, s.readyAfter.Round(time.Millisecond))

	kc, err := s.buildKubeconfig()
	if err != nil {
		return nil, err
	}
	s.kubeconfig = kc
	if opts.WithControllerManager {
		if err := s.startControllerManager(t, b, p, dir, opts); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// registerStop stops p when the test ends and, if the test failed, logs the
// end of its output so a failure can be understood from the test log alone.
func registerStop(t testing.TB, p *proc, grace time.Duration) {
	t.Cleanup(func() {
		p.stop(grace)
		if t.Failed() {
			t.Logf("realapi: last lines of %s (%s):\n%s", p.name, p.logPath, p.tail(30))
		}
	})
}

// startEtcd runs a single-member etcd on free loopback ports. Durability
// does not matter for a test, so fsync is off, which makes it much faster
// on a busy disk.
func startEtcd(t testing.TB, bin, dir string, timeout time.Duration) (string, error) {
	for attempt := 1; ; attempt++ {
		client, err := freePort()
		if err != nil {
			return "", err
		}
		peer, err := freePort()
		if err != nil {
			return "", err
		}
		clientURL := fmt.Sprintf("http://127.0.0.1:%d", client)
		peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
		dataDir := filepath.Join(dir, "etcd", fmt.Sprintf("data-%d", attempt))
		args := []string{
			"--name=default",
			"--data-dir=" + dataDir,
			"--listen-client-urls=" + clientURL,
			"--advertise-client-urls=" + clientURL,
			"--listen-peer-urls=" + peerURL,
			"--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=default=" + peerURL,
			"--unsafe-no-fsync",
			"--log-level=warn",
		}
		p, err := startProc("etcd", bin, args, filepath.Join(dir, "logs", "etcd.log"))
		if err != nil {
			return "", err
		}
		registerStop(t, p, 5*time.Second)
		err = poll(p, timeout, func() (bool, error) {
			resp, err := http.Get(clientURL + "/health")
			if err != nil {
				return false, nil
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"true"`), nil
		})
		if err == nil {
			return clientURL, nil
		}
		if attempt < maxPortRetries && p.exited() && p.logContains("address already in use") {
			continue
		}
		return "", fmt.Errorf("etcd: %w", err)
	}
}

// errExited is wrapped by poll when the watched process ends first.
var errExited = errors.New("exited")

// poll calls cond every 100 ms until it is true, it errors, the process
// exits, or timeout passes. A process exit is reported with the end of its
// log, which is where kube-apiserver says which flag or file it rejected.
func poll(p *proc, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		if p.exited() {
			return fmt.Errorf("%s %w before it was ready (%v); last lines of its log:\n%s", p.name, errExited, p.err, p.tail(30))
		}
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s; last lines of its log:\n%s", p.name, timeout, p.tail(30))
		}
		select {
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) tlsConfig() (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.caPEM) {
		return nil, errors.New("bad CA PEM")
	}
	cert, err := tls.X509KeyPair(s.certPEM, s.keyPEM)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// waitReady polls /readyz as the admin until it returns 200.
func (s *Server) waitReady(p *proc, timeout time.Duration) error {
	tc, err := s.tlsConfig()
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	defer hc.CloseIdleConnections()
	return poll(p, timeout, func() (bool, error) {
		resp, err := hc.Get(s.url + "/readyz")
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode == http.StatusOK, nil
	})
}

func (s *Server) buildKubeconfig() ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["realapi"] = &clientcmdapi.Cluster{Server: s.url, CertificateAuthorityData: s.caPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: s.certPEM, ClientKeyData: s.keyPEM}
	cfg.Contexts["realapi"] = &clientcmdapi.Context{Cluster: "realapi", AuthInfo: "admin"}
	cfg.CurrentContext = "realapi"
	return clientcmd.Write(*cfg)
}

// startControllerManager runs kube-controller-manager as admin, with the
// controller set and credentials k3s uses, and waits until the service
// account controller has created default/default, which shows the
// controllers are running, not just the process.
//
// Differences from k3s's flags, on purpose: secure-port=0 (no metrics port
// to allocate), leader-elect=false (one instance; no lease wait), and no
// cluster-signing-* files (no CSR signing is tested; k3s passes its CA keys).
func (s *Server) startControllerManager(t testing.TB, b binaries, p *pki, dir string, opts Options) error {
	kcPath := filepath.Join(dir, "cred", "admin.kubeconfig")
	if err := os.WriteFile(kcPath, s.kubeconfig, 0o600); err != nil {
		return err
	}
	extra, err := s.root.rewriteArgs(opts.ControllerManagerArgs, opts.Files)
	if err != nil {
		return err
	}
	args := mergeArgs(map[string]string{
		"kubeconfig":                       kcPath,
		"service-account-private-key-file": p.saKey,
		"root-ca-file":                     p.serverCA,
		"use-service-account-credentials":  "true",
		"controllers":                      "*",
		"allocate-node-cidrs":              "true",
		"cluster-cidr":                     opts.ClusterCIDR,
		"configure-cloud-routes":           "false",
		"profiling":                        "false",
		"bind-address":                     "127.0.0.1",
		"secure-port":                      "0",
		"leader-elect":                     "false",
	}, extra)
	timeout := opts.ReadyTimeout
	proc, err := startProc("kube-controller-manager", b.controllerManager, args, filepath.Join(dir, "logs", "kube-controller-manager.log"))
	if err != nil {
		return err
	}
	registerStop(t, proc, 10*time.Second)
	cs, err := kubernetes.NewForConfig(s.RESTConfig())
	if err != nil {
		return err
	}
	started := time.Now()
	err = poll(proc, timeout, func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) || err != nil && !apierrors.IsForbidden(err) && !apierrors.IsUnauthorized(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return err
	}
	t.Logf("realapi: kube-controller-manager working after %s", time.Since(started).Round(time.Millisecond))
	return nil
}

// RESTConfig returns a new admin (system:masters) client config.
func (s *Server) RESTConfig() *rest.Config {
	return &rest.Config{
		Host: s.url,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   append([]byte(nil), s.caPEM...),
			CertData: append([]byte(nil), s.certPEM...),
			KeyData:  append([]byte(nil), s.keyPEM...),
		},
		// Tests create objects in bursts; client-side throttling would
		// only add latency.
		QPS:   100,
		Burst: 200,
	}
}

// ImpersonatedConfig returns an admin config that acts as user (and
// groups) through impersonation, for checking what a given user or service
// account may do. For a service account pass
// "system:serviceaccount:<ns>:<name>" and its groups
// (system:serviceaccounts, system:serviceaccounts:<ns>, system:authenticated).
func (s *Server) ImpersonatedConfig(user string, groups ...string) *rest.Config {
	c := s.RESTConfig()
	c.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return c
}

// AnonymousConfig returns a config that trusts the server but presents no
// credentials.
func (s *Server) AnonymousConfig() *rest.Config {
	return &rest.Config{Host: s.url, TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), s.caPEM...)}}
}

// Kubeconfig returns an admin kubeconfig with embedded credentials.
func (s *Server) Kubeconfig() []byte { return append([]byte(nil), s.kubeconfig...) }

// URL is the apiserver's https URL on loopback.
func (s *Server) URL() string { return s.url }

// CAPEM is the CA that signed the serving certificate.
func (s *Server) CAPEM() []byte { return append([]byte(nil), s.caPEM...) }

// EtcdEndpoint is etcd's client URL (plain http on loopback).
func (s *Server) EtcdEndpoint() string { return s.etcdEndpoint }

// Args is the kube-apiserver command line after merging and path rewriting.
func (s *Server) Args() []string { return append([]string(nil), s.args...) }

// HostPath maps a host path from Options.Files or ExtraArgs to the file the
// apiserver actually uses.
func (s *Server) HostPath(hostPath string) string { return s.root.path(hostPath) }

// AuditLogPath is where the apiserver writes its audit log, or "" when the
// args set no file (unset or "-", which means stdout).
func (s *Server) AuditLogPath() string {
	var v string
	for _, a := range s.args {
		if n, val := splitArg(a); n == "audit-log-path" {
			v = val // the last one wins, as for any repeated string flag
		}
	}
	if v == "-" {
		return ""
	}
	return v
}

// KubeVersion is the Kubernetes version the harness runs (env KUBE_VERSION,
// default v1.34.4), for tests that render configuration for that version.
func KubeVersion() string { return envOr("KUBE_VERSION", defaultKubeVersion) }

// kubeMinor is the minor of a v1.MINOR.PATCH version (0 if it is not one).
func kubeMinor(v string) int {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(parts[1])
	return n
}

// ReadyAfter is how long kube-apiserver took from start to /readyz.
func (s *Server) ReadyAfter() time.Duration { return s.readyAfter }
