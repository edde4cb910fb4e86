package stacks

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/encoding"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// agreementFiles are stack files that exercise how the CLI reads YAML.
var agreementFiles = map[string]string{
	"yaml 1.2 scalars": `config:
  k3s-onprem:environment: no
  k3s-onprem:clusterName: 2001-12-14
  k3s-onprem:ssh: {user: off, useAgent: true, port: 22.0}
  k3s-onprem:hardening:
    permitRootLogin: no
    selinux: off
    profile: cis
    sshd: true
  k3s-onprem:vip: {address: 10.0.0.100, unicast: yes, virtualRouterId: 0x33}
  k3s-onprem:network: {internalCidr: 10.0.0.0/24, publicPorts: [80, 443, 1e3, 0755, 8.5]}
  k3s-onprem:k3s: {version: v1.34.4+k3s1, releaseUrl: ~, extraTlsSans: [2001-12-14, "on"]}
`,
	"nested secure values (pulumi config set --secret --path)": `config:
  k3s-onprem:sshPrivateKey:
    secure: v1:abc
  k3s-onprem:falcoOutputUrls:
    slack:
      secure: v1:def
    webhook:
      secure: v1:ghi
  k3s-onprem:falco: {outputs: [{type: slack}, {type: webhook}]}
`,
	"keys without the namespace, anchors and aliases": `config:
  nodes:
    - &n {name: a, role: server, internalAddress: 10.0.0.11, ssh: {hostKey: "ssh-ed25519 AAAA"}}
    - *n
  k3s-onprem:ssh: {user: admin, port: 2222}
`,
	"empty config": "config: {}\n",
}

// The offline reader hands the program the same strings as the Pulumi SDK's
// own stack-file loader (workspace.LoadProjectStackBytes + config.Value).
func TestStackFile_AgreesWithPulumiSDK(t *testing.T) {
	files := map[string][]byte{}
	for name, body := range agreementFiles {
		files[name] = []byte(body)
	}
	for _, stack := range []string{"dev", "prod"} {
		b, err := os.ReadFile("../Pulumi." + stack + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		files["Pulumi."+stack+".yaml"] = b
	}
	project := &workspace.Project{Name: Project}
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			ps, err := workspace.LoadProjectStackBytes(nil, project, b, "Pulumi.test.yaml", encoding.YAML)
			if err != nil {
				t.Fatalf("SDK: %v", err)
			}
			sf, err := ParseStackFile(b, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range sf.Problems {
				if p.Type == "FieldValueDuplicate" || strings.Contains(p.Detail, "namespace") {
					t.Errorf("reader refuses what the SDK reads: %v", p)
				}
			}
			sdkKeys := map[string]bool{}
			for k, v := range ps.Config {
				if k.Namespace() != Project {
					t.Errorf("SDK key %s in another namespace", k)
					continue
				}
				key := k.Name()
				sdkKeys[key] = true
				if v.Secure() && !v.Object() {
					if !contains(sf.Secure, key) {
						t.Errorf("%s: SDK reads an encrypted value, the reader does not", key)
					}
					continue
				}
				want, err := v.Value(config.NopDecrypter)
				if err != nil {
					t.Fatal(err)
				}
				got, ok := sf.Raw[key]
				if !ok {
					t.Errorf("%s: missing from the reader", key)
					continue
				}
				if !sameValue(got, want, v.Object()) {
					t.Errorf("%s: reader %s, SDK %s", key, got, want)
				}
			}
			for key := range sf.Raw {
				if !sdkKeys[key] {
					t.Errorf("%s: read offline, absent for the SDK", key)
				}
			}
		})
	}
}

// sameValue compares strings exactly and objects as JSON values.
func sameValue(got, want string, object bool) bool {
	if !object {
		return got == want
	}
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

// The CLI refuses duplicate keys; so does the reader, at every level and
// with the key's path, and the SDK agrees the file is invalid.
func TestStackFile_RejectsWhatTheCLIRejects(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string
	}{
		{"duplicate top-level key", "config:\n  k3s-onprem:vip: {address: 10.0.0.1}\n  k3s-onprem:vip: {address: 10.0.0.2}\n",
			[]string{"FieldValueDuplicate::k3s-onprem:vip"}},
		{"duplicate nested key", "config:\n  k3s-onprem:nodes:\n    - name: a\n      role: server\n      role: agent\n",
			[]string{"FieldValueDuplicate::nodes[0].role"}},
		{"key with and without namespace", "config:\n  vip: {address: 10.0.0.1}\n  k3s-onprem:vip: {address: 10.0.0.1}\n",
			[]string{"FieldValueDuplicate::vip"}},
	}
	project := &workspace.Project{Name: Project}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sf, err := ParseStackFile([]byte(tc.body), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			got := errorSet(Validation{Errors: sf.Problems})
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems %v, want %v", got, tc.want)
			}
			if tc.name != "key with and without namespace" {
				if _, err := workspace.LoadProjectStackBytes(nil, project, []byte(tc.body), "Pulumi.test.yaml", encoding.YAML); err == nil {
					t.Error("the SDK accepts this file")
				}
			}
		})
	}
}

