package stacks

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"k3s-onprem/internal/grammar"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var supportedArches = []string{"amd64", "arm64"}

func validateNodes(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(s.Nodes) == 0 {
		return append(errs, field.Required(p, "list at least one node with role server"))
	}
	names := map[string]int{}
	addrs := map[string]string{}
	endpoints := map[string]int{}
	internal, _ := netip.ParsePrefix(s.Network.InternalCIDR)
	external, _ := netip.ParsePrefix(s.Network.ExternalCIDR)
	lastServer := -1
	for i, n := range s.Nodes {
		np := p.Index(i)
		if n.Name == "" {
			errs = append(errs, field.Required(np.Child("name"), "give the node a name (a DNS label)"))
		} else if msgs := validation.IsDNS1123Label(n.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(np.Child("name"), n.Name, strings.Join(msgs, "; ")))
		} else if j, dup := names[n.Name]; dup {
			errs = append(errs, field.Duplicate(np.Child("name"), fmt.Sprintf("%s (also nodes[%d].name)", n.Name, j)))
		} else {
			names[n.Name] = i
		}
		switch n.Role {
		case RoleServer:
			lastServer = i
		case RoleAgent:
		default:
			errs = append(errs, field.NotSupported(np.Child("role"), n.Role, []string{RoleServer, RoleAgent}))
		}
		internalDup := false
		if a, ok := parseAddr(n.InternalAddress, np.Child("internalAddress"), &errs); ok {
			if internal.IsValid() && !internal.Contains(a) {
				errs = append(errs, field.Invalid(np.Child("internalAddress"), n.InternalAddress, "outside network.internalCidr "+internal.String()))
			} else if msg := reservedAddr(internal, a); msg != "" {
				errs = append(errs, field.Invalid(np.Child("internalAddress"), n.InternalAddress, msg+" of network.internalCidr; pick a host address"))
			}
			_, internalDup = addrs[a.String()]
			errs = appendDuplicateAddr(errs, addrs, a.String(), np.Child("internalAddress"))
		}
		errs = append(errs, validateExternal(n, np, external, addrs)...)
		errs = append(errs, validateIface(n.InternalInterface, np.Child("internalInterface"))...)
		if !contains(supportedArches, n.Arch) {
			errs = append(errs, field.NotSupported(np.Child("arch"), n.Arch, supportedArches))
		}
		errs = append(errs, validateNodeSSH(n.SSH, s.SSH.AllowUnpinnedHostKeys, np.Child("ssh"))...)
		// Two nodes behind one SSH endpoint would be configured as one host,
		// each overwriting the other's files.
		// (an SSH host defaulted from a duplicate address is reported there).
		if n.SSH.Host != "" && !(internalDup && n.SSH.Host == n.InternalAddress) {
			endpoint := net.JoinHostPort(strings.ToLower(n.SSH.Host), strconv.Itoa(n.SSH.Port))
			if j, dup := endpoints[endpoint]; dup {
				errs = append(errs, field.Duplicate(np.Child("ssh", "host"), fmt.Sprintf("%s (also nodes[%d]); every node needs its own SSH endpoint", endpoint, j)))
			} else {
				endpoints[endpoint] = i
			}
		}
		if n.TwoNetwork() && n.SSH.Host == n.ExternalAddress {
			errs = append(errs, field.Forbidden(np.Child("ssh", "host"), "the public zone closes SSH; connect through internalAddress or a bastion"))
		}
	}
	servers := len(s.Servers())
	switch {
	case servers == 0:
		errs = append(errs, field.Required(p, "at least one node needs role server"))
	case servers%2 == 0:
		errs = append(errs, field.Invalid(p.Index(lastServer).Child("role"), RoleServer,
			fmt.Sprintf("a cluster needs an odd number of servers for etcd quorum (got %d); use %d or %d", servers, servers-1, servers+1)))
	}
	return errs
}

func validateExternal(n Node, np *field.Path, external netip.Prefix, addrs map[string]string) field.ErrorList {
	var errs field.ErrorList
	switch {
	case n.ExternalInterface != "" && n.ExternalAddress == "":
		errs = append(errs, field.Required(np.Child("externalAddress"), "externalInterface is set; give the node's address on that interface or remove externalInterface"))
	case n.ExternalAddress != "" && n.ExternalInterface == "":
		errs = append(errs, field.Required(np.Child("externalInterface"), "externalAddress is set; name the interface that carries it"))
	}
	if n.ExternalAddress != "" {
		if a, ok := parseAddr(n.ExternalAddress, np.Child("externalAddress"), &errs); ok {
			if !external.IsValid() {
				errs = append(errs, field.Required(field.NewPath("network", "externalCidr"), fmt.Sprintf("%s has an external address; set the external subnet", np)))
			} else if !external.Contains(a) {
				errs = append(errs, field.Invalid(np.Child("externalAddress"), n.ExternalAddress, "outside network.externalCidr "+external.String()))
			} else if msg := reservedAddr(external, a); msg != "" {
				errs = append(errs, field.Invalid(np.Child("externalAddress"), n.ExternalAddress, msg+" of network.externalCidr; pick a host address"))
			}
			errs = appendDuplicateAddr(errs, addrs, a.String(), np.Child("externalAddress"))
		}
	}
	if n.ExternalInterface != "" {
		errs = append(errs, validateIface(n.ExternalInterface, np.Child("externalInterface"))...)
	}
	return errs
}

