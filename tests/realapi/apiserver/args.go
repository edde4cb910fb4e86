package apiserver

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// apiServerInputs are the per-run values the k3s defaults refer to.
type apiServerInputs struct {
	// kubeMinor is the Kubernetes minor of the binary (k3s's defaults
	// follow its release line).
	kubeMinor        int
	etcdURL          string
	port             int
	certDir          string
	serviceCIDR      string
	encryptionConfig string // empty: secrets encryption off
	pki              *pki
}

// k3sAPIServerDefaults is the one place that lists the kube-apiserver flags
// k3s always sets itself (k3s pkg/daemons/control/server.go, func apiServer,
// v1.3x line), before it merges the user's kube-apiserver-arg list over
// them. Paths point at this run's generated files instead of
// /var/lib/rancher/k3s/server/{tls,cred}.
//
// Deliberately left out, because upstream kube-apiserver cannot take them here:
//   - advertise-port: a flag of k3s's patched apiserver only; upstream
//     rejects it as unknown.
//   - enable-aggregator-routing and egress-selector-config-file: in k3s they
//     send apiserver->cluster traffic through the k3s supervisor's tunnel,
//     which does not exist without k3s (k3s also drops them when
//     egress-selector-mode=disabled).
//   - advertise-address: k3s sets the node IP; we use 127.0.0.1 so the
//     kubernetes Service endpoint is loopback, like envtest does.
func k3sAPIServerDefaults(in apiServerInputs, extra []string) map[string]string {
	const clusterDomain = "cluster.local" // k3s default --cluster-domain
	m := map[string]string{
		"storage-backend":                    "etcd3",
		"etcd-servers":                       in.etcdURL,
		"cert-dir":                           in.certDir,
		"allow-privileged":                   "true",
		"enable-bootstrap-token-auth":        "true",
		"service-account-signing-key-file":   in.pki.saKey,
		"service-account-key-file":           in.pki.saKey,
		"service-account-issuer":             "https://kubernetes.default.svc." + clusterDomain,
		"api-audiences":                      "https://kubernetes.default.svc." + clusterDomain + ",k3s",
		"service-cluster-ip-range":           in.serviceCIDR,
		"service-node-port-range":            "30000-32767",
		"advertise-address":                  "127.0.0.1",
		"secure-port":                        strconv.Itoa(in.port),
		"bind-address":                       "127.0.0.1",
		"tls-cert-file":                      in.pki.servingCert,
		"tls-private-key-file":               in.pki.servingKey,
		"kubelet-certificate-authority":      in.pki.serverCA,
		"kubelet-client-certificate":         in.pki.kubeletCert,
		"kubelet-client-key":                 in.pki.kubeletKey,
		"kubelet-preferred-address-types":    "InternalIP,ExternalIP,Hostname",
		"requestheader-client-ca-file":       in.pki.requestHeaderCA,
		"requestheader-allowed-names":        requestHeaderCN,
		"proxy-client-cert-file":             in.pki.proxyCert,
		"proxy-client-key-file":              in.pki.proxyKey,
		"requestheader-extra-headers-prefix": "X-Remote-Extra-",
		"requestheader-group-headers":        "X-Remote-Group",
		"requestheader-username-headers":     "X-Remote-User",
		"client-ca-file":                     in.pki.clientCA,
		"enable-admission-plugins":           "NodeRestriction",
		"profiling":                          "false",
	}
	// k3s leaves these two to a user-supplied structured config file.
	if argValue("authorization-config", extra) == "" {
		m["authorization-mode"] = "Node,RBAC"
	}
	if argValue("authentication-config", extra) == "" {
		m["anonymous-auth"] = "false"
	}
	if in.encryptionConfig != "" {
		m["encryption-provider-config"] = in.encryptionConfig
		// k3s added this in 2023 (k3s-io/k3s#7760, validated on
		// v1.28.1+k3s1); its v1.24 line sets the config file alone, and
		// kube-apiserver has no such flag before 1.26. The harness runs
		// 1.24 and 1.3x, so the cut at 1.26 is exact for both.
		if in.kubeMinor == 0 || in.kubeMinor >= 26 {
			m["encryption-provider-config-automatic-reload"] = "true"
		}
	}
	return m
}

// splitArg splits "name=value" (an optional leading "--" is allowed, as in
// k3s); a bare "name" means "name=true".
func splitArg(a string) (name, value string) {
	name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
	if !ok {
		value = "true"
	}
	return name, value
}

// argValue returns the value of the first arg called name, or "".
func argValue(name string, args []string) string {
	for _, a := range args {
		if n, v := splitArg(a); n == name {
			return v
		}
	}
	return ""
}