// Stack files that are read but must not pass: each with its exact error
// set, reader problems and validation errors together.
func TestStackFile_RejectsInvalidStackFiles(t *testing.T) {
	dev, err := os.ReadFile("../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	noKeyPath := strings.Replace(string(dev), "    privateKeyPath: ~/.ssh/id_ed25519\n", "", 1)
	cases := []struct {
		name, body string
		want       []string
	}{
		{"no SSH credentials at all", noKeyPath, []string{"FieldValueRequired::ssh.privateKeyPath"}},
		{"plaintext private key", noKeyPath + "  k3s-onprem:sshPrivateKey: \"-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\\n-----END OPENSSH PRIVATE KEY-----\"\n",
			[]string{"FieldValueForbidden::sshPrivateKey"}},
		{"plaintext webhook URL", string(dev) + "  k3s-onprem:falco: {outputs: [{type: slack}]}\n  k3s-onprem:falcoOutputUrls: {slack: \"https://hooks.slack.com/services/T0/B0/XXXX\"}\n",
			[]string{"FieldValueForbidden::falcoOutputUrls[slack]"}},
		{"plaintext webhook map as a string", string(dev) + "  k3s-onprem:falcoOutputUrls: \"https://hooks.slack.com/services/T0/B0/XXXX\"\n",
			[]string{"FieldValueForbidden::falcoOutputUrls", "FieldValueInvalid::falcoOutputUrls"}},
		{"falco output without its URL", string(dev) + "  k3s-onprem:falco: {outputs: [{type: slack}, {type: teams}]}\n  k3s-onprem:falcoOutputUrls:\n    slack:\n      secure: v1:abc\n",
			[]string{"FieldValueRequired::falco.outputs[1]"}},
		{"foreign namespace", string(dev) + "  k3s-onprme:vip: {address: 10.203.0.100}\n", []string{"FieldValueInvalid::k3s-onprme:vip"}},
		{"unquoted no where a boolean belongs", strings.Replace(string(dev), "    unicast: true\n", "    unicast: no\n", 1), []string{"FieldValueTypeInvalid::vip.unicast"}},
		{"duplicate key hides nothing", strings.Replace(string(dev), "    version: v1.34.4+k3s1\n", "    version: v1.34.4+k3s1\n    version: latest\n", 1) +
			"  k3s-onprem:hardenning: {profile: none}\n", []string{"FieldValueDuplicate::k3s.version", "FieldValueInvalid::hardenning"}},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(dir+"/Pulumi.case.yaml", []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			sf, err := ReadStackFile(dir + "/Pulumi.case.yaml")
			if err != nil {
				t.Fatal(err)
			}
			sf.withPlaceholders()
			_, v := Decode("case", sf.Raw)
			v.Errors = append(sf.Problems, v.Errors...)
			got := errorSet(v)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors:\n got %v\nwant %v\nfull: %v", got, want, v.Err())
			}
			if _, err := DecodeStackFile(dir, "case"); err == nil {
				t.Error("DecodeStackFile accepts it")
			}
		})
	}
}

// An encrypted key gets a placeholder offline; an absent one does not.
func TestStackFile_AbsentAndEncryptedKeysDiffer(t *testing.T) {
	enc, _ := ParseStackFile([]byte("config:\n  k3s-onprem:sshPrivateKey:\n    secure: v1:x\n"), "enc")
	enc.withPlaceholders()
	none, _ := ParseStackFile([]byte("config:\n  k3s-onprem:ssh: {user: root}\n"), "none")
	none.withPlaceholders()
	if enc.Raw[KeySSHPrivateKey] != Placeholder {
		t.Error("encrypted key has no placeholder")
	}
	if _, ok := none.Raw[KeySSHPrivateKey]; ok {
		t.Error("absent key got a placeholder")
	}
}
