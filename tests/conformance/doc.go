// Package conformance checks what the stacks render against checked-in
// fact tables of the pinned upstream versions (internal/upstream): k3s
// config.yaml keys against the k3s flags of the pinned minor, Helm values
// against the pinned charts' value keys. See README.md.
package conformance
