// Package apiserver runs a real kube-apiserver (and etcd, optionally
// kube-controller-manager) for tests: tier 4 of design.md §4.
//
// The point of this tier is that the claims the project makes about a hardened
// k3s server (Pod Security Admission defaults, audit logging, secrets
// encryption at rest, TLS settings, no anonymous access) are checked against
// the upstream API server, started with the same defaults k3s passes plus the
// exact kube-apiserver-arg list and files our k3s component renders. Real k3s
// cannot run here (see shared/reference/real-components.md §4), so the k3s
// defaults are reproduced in one documented table (k3sAPIServerDefaults).
//
// Binaries come from tests/realapi/build.sh, which compiles them from the Go
// module proxy into a per-version cache. Without them (or without root) Start
// skips the test, except under CI=true, where that is a failure: CI must
// never go green by running nothing.
//
// Typical use:
//
//	srv := apiserver.Start(t, apiserver.Options{
//		ExtraArgs: []string{"admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml"},
//		Files:     map[string][]byte{"/var/lib/rancher/k3s/server/psa.yaml": psa},
//	})
//	cs := kubernetes.NewForConfigOrDie(srv.RESTConfig())
package apiserver
