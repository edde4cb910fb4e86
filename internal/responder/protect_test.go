package responder

import "testing"

func TestGuard_Namespaces(t *testing.T) {
	c, err := ParseConfig([]byte("responses: []\nownNamespace: responder\nallow:\n  namespaces: [ci-runners]\n"))
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
