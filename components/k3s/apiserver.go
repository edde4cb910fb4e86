package k3s

import "sort"

// ServerFiles returns the files a server's kube-apiserver flags reference,
// keyed by their path on the host: the audit policy always, the admission
// configuration (Pod Security, EventRateLimit) from 1.25.
func ServerFiles(c ClusterConfig) (map[string][]byte, error) {
	minor, err := Minor(c.Version)
	if err != nil {
		return nil, err
	}
	audit, err := RenderAuditPolicy()
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{AuditPolicyPath: audit}
	for path, content := range c.ExtraServerFiles {
		files[path] = content
	}
	if minor >= 25 {
		adm, err := RenderAdmissionConfig(c)
		if err != nil {
			return nil, err
		}
		files[AdmissionConfigPath] = adm
	}
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

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
