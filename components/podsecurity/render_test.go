package podsecurity

import (
	"strings"
	"testing"

	"k3s-onprem/internal/golden"
)

// testNamespaces mirror what the load balancer and ingress components
// declare, so the golden files show a realistic layer.
var testNamespaces = []Namespace{
	{
		Name: "metallb-system", Enforce: Privileged, Reason: "the speaker needs hostNetwork and NET_RAW",
		Workloads: []Workload{
			{Name: "controller", Selector: map[string]string{"app.kubernetes.io/component": "controller"},
				Public: []Port{{Port: 9443}}, Metrics: []Port{{Port: 7472}}, APIServer: true},
			{Name: "speaker", HostNetwork: true},
		},
		PSPGrants: []PSPGrant{{Policy: PSPSystemUnrestricted, ServiceAccounts: []string{"metallb-speaker"}, Reason: "hostNetwork"}},
	},
	{
		Name: "ingress-nginx", Enforce: Restricted,
		Workloads: []Workload{{Name: "controller", Selector: map[string]string{"app.kubernetes.io/component": "controller"},
			Public: []Port{{Port: 80}, {Port: 443}, {Port: 8443}}, Metrics: []Port{{Port: 10254}}, APIServer: true, AllPods: true}},
		PSPGrants: []PSPGrant{{Policy: PSPNetBindService, ServiceAccounts: []string{"ingress-nginx"}, Reason: "binds 80/443"}},
	},
}

var testNetwork = Network{InternalCIDR: "192.168.122.0/24", ServiceCIDR: "10.44.0.0/16"}

func renderYAML(t *testing.T, cfg Config) []byte {
	t.Helper()
	m, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y, err := YAML(m.Objects()...)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func TestGolden_PSA(t *testing.T) {
	golden.Assert(t, "psa-v1.34.yaml", renderYAML(t, Config{Mode: ModePSA, KubeMinor: 34, Namespaces: testNamespaces, Network: testNetwork}))
}

func TestGolden_PSP(t *testing.T) {
	golden.Assert(t, "psp-v1.24.yaml", renderYAML(t, Config{Mode: ModePSP, KubeMinor: 24, Namespaces: testNamespaces, Network: testNetwork}))
}

func TestGolden_NewNamespaceTemplate(t *testing.T) {
	ns, sa, pols := NewNamespaceTemplate("my-app", []string{"ingress-nginx-internal", "ingress-nginx"})
	objs := []any{&ns, &sa}
	for i := range pols {
		objs = append(objs, &pols[i])
	}
	y, err := YAML(objs...)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "new-namespace.yaml", y)
}

func TestRender_ModeSelectsMechanism(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		minor      int
		psp, vap   int
		nsLabelled bool
	}{
		{ModePSP, 24, 3, 0, false},
		{ModePSA, 25, 0, 0, true}, // no ValidatingAdmissionPolicy v1 before 1.30
		{ModePSA, 29, 0, 0, true},
		{ModePSA, 30, 0, 1, true},
		{ModePSA, 35, 0, 1, true},
	} {
		m, err := Render(Config{Mode: tc.mode, KubeMinor: tc.minor, Namespaces: testNamespaces, Network: testNetwork})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.PodSecurityPolicies) != tc.psp || len(m.AdmissionPolicies) != tc.vap || len(m.AdmissionBindings) != tc.vap {
			t.Errorf("%s 1.%d: %d PSPs, %d VAPs; want %d, %d", tc.mode, tc.minor, len(m.PodSecurityPolicies), len(m.AdmissionPolicies), tc.psp, tc.vap)
		}
		for _, ns := range m.Namespaces {
			if got := ns.Labels[LabelEnforce] != ""; got != tc.nsLabelled {
				t.Errorf("%s 1.%d: namespace %s labelled=%v", tc.mode, tc.minor, ns.Name, got)
			}
		}
	}
}

func TestRender_EveryManagedNamespaceHasPoliciesAndPatch(t *testing.T) {
	m, err := Render(Config{Mode: ModePSA, KubeMinor: 34, Namespaces: testNamespaces, Network: testNetwork})
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string(nil), ExistingNamespaces...)
	for _, ns := range testNamespaces {
		want = append(want, ns.Name)
	}
	for _, ns := range want {
		pols := map[string]bool{}
		for _, p := range m.NetworkPolicies {
			if p.Namespace == ns {
				pols[p.Name] = true
			}
		}
		if !pols[PolicyDefaultDeny] || !pols[PolicyAllowDNS] {
			t.Errorf("%s: policies %v, want default-deny and allow-dns", ns, pols)
		}
		patched := false
		for _, sa := range m.ServiceAccounts {
			patched = patched || sa.Namespace == ns && sa.Name == "default" && sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken
		}
		if !patched {
			t.Errorf("%s: default service account not patched", ns)
		}
	}
	for _, p := range m.NetworkPolicies {
		if strings.HasSuffix(p.Name, "speaker") {
			t.Errorf("%s/%s: host-network pods get no policy (it would not apply)", p.Namespace, p.Name)
		}
	}
}

func TestRender_RejectsUnexplainedPrivilege(t *testing.T) {
	_, err := Render(Config{Mode: ModePSA, Namespaces: []Namespace{{Name: "x", Enforce: Privileged}}, Network: testNetwork})
	if err == nil || !strings.Contains(err.Error(), "needs a reason") {
		t.Fatalf("privileged namespace without reason: %v", err)
	}
}

func TestPSP_BlogBindings(t *testing.T) {
	_, crbs, rbs := PSPRBAC(nil)
	subjects := map[string][]string{}
	for _, b := range crbs {
		for _, s := range b.Subjects {
			subjects[b.RoleRef.Name] = append(subjects[b.RoleRef.Name], s.Name)
		}
	}
	for _, b := range rbs {
		for _, s := range b.Subjects {
			subjects[b.RoleRef.Name] = append(subjects[b.RoleRef.Name], b.Namespace+":"+s.Name)
		}
	}
	want := map[string]string{
		"system-unrestricted-psp-role": "system:nodes kube-system:system:serviceaccounts:kube-system",
		"use-restricted-psp":           "system:serviceaccounts system:authenticated",
	}
	for role, w := range want {
		if got := strings.Join(subjects[role], " "); got != w {
			t.Errorf("%s bound to %q, want %q", role, got, w)
		}
	}
	for role, subs := range subjects {
		for _, s := range subs {
			if strings.Contains(s, "unauthenticated") {
				t.Errorf("%s bound to %s", role, s)
			}
		}
	}
}
