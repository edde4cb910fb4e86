package plan

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Unwrap removes secret and output wrappers.
func Unwrap(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

// Plain turns a recorded property into plain Go data as a consumer of the
// inputs gets it (a Helm chart, an API server): secrets by their value,
// unknown outputs as nil, SDK-internal "__" keys dropped.
func Plain(v resource.PropertyValue) any {
	v = Unwrap(v)
	switch {
	case v.IsNull(), v.IsComputed():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := []any{}
		for _, e := range v.ArrayValue() {
			arr = append(arr, Plain(e))
		}
		return arr
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			if !strings.HasPrefix(string(k), "__") {
				m[string(k)] = Plain(e)
			}
		}
		return m
	}
	return fmt.Sprintf("<unsupported %s>", v.TypeString())
}

// Str returns a (possibly secret) string input, or "" when absent.
func Str(m resource.PropertyMap, key string) string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	v = Unwrap(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// Connection returns a remote resource's connection object (unwrapped).
func Connection(r *Resource) resource.PropertyMap {
	v, ok := r.Inputs["connection"]
	if !ok {
		return nil
	}
	v = Unwrap(v)
	if !v.IsObject() {
		return nil
	}
	return v.ObjectValue()
}

// NodeOf names the node a remote resource targets (its SSH host when the
// plan does not know the node).
func (p *Plan) NodeOf(r *Resource) (string, error) {
	host := Str(Connection(r), "host")
	if host == "" {
		return "", fmt.Errorf("%s %s: no connection host", r.Type, r.Name)
	}
	port := 22.0
	if v, ok := Connection(r)["port"]; ok && Unwrap(v).IsNumber() {
		port = Unwrap(v).NumberValue()
	}
	if n, ok := p.Nodes[EndpointKey(host, int(port))]; ok {
		return n, nil
	}
	return host, nil
}

// EndpointKey names an SSH endpoint: two nodes may share a host on
// different ports (port forwarding), never an endpoint.
func EndpointKey(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// CopiedLocalFile returns the remote path and the operator-side path of a
// CopyToRemote whose source is a file asset (a binary or tarball).
func CopiedLocalFile(r *Resource) (remotePath, localPath string, ok bool) {
	src, has := r.Inputs["source"]
	if !has {
		return "", "", false
	}
	src = Unwrap(src)
	if !src.IsAsset() || !src.AssetValue().IsPath() {
		return "", "", false
	}
	return Str(r.Inputs, "remotePath"), src.AssetValue().Path, true
}

// CopiedFile returns the remote path and content of a CopyToRemote of text.
func CopiedFile(r *Resource) (string, []byte, error) {
	path := Str(r.Inputs, "remotePath")
	src, ok := r.Inputs["source"]
	if !ok {
		return "", nil, fmt.Errorf("%s: no source", r.Name)
	}
	src = Unwrap(src)
	if !src.IsAsset() {
		return "", nil, fmt.Errorf("%s: source is not an asset", r.Name)
	}
	a := src.AssetValue()
	if !a.IsText() {
		return "", nil, fmt.Errorf("%s: only text assets are rendered", r.Name)
	}
	return path, []byte(a.Text), nil
}
