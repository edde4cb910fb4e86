package k3s

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	psav1 "k8s.io/pod-security-admission/admission/api/v1"
	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/namespaces"
)

// SystemExemptNamespaces are exempt from Pod Security Admission because the
// platform's own privileged pods run there (from the namespace registry).
// Everything else the stack deploys gets a namespace label or an entry in
// podSecurity.exemptNamespaces with a reason.
var SystemExemptNamespaces = namespaces.PSAExemptions()

// eventRateLimitConfig mirrors eventratelimit.admission.k8s.io/v1alpha1
// Configuration. The upstream type lives in k8s.io/kubernetes, which is not
// importable as a module, so this local struct keeps the same JSON tags.
type eventRateLimitConfig struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Limits     []eventRateLimit `json:"limits"`
}

type eventRateLimit struct {
	Type      string `json:"type"`
	QPS       int32  `json:"qps"`
	Burst     int32  `json:"burst"`
	CacheSize int32  `json:"cacheSize,omitempty"`
}

// EventRateLimits: a server-wide ceiling (the hardening guide's example)
// and a per-namespace one, so one crash-looping workload cannot flood the
// API server with events.
var eventRateLimits = []eventRateLimit{
	{Type: "Server", QPS: 5000, Burst: 20000},
	{Type: "Namespace", QPS: 50, Burst: 100, CacheSize: 2000},
}

// RenderAdmissionConfig renders the AdmissionConfiguration for k3s >= 1.25:
// Pod Security Admission defaults (enforce from the spec, audit and warn
// always restricted, so a baseline cluster still reports what restricted
// would reject) and the EventRateLimit limits. Upstream types are used for
// the AdmissionConfiguration and PodSecurityConfiguration.
func RenderAdmissionConfig(c ClusterConfig) ([]byte, error) {
	minor, err := Minor(c.Version)
	if err != nil {
		return nil, err
	}
	if minor <= 24 {
		return nil, fmt.Errorf("k3s %s: Pod Security Admission v1 needs 1.25 or newer; 1.24 uses PodSecurityPolicy", c.Version)
	}
	enforce := c.PodSecurity.Enforce
	if enforce == "" {
		enforce = "restricted"
	}
	exempt := exemptions(c.PodSecurity.Exemptions)
	psa := psav1.PodSecurityConfiguration{
		Defaults: psav1.PodSecurityDefaults{
			Enforce: enforce, EnforceVersion: "latest",
			Audit: "restricted", AuditVersion: "latest",
			Warn: "restricted", WarnVersion: "latest",
		},
	}
	psa.APIVersion = "pod-security.admission.config.k8s.io/v1"
	psa.Kind = "PodSecurityConfiguration"
	for _, e := range exempt {
		psa.Exemptions.Namespaces = append(psa.Exemptions.Namespaces, e.Namespace)
	}
	erl := eventRateLimitConfig{APIVersion: "eventratelimit.admission.k8s.io/v1alpha1", Kind: "Configuration", Limits: eventRateLimits}
	psaJSON, err := json.Marshal(psa)
	if err != nil {
		return nil, err
	}
	erlJSON, err := json.Marshal(erl)
	if err != nil {
		return nil, err
	}
	ac := apiserverv1.AdmissionConfiguration{Plugins: []apiserverv1.AdmissionPluginConfiguration{
		{Name: "PodSecurity", Configuration: &runtime.Unknown{Raw: psaJSON, ContentType: runtime.ContentTypeJSON}},
		{Name: "EventRateLimit", Configuration: &runtime.Unknown{Raw: erlJSON, ContentType: runtime.ContentTypeJSON}},
	}}
	ac.APIVersion = "apiserver.config.k8s.io/v1"
	ac.Kind = "AdmissionConfiguration"
	b, err := yaml.Marshal(ac)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", AdmissionConfigPath, err)
	}
	var head strings.Builder
	head.WriteString("# Managed by k3s-onprem. Pod Security exemptions and why:\n")
	for _, e := range exempt {
		fmt.Fprintf(&head, "#   %s: %s\n", e.Namespace, oneLine(e.Reason))
	}
	return append([]byte(head.String()), b...), nil
}

// exemptions merges the system exemptions with the configured ones, sorted
// and without duplicates (the first reason wins).
func exemptions(extra []Exemption) []Exemption {
	seen := map[string]bool{}
	var out []Exemption
	for _, e := range append(append([]Exemption{}, SystemExemptNamespaces...), extra...) {
		if !seen[e.Namespace] {
			seen[e.Namespace] = true
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
