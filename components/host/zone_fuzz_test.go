package host

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
)

// FuzzRenderZones feeds any string to every value that reaches a zone
// file. A zone that renders must parse as XML, hold exactly the elements a
// benign zone of the same shape holds, and carry the values unchanged: no
// value can add, drop or rename an element.
func FuzzRenderZones(f *testing.F) {
	f.Add("eth0", "eth1", "10.42.0.0/16", "10.43.0.0/16", true, true)
	f.Add("eth0\n  <service name=\"ssh\"/>", "", "10.42.0.0/16", "10.43.0.0/16", false, false)
	f.Add(`eth0"/><port protocol="tcp" port="22`, "eth1", "10.42.0.0/16", "10.43.0.0/16", true, false)
	f.Add("ens3", "]]><!--", "10.42.0.0/16\"/><accept/>", "10.43.0.0/16", true, true)
	f.Fuzz(func(t *testing.T, internalIf, externalIf, clusterCIDR, serviceCIDR string, server, apiOnPublic bool) {
		in := FirewallInput{Server: server, InternalInterface: internalIf, ExternalInterface: externalIf,
			ClusterCIDR: clusterCIDR, ServiceCIDR: serviceCIDR, PublicPorts: []int{80, 443}, APIOnPublic: apiOnPublic}
		internal, public, err := RenderZones(in)
		if err != nil {
			return
		}
		ref := in
		ref.InternalInterface, ref.ClusterCIDR, ref.ServiceCIDR = "eth0", "10.42.0.0/16", "10.43.0.0/16"
		if externalIf != "" {
			ref.ExternalInterface = "eth1"
		}
		refInternal, refPublic, err := RenderZones(ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ got, ref []byte }{{internal, refInternal}, {public, refPublic}} {
			if g, r := elements(t, c.got), elements(t, c.ref); g != r {
				t.Fatalf("elements differ from a benign zone:\n got %s\nwant %s\n%s", g, r, c.got)
			}
		}
		var iz, pz zoneXML
		if err := xml.Unmarshal(internal, &iz); err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(public, &pz); err != nil {
			t.Fatal(err)
		}
		if len(iz.Interfaces) != 1 || iz.Interfaces[0].Name != internalIf {
			t.Fatalf("internal zone interfaces %v, want [%q]", iz.Interfaces, internalIf)
		}
		if externalIf != "" && (len(pz.Interfaces) != 1 || pz.Interfaces[0].Name != externalIf) {
			t.Fatalf("public zone interfaces %v, want [%q]", pz.Interfaces, externalIf)
		}
	})
}

// elements lists the element names of a document in order; it fails the
// test when the document is not well-formed XML.
func elements(t *testing.T, doc []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var b bytes.Buffer
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			b.WriteString(se.Name.Local + " ")
		}
	}
}
