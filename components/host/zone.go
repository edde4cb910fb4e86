package host

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/netip"

	"k3s-onprem/internal/grammar"
)

// zoneHeader precedes every zone file; encoding/xml writes the rest.
const zoneHeader = xml.Header + "<!-- Managed by k3s-onprem; changes here are overwritten. -->\n"

// zoneXML is firewalld's zone file format (firewalld.zone(5)). It is
// written with encoding/xml, which escapes every attribute and text value,
// so no value can add an element or break the document.
type zoneXML struct {
	XMLName     xml.Name   `xml:"zone"`
	Target      string     `xml:"target,attr"`
	Short       string     `xml:"short"`
	Description string     `xml:"description"`
	Interfaces  []nameXML  `xml:"interface"`
	Services    []nameXML  `xml:"service"`
	Ports       []portXML  `xml:"port"`
	Masquerade  *struct{}  `xml:"masquerade"`
	Rules       []zoneRule `xml:"rule"`
}

type nameXML struct {
	Name string `xml:"name,attr"`
}

type portXML struct {
	Protocol string `xml:"protocol,attr"`
	Port     string `xml:"port,attr"`
}

type zoneRule struct {
	Family   string       `xml:"family,attr,omitempty"`
	Source   *addressXML  `xml:"source"`
	Protocol *protocolXML `xml:"protocol"`
	Accept   struct{}     `xml:"accept"`
}

type addressXML struct {
	Address string `xml:"address,attr"`
}

type protocolXML struct {
	Value string `xml:"value,attr"`
}

// encodeZone writes one zone file. Interface names and source CIDRs are
// checked against their grammar first: escaping keeps the XML whole, the
// check keeps firewalld from being handed a name the kernel never has.
func encodeZone(z Zone) ([]byte, error) {
	doc := zoneXML{Target: "default", Short: z.Name, Description: z.Description}
	for _, i := range z.Interfaces {
		if err := grammar.InterfaceName(i); err != nil {
			return nil, fmt.Errorf("zone %s: interface %q: %w", z.Name, i, err)
		}
		doc.Interfaces = append(doc.Interfaces, nameXML{i})
	}
	for _, s := range z.Services {
		doc.Services = append(doc.Services, nameXML{s})
	}
	for _, p := range z.Ports {
		doc.Ports = append(doc.Ports, portXML{p.Protocol, p.Port})
	}
	if z.Masquerade {
		doc.Masquerade = &struct{}{}
	}
	for _, c := range z.SourceCIDRs {
		pr, err := netip.ParsePrefix(c)
		if err != nil || !pr.Addr().Is4() || pr.Masked() != pr {
			return nil, fmt.Errorf("zone %s: source %q is not an IPv4 network", z.Name, c)
		}
		doc.Rules = append(doc.Rules, zoneRule{Family: "ipv4", Source: &addressXML{pr.String()}})
	}
	if z.AcceptVRRP {
		doc.Rules = append(doc.Rules, zoneRule{Protocol: &protocolXML{"vrrp"}})
	}
	var b bytes.Buffer
	b.WriteString(zoneHeader)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("zone %s: %w", z.Name, err)
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}
