package stacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// StackFile is a Pulumi.<stack>.yaml read without the Pulumi CLI, by the
// CLI's rules (sdk/v3 go/common/workspace LoadProjectStackBytes and
// resource/config): YAML through gopkg.in/yaml.v3 (YAML 1.2 scalars: only
// true/false are booleans, so unquoted no/off/yes/on stay strings),
// duplicate keys rejected, keys without a namespace taken as the project's,
// objects handed to the program as JSON with encrypted leaves as
// {"secure": ciphertext}. stackfile_sdk_test.go checks this agreement.
type StackFile struct {
	// Raw maps config keys (without the project prefix) to the string
	// Pulumi hands the program: plain strings as is, objects as JSON.
	Raw map[string]string
	// Secure lists keys whose whole value is encrypted (not in Raw).
	Secure []string
	// SecurePaths lists encrypted values inside objects ("falcoOutputUrls.slack").
	SecurePaths []string
	// Problems are what the CLI would refuse or what must not be in a
	// committed file (duplicate keys, foreign namespaces, plaintext
	// secrets), each at its key path; Decode's errors are added to them.
	Problems field.ErrorList
}

// ReadStackFile reads the config of a stack file for offline runs (render,
// policycheck, tests). Encrypted values are recorded, never decrypted. An
// error means the file cannot be read as YAML at all; everything else is
// in Problems.
func ReadStackFile(path string) (*StackFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseStackFile(b, path)
}

// ParseStackFile is ReadStackFile on bytes; path names the file in errors.
func ParseStackFile(b []byte, path string) (*StackFile, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sf := &StackFile{Raw: map[string]string{}}
	if len(doc.Content) == 0 {
		return sf, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: want a mapping with a config: key", path)
	}
	config := dedupe(root, nil, &sf.Problems)["config"]
	if config == nil || config.Kind == yaml.ScalarNode && config.Tag == "!!null" {
		return sf, nil
	}
	if config.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: config: want a mapping of keys to values", path)
	}
	entries := dedupe(config, nil, &sf.Problems)
	for _, k := range sortedNodeKeys(entries) {
		key := k
		if ns, name, ok := strings.Cut(k, ":"); ok {
			if ns != Project {
				sf.Problems = append(sf.Problems, field.Invalid(field.NewPath(k), k,
					fmt.Sprintf("this program reads only %s: keys; did you mean %s:%s?", Project, Project, name)))
				continue
			}
			key = name
		}
		if _, dup := sf.Raw[key]; dup || contains(sf.Secure, key) {
			sf.Problems = append(sf.Problems, field.Duplicate(field.NewPath(key), "set both with and without the "+Project+": namespace"))
			continue
		}
		v := entries[k]
		dedupe(v, field.NewPath(key), &sf.Problems)
		if isSecure(v) {
			sf.Secure = append(sf.Secure, key)
			continue
		}
		var val any
		if err := v.Decode(&val); err != nil {
			sf.Problems = append(sf.Problems, field.Invalid(field.NewPath(key), notShown, "cannot read: "+err.Error()))
			continue
		}
		val = normalize(val, key, &sf.SecurePaths)
		if s, isString := val.(string); isString {
			sf.Raw[key] = s
			continue
		}
		j, err := json.Marshal(val)
		if err != nil {
			sf.Problems = append(sf.Problems, field.Invalid(field.NewPath(key), notShown, err.Error()))
			continue
		}
		sf.Raw[key] = string(j)
	}
	sf.checkPlaintextSecrets()
	return sf, nil
}

