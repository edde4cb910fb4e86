package responder

import (
	"strings"
	"testing"
)

func TestGuard_Namespaces(t *testing.T) {
	c, err := ParseConfig([]byte("responses: []\nownNamespace: responder\nprotectedNamespaces: [falco, metallb-system, ingress-nginx*]\nallow:\n  namespaces: [ci-runners, falco]\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := newGuard(c)
	for ns, want := range map[string]string{
		"kube-system": ReasonProtectedNamespace, "kube-public": ReasonProtectedNamespace,
		"kube-node-lease": ReasonProtectedNamespace, "falco": ReasonProtectedNamespace,
		"metallb-system": ReasonProtectedNamespace, "ingress-nginx": ReasonProtectedNamespace,
		"ingress-nginx-internal": ReasonProtectedNamespace, "ingress-nginx-external": ReasonProtectedNamespace,
		"responder":  ReasonProtectedNamespace,
		"ci-runners": ReasonAllowedNamespace,
		"default":    "", "shop": "", "kube-systemx": "", "falcon": "",
	} {
		if got := g.namespace(ns); got != want {
			t.Errorf("%s: %q, want %q", ns, got, want)
		}
	}
}

// Without protectedNamespaces only Kubernetes' own and ownNamespace are
// protected: the program's namespaces come from the deployment, which
// stacks' TestGraph_ResponderProtectsEveryNamespaceTheProgramCreates pins.
func TestGuard_BuiltInNamespaces(t *testing.T) {
	c, err := ParseConfig([]byte("responses: []\nownNamespace: responder\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ProtectedNamespaces(); len(got) != 4 || got[0] != "kube-node-lease" || got[3] != "responder" {
		t.Fatalf("protected %v", got)
	}
}

func TestConfig_RejectsBadProtectedNamespace(t *testing.T) {
	for _, bad := range []string{"Falco", "*", "a/b", "ingress*nginx"} {
		if _, err := ParseConfig([]byte("responses: []\nprotectedNamespaces: [\"" + bad + "\"]\n")); err == nil || !strings.Contains(err.Error(), "protectedNamespaces[0]") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestGuard_AllowListCannotUnprotect(t *testing.T) {
	c, err := ParseConfig([]byte("responses: []\nallow:\n  namespaces: [kube-system]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := newGuard(c).namespace("kube-system"); got != ReasonProtectedNamespace {
		t.Fatalf("kube-system reason %q", got)
	}
}

func TestGuard_Labels(t *testing.T) {
	empty := newGuard(&Config{})
	if got := empty.podLabels(map[string]string{"app": "x", "": ""}); got != "" {
		t.Fatalf("an empty label allow-list exempted a pod: %q", got)
	}
	g := newGuard(&Config{Allow: Allow{PodLabels: []string{"k3s-onprem.io/responder-exempt", "tier=debug"}}})
	for _, c := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"k3s-onprem.io/responder-exempt": "anything"}, ReasonAllowedLabel},
		{map[string]string{"tier": "debug"}, ReasonAllowedLabel},
		{map[string]string{"tier": "backend"}, ""},
		{nil, ""},
	} {
		if got := g.podLabels(c.labels); got != c.want {
			t.Errorf("%v: %q, want %q", c.labels, got, c.want)
		}
	}
}