// reservedAddr says whether a is the network or broadcast address of pr
// (subnets of /31 and /32 have neither, RFC 3021).
func reservedAddr(pr netip.Prefix, a netip.Addr) string {
	if !pr.IsValid() || pr.Bits() >= 31 || !pr.Contains(a) {
		return ""
	}
	if a == pr.Masked().Addr() {
		return "the network address " + a.String()
	}
	r, _ := parseRange(pr.String())
	if a == r.last {
		return "the broadcast address " + a.String()
	}
	return ""
}

func appendDuplicateAddr(errs field.ErrorList, seen map[string]string, addr string, p *field.Path) field.ErrorList {
	if prev, dup := seen[addr]; dup {
		return append(errs, field.Duplicate(p, fmt.Sprintf("%s (also %s)", addr, prev)))
	}
	seen[addr] = p.String()
	return errs
}

// validateIface accepts interface names as the kernel does (grammar.InterfaceName).
func validateIface(name string, p *field.Path) field.ErrorList {
	if err := grammar.InterfaceName(name); err != nil {
		return field.ErrorList{field.Invalid(p, name, "not a Linux interface name (e.g. eth0, ens3): "+err.Error())}
	}
	return nil
}

func validateNodeSSH(s NodeSSH, allowUnpinned bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Port < 1 || s.Port > 65535 {
		errs = append(errs, field.Invalid(p.Child("port"), s.Port, "must be 1-65535"))
	}
	if s.User == "" {
		errs = append(errs, field.Required(p.Child("user"), "set ssh.user or this node's ssh.user"))
	}
	errs = append(errs, validateHostKey(s.HostKey, allowUnpinned, p.Child("hostKey"))...)
	errs = append(errs, validateSSHHost(s.Host, p.Child("host"))...)
	if b := s.Bastion; b != nil {
		bp := p.Child("bastion")
		if b.Host == "" {
			errs = append(errs, field.Required(bp.Child("host"), "name the jump host"))
		} else {
			errs = append(errs, validateSSHHost(b.Host, bp.Child("host"))...)
		}
		if b.Port < 1 || b.Port > 65535 {
			errs = append(errs, field.Invalid(bp.Child("port"), b.Port, "must be 1-65535"))
		}
		errs = append(errs, validateHostKey(b.HostKey, allowUnpinned, bp.Child("hostKey"))...)
	}
	return errs
}

// validateSSHHost accepts an IP address or a DNS name.
func validateSSHHost(host string, p *field.Path) field.ErrorList {
	if host == "" {
		return nil // reported as the missing internalAddress it defaults to
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if msgs := validation.IsDNS1123Subdomain(strings.ToLower(host)); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, host, "not an IP address or DNS name")}
	}
	return nil
}

// validateHostKey requires a public key in authorized_keys format, as printed
// by `ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-`.
func validateHostKey(key string, allowUnpinned bool, p *field.Path) field.ErrorList {
	if key == "" {
		if allowUnpinned {
			return nil
		}
		return field.ErrorList{field.Required(p, "pin the host key (ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-), or set ssh.allowUnpinnedHostKeys for a throwaway lab")}
	}
	// The value is never echoed: a private key pasted here is a secret.
	if strings.Contains(key, "PRIVATE KEY") {
		return field.ErrorList{field.Invalid(p, notShown, "this is a private key; pin the host's public key (ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-) and rotate the leaked one")}
	}
	if err := parseHostKey(key); err != nil {
		return field.ErrorList{field.Invalid(p, notShown, "not an SSH public key such as 'ssh-ed25519 AAAA...': "+err.Error())}
	}
	return nil
}

// parseHostKey accepts exactly "<type> <base64>" (ssh-keyscan's output
// without the host), the key parsed by x/crypto/ssh and its type matching.
func parseHostKey(key string) error {
	f := strings.Split(key, " ")
	if len(f) != 2 || strings.ContainsAny(key, "\t\r\n") {
		return fmt.Errorf("want exactly two words, <type> <base64>")
	}
	pub, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(key))
	if err != nil || len(rest) != 0 {
		return fmt.Errorf("the key does not parse")
	}
	if pub.Type() != f[0] {
		return fmt.Errorf("the key is a %s, not a %s", pub.Type(), f[0])
	}
	return nil
}

func validateSSH(s *ClusterSpec, p *field.Path) field.ErrorList {
	if s.Secrets.SSHPrivateKey || s.SSH.PrivateKeyPath != "" || s.SSH.UseAgent {
		return nil
	}
	return field.ErrorList{field.Required(p.Child("privateKeyPath"),
		"no SSH credentials: set the secret key sshPrivateKey (pulumi config set --secret sshPrivateKey < key), ssh.privateKeyPath, or ssh.useAgent")}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
