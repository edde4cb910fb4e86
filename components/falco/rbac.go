package falco

// Falco's own identity in the cluster. The blog gave Falco the cluster-admin
// token on every node; here it is a dedicated ServiceAccount whose only
// grant is reading the pod, namespace and node metadata it enriches events
// with. Host-mode Falco takes pod names from k3s's containerd and holds no
// token at all; daemonset-mode pods run as this account.
const (
	ServiceAccountName = "falco"
	ReaderRoleName     = "falco-metadata-reader"
)

// ReaderRule is one RBAC rule of the reader role (plain data, so tests and
// policies check exactly what is granted).
type ReaderRule struct {
	APIGroups []string
	Resources []string
	Verbs     []string
}

// ReaderRules is everything Falco may do with the API: read-only.
func ReaderRules() []ReaderRule {
	return []ReaderRule{{
		APIGroups: []string{""},
		Resources: []string{"pods", "namespaces", "nodes"},
		Verbs:     []string{"get", "list", "watch"},
	}}
}
