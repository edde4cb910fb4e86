// Package responderlab_test runs the program's own responder step
// (recorded from the dev stack under mocks: responder.sh, the rendered
// unit, configuration, firewalld policy, token script and timer, the binary
// built for the host) on a lab host, after the program's packages and
// firewall steps, against a real kube-apiserver + etcd on that host
// (tests/lab/labapi), and measures the deployed path.
package responderlab_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k3s-onprem/components/falco"
	"k3s-onprem/components/k3s"
	"k3s-onprem/components/responder"
	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/lab/labapi"
	"k3s-onprem/tests/lab/labhost"
	"k3s-onprem/tests/lab/runner"
	"k3s-onprem/tests/realapi/apiserver"
	"k3s-onprem/tests/responderload"

	resourcepkg "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The lab network of this package (its own /24, so it runs beside the
// other lab packages) and its one server.
const (
	serverName = "dev-server-1"
	serverAddr = "10.213.0.11"
	labCIDR    = "10.213.0.0/24"
	labVIP     = "10.213.0.100"
)

// hostSteps are the steps that run, in the plan's order: what the
// responder step needs before it (packages: curl; firewall: the internal
// zone its policy opens the port from) and Falco's host files.
var hostSteps = []string{
	"packages", "firewall",
	k3s.StepToken, k3s.StepBinary, k3s.StepConfig, k3s.StepSELinux, k3s.StepPermissions,
	falco.StepName, responder.StepName,
}

// clusterPhase is where hostSteps reach what needs the cluster's objects
// (the responder's identity); the steps before it are the host and k3s
// layers.
const clusterPhase = 7

// env is one lab server with the program's responder running on it.
type env struct {
	lab   *labhost.Lab
	plan  *plan.Plan
	opts  runner.Options
	first []runner.Result
	// before is the host before any program step ran (after the lab's
	// API server was placed).
	before map[string]string
	// admin reaches the host's API server from the test process as
	// system:masters; rest is its configuration.
	admin kubernetes.Interface
	rest  *rest.Config
	// webhook, bearer and client are what falcosidekick is given.
	webhook string
	bearer  string
	client  *http.Client
}

// setup boots the host, starts its API server, applies the responder's
// Kubernetes identity from the plan and runs the program's steps once.
func setup(t testing.TB) *env {
	t.Helper()
	kubeAPIServer, etcd, _ := apiserver.StaticBinaries(t)
	kubectl := apiserver.Kubectl(t)
	lab := labhost.Start(t, []labhost.HostSpec{{Name: serverName, Addresses: []string{serverAddr}}})
	pki, err := apiserver.NewRemotePKI([]net.IP{net.ParseIP(serverAddr), net.ParseIP(labVIP)})
	if err != nil {
		t.Fatal(err)
	}
	p := planForLab(t, lab)
	h := lab.Host(serverName)
	if err := labapi.Install(lab, h, pki, labapi.Binaries{KubeAPIServer: kubeAPIServer, Etcd: etcd, Kubectl: kubectl}); err != nil {
		t.Fatal(err)
	}
	if err := labapi.Start(lab, serverName, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	e := &env{lab: lab, plan: p, before: lab.Snapshot(t, serverName)}
	e.rest = &rest.Config{
		Host:            "https://" + serverAddr + ":6443",
		TLSClientConfig: rest.TLSClientConfig{CAData: pki.ServerCA, CertData: pki.AdminCert, KeyData: pki.AdminKey},
		QPS:             500, Burst: 1000,
	}
	e.admin = kubernetes.NewForConfigOrDie(e.rest)

	stdin, caPEM := realTLS(t, p)
	e.opts = runner.Options{Include: steps(hostSteps...), Stdin: stdin}
	// In the program the host layer comes first (its firewall opens 6443
	// to the internal zone), the identity with the cluster, the responder
	// after both.
	start := time.Now()
	if e.first, err = runner.Apply(p, lab, runner.Options{Include: steps(hostSteps[:clusterPhase]...)}); err != nil {
		t.Fatal(err)
	}
	applyIdentity(t, e.rest, p)
	rest, err := runner.Apply(p, lab, runner.Options{Include: steps(hostSteps[clusterPhase:]...), Stdin: stdin})
	e.first = append(e.first, rest...)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.first) != len(hostSteps) {
		t.Fatalf("ran %d steps, want %d (%v)", len(e.first), len(hostSteps), hostSteps)
	}
	t.Logf("%d steps in %s", len(e.first), time.Since(start).Round(time.Millisecond))

	e.bearer = bearerOf(t, p)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		// Under the responder's per-source cap (connections.perSource,
		// 128): see internal/responder/README.md.
		MaxIdleConnsPerHost: 64, MaxConnsPerHost: 100,
	}
	e.client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	// The server's own address: there is no keepalived in this lab, and
	// the certificate covers each server as well as the VIP.
	e.webhook = responder.WebhookURL(serverAddr, responder.DefaultPort)
	return e
}

