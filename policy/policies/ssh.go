package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// isRemote reports a pulumi-command remote resource (Command, CopyToRemote,
// CopyFile), the only resources that open SSH connections.
func (c *resourceCheck) isRemote() bool { return strings.HasPrefix(c.r.Type, "command:remote:") }

// connection returns a command:remote:* resource's SSH connection. ok is
// false for other resources and when the connection is missing or not
// known yet (preview), in which case nothing can be judged.
func (c *resourceCheck) connection() (conn property.Map, ok bool) {
	if !c.isRemote() {
		return property.Map{}, false
	}
	return at(c.props, "connection").Map()
}

// connHost names the connection's target for messages.
func connHost(conn property.Map) string {
	if h, ok := at(conn, "host").Str(); ok && h != "" {
		return h
	}
	return "(host not known yet)"
}