// mergeArgs applies a kube-apiserver-arg list to the defaults the way k3s's
// util.GetArgs does, so the resulting command line is the one k3s would run:
// "name=v" replaces the default (repeats accumulate), "name+=v" appends to
// the default, "name-=v" prepends to it. Output is sorted by flag name with
// repeated flags kept in order.
func mergeArgs(defaults map[string]string, extra []string) []string {
	initial := make(map[string]string, len(defaults))
	for k, v := range defaults {
		initial[k] = v
	}
	multi := map[string][]string{}
	for _, a := range extra {
		raw, value := splitArg(a)
		name := strings.TrimRight(raw, "+-")
		def, hasDef := initial[name]
		prev := multi[name]
		var vals []string
		switch {
		case strings.HasSuffix(raw, "+"):
			if hasDef {
				vals = append(vals, def)
			}
			vals = append(append(vals, prev...), value)
		case strings.HasSuffix(raw, "-"):
			vals = append(vals, value)
			if hasDef {
				vals = append(vals, def)
			}
			vals = append(vals, prev...)
		default:
			vals = append(append(vals, prev...), value)
		}
		delete(initial, name)
		multi[name] = vals
	}
	for k, v := range initial {
		multi[k] = []string{v}
	}
	names := make([]string, 0, len(multi))
	for k := range multi {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		for _, v := range multi[n] {
			out = append(out, "--"+n+"="+v)
		}
	}
	return out
}

// outputPathFlags are flags whose absolute-path value is something the
// apiserver writes, so it need not be among Options.Files; its directory is
// created in the test root instead.
var outputPathFlags = map[string]bool{
	"audit-log-path": true,
	"cert-dir":       true,
	"log-file":       true,
}

// hostRoot maps host paths (as rendered for a k3s server, e.g.
// /var/lib/rancher/k3s/server/psa.yaml) into a per-test directory, like a
// chroot, so the rendered args run unchanged apart from the path prefix.
type hostRoot string

func (r hostRoot) path(hostPath string) string {
	return filepath.Join(string(r), filepath.Clean(hostPath))
}

// writeFiles writes Options.Files under the root. Any host path of another
// file that appears inside a file's content (for example an
// AdmissionConfiguration naming a separate PodSecurityConfiguration file) is
// rewritten too, so multi-file configurations keep working.
func (r hostRoot) writeFiles(files map[string][]byte) error {
	keys := make([]string, 0, len(files))
	for k := range files {
		if !filepath.IsAbs(k) {
			return fmt.Errorf("Options.Files key %q is not an absolute host path", k)
		}
		keys = append(keys, k)
	}
	// Longest first, so /a/b.yaml.d is not half-rewritten by /a/b.yaml.
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		content := files[k]
		for _, other := range keys {
			content = bytes.ReplaceAll(content, []byte(other), []byte(r.path(other)))
		}
		dst := r.path(k)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(dst, content, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// rewriteArgs maps every absolute path in the args' values (comma-separated
// lists included) into the root. A path that is neither in files nor the
// value of an output flag is an error: the rendered config references a
// file the test did not supply, and the apiserver would fail on it later
// with a less helpful message.
func (r hostRoot) rewriteArgs(args []string, files map[string][]byte) ([]string, error) {
	out := make([]string, 0, len(args))
	for _, a := range args {
		raw, value := splitArg(a)
		name := strings.TrimRight(raw, "+-")
		parts := strings.Split(value, ",")
		for i, p := range parts {
			if !strings.HasPrefix(p, "/") {
				continue
			}
			if _, ok := files[p]; !ok {
				if !outputPathFlags[name] {
					return nil, fmt.Errorf("kube-apiserver-arg %q references %s, which is not in Options.Files", a, p)
				}
				if err := os.MkdirAll(filepath.Dir(r.path(p)), 0o700); err != nil {
					return nil, err
				}
			}
			parts[i] = r.path(p)
		}
		out = append(out, raw+"="+strings.Join(parts, ","))
	}
	return out, nil
}

// encryptionConfiguration mirrors the JSON k3s writes to
// server/cred/encryption-config.json when secrets-encryption is on (k3s
// pkg/daemons/control/deps, genEncryptionConfigAndState): one aescbc key
// called "aescbckey", then identity so pre-existing plaintext stays
// readable. Local types keep k8s.io/apiserver out of our dependencies.
type encryptionConfiguration struct {
	Kind       string                  `json:"kind"`
	APIVersion string                  `json:"apiVersion"`
	Resources  []encryptionResourceCfg `json:"resources"`
}

type encryptionResourceCfg struct {
	Resources []string              `json:"resources"`
	Providers []encryptionProviderC `json:"providers"`
}

type encryptionProviderC struct {
	AESCBC   *aesConfig `json:"aescbc,omitempty"`
	Identity *struct{}  `json:"identity,omitempty"`
}

type aesConfig struct {
	Keys []aesKey `json:"keys"`
}

type aesKey struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
}

// writeEncryptionConfig writes a k3s-style encryption config with a fresh
// 32-byte AES key (k3s's aescbcKeySize).
func writeEncryptionConfig(path string) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	cfg := encryptionConfiguration{
		Kind:       "EncryptionConfiguration",
		APIVersion: "apiserver.config.k8s.io/v1",
		Resources: []encryptionResourceCfg{{
			Resources: []string{"secrets"},
			Providers: []encryptionProviderC{
				{AESCBC: &aesConfig{Keys: []aesKey{{Name: "aescbckey", Secret: base64.StdEncoding.EncodeToString(key)}}}},
				{Identity: &struct{}{}},
			},
		}},
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