// steps selects the named steps of the server.
func steps(names ...string) func(r *plan.Resource) bool {
	return func(r *plan.Resource) bool {
		for _, s := range names {
			if r.Name == serverName+"-"+s {
				return true
			}
		}
		return false
	}
}

// planForLab runs the dev stack under mocks with one server on this
// package's network (one server is a valid etcd quorum), air-gapped: the
// k3s binary the program copies is the lab's stand-in (labapi.K3sStandin)
// with its checksum, at the dev stack's pinned version.
func planForLab(t testing.TB, lab *labhost.Lab) *plan.Plan {
	t.Helper()
	version := k3sVersion(t)
	standin := labapi.K3sStandin(version)
	binary := filepath.Join(t.TempDir(), "k3s")
	if err := os.WriteFile(binary, standin, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(standin)
	k3sCfg, _ := json.Marshal(map[string]any{"version": version, "airgap": map[string]any{"binaryPath": binary, "binarySha256": hex.EncodeToString(sum[:])}})
	nodes, _ := json.Marshal([]map[string]any{{
		"name": serverName, "role": stacks.RoleServer, "internalAddress": serverAddr,
		"ssh": map[string]any{"hostKey": lab.Host(serverName).HostKey},
	}})
	p, err := stacks.PlanStack("../../..", "dev", func(raw map[string]string) {
		raw["nodes"] = string(nodes)
		raw["k3s"] = string(k3sCfg)
		raw["network"] = `{"internalCidr": "` + labCIDR + `"}`
		raw["vip"] = `{"address": "` + labVIP + `", "unicast": true}`
		raw["loadBalancer"] = `{"pools": [{"name": "internal", "range": "10.213.0.200-10.213.0.220", "network": "internal"}, {"name": "external", "range": "10.213.0.221-10.213.0.240", "network": "internal"}]}`
		raw[stacks.KeySSHPrivateKey] = string(lab.ClientKeyPEM())
		raw["ssh"] = `{"user": "root"}`
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// k3sVersion is the dev stack's pinned k3s version (what the stand-in
// reports).
func k3sVersion(t testing.TB) string {
	t.Helper()
	sf, err := stacks.ReadStackFile("../../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct{ Version string }
	if err := json.Unmarshal([]byte(sf.Raw["k3s"]), &k); err != nil || k.Version == "" {
		t.Fatalf("k3s.version of the dev stack: %v", err)
	}
	return k.Version
}

// applyIdentity creates the responder's Kubernetes objects exactly as the
// plan records them: its namespace and that namespace's NetworkPolicies
// from the podsecurity layer (the registry's entry), then the component's
// ServiceAccount, ClusterRole from the actions' permissions, and binding.
func applyIdentity(t testing.TB, cfg *rest.Config, p *plan.Plan) {
	t.Helper()
	gvr := map[string]schema.GroupVersionResource{
		"kubernetes:core/v1:Namespace":                               {Version: "v1", Resource: "namespaces"},
		"kubernetes:core/v1:ServiceAccount":                          {Version: "v1", Resource: "serviceaccounts"},
		"kubernetes:networking.k8s.io/v1:NetworkPolicy":              {Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole":        {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"},
	}
	comp := p.OfType("k3s-onprem:responder:Responder")
	layer := p.OfType("k3s-onprem:podsecurity:PodSecurity")
	if len(comp) != 1 || len(layer) != 1 {
		t.Fatalf("plan has %d responder components and %d podsecurity layers", len(comp), len(layer))
	}
	dyn := dynamic.NewForConfigOrDie(cfg)
	applied := map[string]bool{}
	for _, r := range p.Resources {
		if !strings.HasPrefix(r.Type, "kubernetes:") {
			continue
		}
		obj, _ := plan.Plain(resourcepkg.NewObjectProperty(r.Inputs)).(map[string]any)
		u := &unstructured.Unstructured{Object: obj}
		ownNamespace := (r.Type == "kubernetes:core/v1:Namespace" && u.GetName() == responder.DefaultNamespace) ||
			(r.Type == "kubernetes:networking.k8s.io/v1:NetworkPolicy" && u.GetNamespace() == responder.DefaultNamespace)
		switch {
		case r.Parent == comp[0].URN:
		case r.Parent == layer[0].URN && ownNamespace:
		default:
			continue
		}
		res, ok := gvr[r.Type]
		if !ok {
			t.Fatalf("%s: no mapping for %s", r.Name, r.Type)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(res)
		if ns := u.GetNamespace(); ns != "" {
			ri = dyn.Resource(res).Namespace(ns)
		}
		if _, err := ri.Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		applied[r.Type] = true
	}
	if len(applied) != len(gvr) {
		t.Fatalf("applied objects of %d kinds, want %d: %v", len(applied), len(gvr), applied)
	}
}

// realTLS stands in for pulumi-tls, whose plugin cannot be obtained here
// (the mocks record a placeholder PEM): a real CA and server certificate
// for the IP SANs the plan's certificate request carries. It returns the
// stdin replacement for the responder step (the recorded secret line, then
// the real key and certificate, as responder.sh reads them) and the CA.
func realTLS(t testing.TB, p *plan.Plan) (func(*plan.Resource, string) string, []byte) {
	t.Helper()
	csr := p.OfType("tls:index/certRequest:CertRequest")
	if len(csr) != 1 {
		t.Fatalf("plan has %d certificate requests", len(csr))
	}
	var ips []net.IP
	for _, v := range csr[0].Inputs["ipAddresses"].ArrayValue() {
		ips = append(ips, net.ParseIP(v.StringValue()))
	}
	ca, cert, key, err := apiserver.NewServingPair("k3s-onprem-responder", ips)
	if err != nil {
		t.Fatal(err)
	}
	return func(r *plan.Resource, recorded string) string {
		if r.Name != serverName+"-"+responder.StepName {
			return recorded
		}
		secret, _, _ := strings.Cut(recorded, "\n")
		return secret + "\n" + string(key) + string(cert)
	}, ca
}

// bearerOf is the shared secret the plan gives the step (the mocks'
// RandomPassword result): the first stdin line.
func bearerOf(t testing.TB, p *plan.Plan) string {
	t.Helper()
	r := p.Named("command:remote:Command", serverName+"-"+responder.StepName)
	if r == nil {
		t.Fatal("no responder step in the plan")
	}
	secret, _, _ := strings.Cut(plan.Str(r.Inputs, "stdin"), "\n")
	if !strings.HasPrefix(secret, plan.MockSecretPrefix) {
		t.Fatalf("the step's stdin does not start with the secret")
	}
	return secret
}

// post sends one event as falcosidekick does and decodes the answer.
func (e *env) post(body []byte, bearer string) (int, map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, e.webhook, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, nil
}

// event is a falcosidekick payload from this lab's server.
func event(rule, priority, ns, pod, uid string) []byte {
	return responderload.Event(rule, priority, ns, pod, uid, serverName)
}
