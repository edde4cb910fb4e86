package policies

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"path"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"sigs.k8s.io/yaml"
)

// sensitiveKeys are property names (lowercase, without - and _) whose values
// are credentials wherever they appear: the cluster token, the secrets
// encryption key, keepalived's auth_pass, webhook URLs (they embed the
// sender's credential), kubeconfigs and their client keys, and SSH keys.
var sensitiveKeys = map[string]bool{
	"token": true, "agenttoken": true, "password": true, "privatekey": true, "privatekeypassword": true,
	"kubeconfig": true, "clientkeydata": true, "authpass": true, "encryptionkey": true, "secretkey": true, "apikey": true,
	"webhook": true, "webhookurl": true, "stdin": true,
}

func sensitiveKey(k string) bool {
	return sensitiveKeys[strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(k))]
}

// sensitiveFile reports remote files whose whole content is a credential or
// embeds one in a form the YAML check cannot see: the token files, the
// encryption config, keepalived.conf (auth_pass), the admin kubeconfig,
// private keys. Other YAML files (a webhook's kubeconfig, registries.yaml)
// are judged by what they contain.
func sensitiveFile(p string) bool {
	base := strings.ToLower(path.Base(p))
	switch {
	case base == "keepalived.conf", base == "k3s.yaml", strings.HasSuffix(base, ".key"):
		return true
	case strings.Contains(p, "/server/cred/"):
		return true
	}
	// Units, timers and scripts named after a token (the responder's
	// token refresher) are code that handles a credential, not one.
	switch path.Ext(base) {
	case ".service", ".timer", ".sh":
		return false
	}
	for _, s := range []string{"token", "encryption", "kubeconfig"} {
		if strings.Contains(base, s) {
			return true
		}
	}
	return false
}

// secrets-marked-secret: a plain input lands unencrypted in the state file
// and in preview diffs; only Pulumi secrets are encrypted there.
var _ = register(resourceRule{
	name:  "secrets-marked-secret",
	order: 40,
	level: policyx.EnforcementLevelMandatory,
	cis:   "k3s CIS 1.2.27, 5.4.1",
	what:  "tokens, encryption keys, keepalived auth, webhook URLs, kubeconfigs, SSH keys and command `stdin` are Pulumi secrets; credential files (token files, encryption config, `keepalived.conf`, the admin kubeconfig, `*.key`) are copied from secret sources; no credential key (`token`, `password`, `client-key-data`, ...) in clear in any other copied YAML file (a webhook kubeconfig, `registries.yaml`) or a rendered `config` input; Kubernetes Secret data is secret",
	check: func(c *resourceCheck) {
		var plain []string
		walkSensitive(property.New(c.props), "", false, &plain)
		if c.r.Type == "command:remote:CopyToRemote" {
			plain = append(plain, plainRemoteFile(c.props)...)
		}
		if c.r.Type == "kubernetes:core/v1:Secret" {
			for _, k := range []string{"data", "stringData"} {
				v := at(c.props, k)
				if v.Unknown() || v.Missing() || v.Secret() {
					continue
				}
				m, _ := v.Map()
				for name, e := range m.All {
					if !e.Secret() && !e.IsComputed() && !e.IsNull() {
						plain = append(plain, k+"."+name)
					}
				}
			}
		}
		sort.Strings(plain)
		for _, p := range plain {
			c.report("%s is a plain input: make it a Pulumi secret (pulumi.ToSecret in the component; `pulumi config set --secret` for stack config such as sshPrivateKey or falcoOutputUrls)", p)
		}
	},
})

// walkSensitive collects the paths of known, non-empty values under a
// sensitive key that are not inside a secret.
func walkSensitive(v property.Value, where string, inSecret bool, out *[]string) {
	inSecret = inSecret || v.Secret()
	switch {
	case v.IsMap():
		for k, e := range v.AsMap().All {
			p := join(where, k)
			if sensitiveKey(k) && !inSecret && !e.Secret() && plainNonEmpty(e) {
				*out = append(*out, p)
				continue
			}
			walkSensitive(e, p, inSecret, out)
		}
	case v.IsArray():
		for i, e := range v.AsArray().AsSlice() {
			walkSensitive(e, where+"["+itoa(i)+"]", inSecret, out)
		}
	case v.IsString() && !inSecret && strings.HasSuffix(strings.ToLower(where), "config"):
		// A rendered config file passed as a string input (the k3s config)
		// may itself carry a token.
		*out = append(*out, sensitiveInYAML(v.AsString(), where)...)
	}
}

// plainNonEmpty reports a scalar that holds data: a non-empty string or a
// number. A map or array under a sensitive key is a section (falcosidekick's
// "webhook" output, say), not the credential itself; walkSensitive looks
// inside it instead.
func plainNonEmpty(v property.Value) bool {
	switch {
	case v.IsString():
		return v.AsString() != ""
	case v.IsNumber():
		return true
	}
	return false
}

// plainRemoteFile checks a CopyToRemote: credential files must have a
// secret source, and YAML files must not carry credential keys in clear.
func plainRemoteFile(props property.Map) []string {
	remotePath, ok := at(props, "remotePath").Str()
	src := at(props, "source")
	if !ok || src.Unknown() || src.Missing() || src.Secret() {
		return nil
	}
	if sensitiveFile(finalPath(remotePath)) {
		return []string{"source of " + remotePath}
	}
	if !src.v.IsAsset() {
		return nil
	}
	a := src.v.AsAsset()
	if a == nil || !a.IsText() {
		return nil
	}
	return sensitiveInYAML(a.Text, "source of "+remotePath)
}

// sensitiveInYAML parses text as a YAML map (other text yields nothing) and
// returns the credential keys it holds in clear.
func sensitiveInYAML(text, where string) []string {
	var doc map[string]any
	if yaml.Unmarshal([]byte(text), &doc) != nil {
		return nil
	}
	var out []string
	var walk func(x any, p string)
	walk = func(x any, p string) {
		switch t := x.(type) {
		case map[string]any:
			for k, e := range t {
				if sensitiveKey(k) {
					if s, isStr := e.(string); !isStr || s != "" {
						out = append(out, where+": "+join(p, k))
						continue
					}
				}
				walk(e, join(p, k))
			}
		case []any:
			for i, e := range t {
				walk(e, p+"["+itoa(i)+"]")
			}
		}
	}
	walk(doc, "")
	return out
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
