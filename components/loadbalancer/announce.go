package loadbalancer

import "sort"

// Networks a pool can be announced on.
const (
	NetworkInternal = "internal"
	NetworkExternal = "external"
)

// PoolRequest is a pool as configured: its range and which network it
// serves.
type PoolRequest struct {
	Name, Range string
	// Network is NetworkInternal or NetworkExternal.
	Network string
}

// NodeNetworks are one node's interfaces; ExternalInterface is empty on a
// node with only the internal network.
type NodeNetworks struct {
	Name, InternalInterface, ExternalInterface string
}

// Announce maps each pool to the interfaces of its network: the internal
// interface of every node, or the external interface of the nodes that
// have one (and only those nodes announce it).
func Announce(pools []PoolRequest, nodes []NodeNetworks) Config {
	var cfg Config
	for _, p := range pools {
		pool := Pool{Name: p.Name, Range: p.Range}
		ifaces := map[string]bool{}
		var announcing []string
		for _, n := range nodes {
			switch {
			case p.Network == NetworkInternal:
				ifaces[n.InternalInterface] = true
			case n.ExternalInterface != "":
				ifaces[n.ExternalInterface] = true
				announcing = append(announcing, n.Name)
			}
		}
		for i := range ifaces {
			pool.Interfaces = append(pool.Interfaces, i)
		}
		sort.Strings(pool.Interfaces)
		if len(announcing) < len(nodes) {
			pool.Nodes = announcing
		}
		cfg.Pools = append(cfg.Pools, pool)
	}
	return cfg
}