// dedupe reports every key of a mapping node (and, recursively, of the
// mappings below it when p is set) that appears twice, as the CLI refuses
// such a file; it drops the repeats from the node, so the rest of the file
// is still read and checked, and returns the node's value per key.
func dedupe(n *yaml.Node, p *field.Path, errs *field.ErrorList) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	switch n.Kind {
	case yaml.MappingNode:
		line := map[string]int{}
		var kept []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			kp := field.NewPath(k)
			if p != nil {
				kp = p.Child(k)
			}
			if first, dup := line[k]; dup {
				*errs = append(*errs, field.Duplicate(kp, fmt.Sprintf("key set twice (lines %d and %d); the Pulumi CLI refuses the file", first, n.Content[i].Line)))
				continue
			}
			line[k], out[k] = n.Content[i].Line, v
			kept = append(kept, n.Content[i], v)
			if p != nil {
				dedupe(v, kp, errs)
			}
		}
		n.Content = kept
	case yaml.SequenceNode:
		if p != nil {
			for i, e := range n.Content {
				dedupe(e, p.Index(i), errs)
			}
		}
	}
	return out
}

func sortedNodeKeys(m map[string]*yaml.Node) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isSecure reports the CLI's encrypted value: a mapping whose only key is secure.
func isSecure(n *yaml.Node) bool {
	return n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "secure" && n.Content[1].Kind == yaml.ScalarNode
}

// normalize turns a decoded YAML value into what the CLI's config object
// marshals: maps with string keys, encrypted leaves kept as {"secure": ...}
// (their paths recorded), times as the CLI prints them, everything else as
// decoded.
func normalize(v any, path string, secure *[]string) any {
	switch t := v.(type) {
	case map[string]any:
		if s, ok := t["secure"].(string); ok && len(t) == 1 {
			*secure = append(*secure, path)
			return map[string]any{"secure": s}
		}
		out := map[string]any{}
		for k, e := range t {
			out[k] = normalize(e, path+"."+k, secure)
		}
		return out
	case map[any]any:
		m := map[string]any{}
		for k, e := range t {
			m[fmt.Sprint(k)] = e
		}
		return normalize(m, path, secure)
	case []any:
		for i, e := range t {
			t[i] = normalize(e, fmt.Sprintf("%s[%d]", path, i), secure)
		}
		return t
	case time.Time:
		// yaml.v3 reads unquoted timestamps inside objects as times; the
		// CLI's config object turns them into Go's time format.
		return t.String()
	}
	return v
}

// checkPlaintextSecrets refuses secret keys written in clear: a committed
// stack file must hold them encrypted (pulumi config set --secret).
func (sf *StackFile) checkPlaintextSecrets() {
	if _, plain := sf.Raw[KeySSHPrivateKey]; plain {
		sf.Problems = append(sf.Problems, field.Forbidden(field.NewPath(KeySSHPrivateKey),
			"a private key in clear in the stack file; remove it and run pulumi config set --secret sshPrivateKey < key"))
	}
	if _, plain := sf.Raw[KeyBackupS3SecretKey]; plain {
		sf.Problems = append(sf.Problems, field.Forbidden(field.NewPath(KeyBackupS3SecretKey),
			"an S3 secret key in clear in the stack file; remove it and run pulumi config set --secret backupS3SecretKey < secret-key"))
	}
	v, ok := sf.Raw[KeyFalcoOutputURLs]
	if !ok {
		return
	}
	var urls map[string]any
	if err := json.Unmarshal([]byte(v), &urls); err != nil {
		sf.Problems = append(sf.Problems, field.Forbidden(field.NewPath(KeyFalcoOutputURLs),
			"webhook URLs in clear in the stack file; set each with pulumi config set --secret --path 'falcoOutputUrls.<type>' URL"))
		return
	}
	for _, t := range sortedKeys(urls) {
		if !contains(sf.SecurePaths, KeyFalcoOutputURLs+"."+t) {
			sf.Problems = append(sf.Problems, field.Forbidden(field.NewPath(KeyFalcoOutputURLs).Key(t),
				fmt.Sprintf("a webhook URL in clear in the stack file; remove it and run pulumi config set --secret --path 'falcoOutputUrls.%s' URL", t)))
		}
	}
}
