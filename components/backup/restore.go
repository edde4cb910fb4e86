package backup

import (
	"fmt"
	"path"
	"regexp"
)

// RestoreDir is where the restore script puts a fetched snapshot.
const RestoreDir = "/var/lib/k3s-onprem/restore"

// RestoreScript is the host-side restore script (stop, fetch, reset,
// rejoin); cmd/restore feeds it on stdin as `bash -s -- ACTION ARGS`.
func RestoreScript() []byte { return []byte(embedded("restore.sh")) }

// RestoreAction is one run of the restore script on one server.
type RestoreAction struct {
	Node string
	// Args are the script's arguments (action first).
	Args []string
	// Why says what the action is for, for the operator reading the plan.
	Why string
}

var (
	runNameRE  = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z$`)
	snapFileRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// RestorePlan is the order of a restore from snapshot file of the first
// server's backup run: k3s stops on every server (the others first), the
// first server fetches and verifies the snapshot and resets etcd from it
// (it is the server the others join, so it must be the one reset), then
// every other server, one at a time, moves its etcd data aside and rejoins
// behind the health gate. servers are in join order.
func RestorePlan(servers []string, run, file string) ([]RestoreAction, error) {
	if len(servers) == 0 {
		return nil, fmt.Errorf("restore: no servers")
	}
	if !runNameRE.MatchString(run) {
		return nil, fmt.Errorf("restore: run %q: want a UTC stamp such as 20261201T054655Z (see `list` on the backup host)", run)
	}
	if !snapFileRE.MatchString(file) {
		return nil, fmt.Errorf("restore: snapshot file %q: want a file name of the run", file)
	}
	for _, s := range servers {
		if err := checkName("server", s); err != nil {
			return nil, err
		}
	}
	first, others := servers[0], servers[1:]
	var plan []RestoreAction
	for i := len(others) - 1; i >= 0; i-- {
		plan = append(plan, RestoreAction{Node: others[i], Args: []string{"stop"}, Why: "no server may keep the old etcd running"})
	}
	plan = append(plan,
		RestoreAction{Node: first, Args: []string{"stop"}, Why: "cluster-reset needs k3s stopped"},
		RestoreAction{Node: first, Args: []string{"fetch", run, file}, Why: "copy the snapshot back and verify its SHA256SUMS line"},
		RestoreAction{Node: first, Args: []string{"reset", path.Join(RestoreDir, run, file)}, Why: "k3s server --cluster-reset --cluster-reset-restore-path, start, wait until healthy"},
	)
	for _, s := range others {
		plan = append(plan, RestoreAction{Node: s, Args: []string{"rejoin"}, Why: "old etcd data aside, start, wait until healthy before the next server"})
	}
	return plan, nil
}
