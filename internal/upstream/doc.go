// Package upstream holds checked-in facts about the upstream versions this
// project pins (k3s flag names and kinds per Kubernetes minor, Helm chart
// value keys per chart version, Falco rule/macro/list names per rule file and
// Falco's packaged configuration) and checks rendered files against them.
//
// The facts live in facts/*.json, one file per upstream version, each
// naming the upstream repository, files, tag and commit it was read from,
// the day it was read and the command that refreshes it
// (internal/upstream/refresh). They hold names and kinds only, never
// upstream code or prose. tests/conformance runs the checks on everything
// the stacks render.
package upstream
