package k3s

import (
	"sort"

	"k3s-onprem/internal/hoststep"
)

// ServerFiles returns the files a server's kube-apiserver flags reference,
// keyed by their path on the host: the audit policy always, the admission
// configuration (Pod Security, EventRateLimit) from 1.25.
func ServerFiles(c ClusterConfig) (map[string][]byte, error) {
	files, err := serverFiles(c)
	if err != nil {
		return nil, err
	}
	m := map[string][]byte{}
	for _, f := range files {
		m[f.Path] = f.Content
	}
	return m, nil
}

// serverFiles are ServerFiles as the config step places them (0600),
// sorted by path, each naming its renderer.
func serverFiles(c ClusterConfig) ([]hoststep.File, error) {
	minor, err := Minor(c.Version)
	if err != nil {
		return nil, err
	}
	audit, err := RenderAuditPolicy()
	if err != nil {
		return nil, err
	}
	byPath := map[string]hoststep.File{AuditPolicyPath: {Path: AuditPolicyPath, Mode: 0o600, Content: audit,
		Renderer: hoststep.Renderer{Func: "k3s.RenderAuditPolicy", Source: "components/k3s/audit.go"}}}
	for _, f := range c.ExtraServerFiles {
		byPath[f.Path] = f
	}
	if minor >= 25 {
		adm, err := RenderAdmissionConfig(c)
		if err != nil {
			return nil, err
		}
		byPath[AdmissionConfigPath] = hoststep.File{Path: AdmissionConfigPath, Mode: 0o600, Content: adm,
			Renderer: hoststep.Renderer{Func: "k3s.RenderAdmissionConfig", Source: "components/k3s/admission.go"}}
	}
	files := make([]hoststep.File, 0, len(byPath))
	for _, f := range byPath {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// ServerAPIServerArgs returns the kube-apiserver-arg list exactly as a
// server's config.yaml carries it ("name=value", no leading dashes) and the
// files those arguments reference, keyed by their host paths. The real API
// server tier (tests/realapi) starts kube-apiserver with these, so the
// hardening claims are checked against what is deployed. The audit log path
// is an output and is not among the files.
func ServerAPIServerArgs(c ClusterConfig) ([]string, map[string][]byte, error) {
	minor, err := Minor(c.Version)
	if err != nil {
		return nil, nil, err
	}
	files, err := ServerFiles(c)
	if err != nil {
		return nil, nil, err
	}
	return append(apiServerArgs(minor), c.ExtraAPIServerArgs...), files, nil
}
