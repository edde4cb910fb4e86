package stacks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Project is the Pulumi project name and config namespace.
const Project = "k3s-onprem"

// Secret config keys. Their values never enter ClusterSpec.
const (
	KeySSHPrivateKey   = "sshPrivateKey"
	KeyFalcoOutputURLs = "falcoOutputUrls"
	// KeyBackupS3SecretKey is the S3 secret key of etcd snapshots.
	KeyBackupS3SecretKey = "backupS3SecretKey"
)

// SecretKeys are the config keys that must be set with --secret. Pulumi.yaml
// cannot say so (see the comment there), so Load checks it.
var SecretKeys = []string{KeySSHPrivateKey, KeyFalcoOutputURLs, KeyBackupS3SecretKey}

// stringKeys are the plain and secret top-level string keys.
var stringKeys = []string{"clusterName", "environment", "stopAfter", KeySSHPrivateKey, KeyFalcoOutputURLs, KeyBackupS3SecretKey}

// objectKeys are the structured top-level config keys, each one field of ClusterSpec.
var objectKeys = []string{"nodes", "ssh", "network", "k3s", "vip", "loadBalancer", "ingress", "podSecurity", "falco", "responder", "hardening", "charts", "cis", "backup", "rotation"}

// Secrets are the secret inputs, kept as Pulumi secrets end to end.
type Secrets struct {
	// SSHPrivateKey is the operator's private key (PEM), secret.
	SSHPrivateKey pulumi.StringOutput
	// FalcoOutputURLs maps a falcosidekick output type to its URL, secret.
	FalcoOutputURLs map[string]pulumi.StringOutput
	// BackupS3SecretKey is the S3 secret key of etcd snapshots, secret
	// (set only with backup.etcdSnapshots.s3).
	BackupS3SecretKey pulumi.StringOutput
}

// Decode builds a ClusterSpec from raw config values (key without the
// project prefix -> the JSON or string Pulumi stores), applies defaults and
// validates. Unknown keys at every level and values of the wrong kind are
// errors with their full path; they never hide other problems.
func Decode(stack string, raw map[string]string) (*ClusterSpec, Validation) {
	spec := &ClusterSpec{}
	var errs field.ErrorList
	known := append(append([]string{}, stringKeys...), objectKeys...)
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !contains(known, k) {
			errs = append(errs, unknownKey(field.NewPath(k), k, known))
		}
	}
	fields := map[string]any{}
	specType := reflect.TypeOf(ClusterSpec{})
	for i := 0; i < specType.NumField(); i++ {
		f := specType.Field(i)
		k := jsonFieldName(f)
		v, ok := raw[k]
		if k == "" || !ok {
			continue
		}
		if f.Type.Kind() == reflect.String {
			fields[k] = v
			continue
		}
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		var parsed any
		if err := dec.Decode(&parsed); err != nil || dec.More() {
			errs = append(errs, field.TypeInvalid(field.NewPath(k), "(a string)", "want "+map[bool]string{true: "a list", false: "an object"}[f.Type.Kind() == reflect.Slice]+" under "+k))
			continue
		}
		if cv := checkShape(f.Type, parsed, field.NewPath(k), &errs); cv != nil {
			fields[k] = cv
		}
	}
	b, _ := json.Marshal(fields)
	if err := json.Unmarshal(b, spec); err != nil {
		// checkShape removed everything that does not fit; this is a bug.
		errs = append(errs, field.InternalError(field.NewPath("config"), err))
	}
	spec.Secrets.SSHPrivateKey = raw[KeySSHPrivateKey] != ""
	spec.Secrets.BackupS3SecretKey = raw[KeyBackupS3SecretKey] != ""
	if v := raw[KeyFalcoOutputURLs]; v != "" {
		var urls map[string]string
		if err := json.Unmarshal([]byte(v), &urls); err != nil {
			errs = append(errs, field.Invalid(field.NewPath(KeyFalcoOutputURLs), notShown, "must be a map from output type to URL"))
		}
		// The CLI's default {} holds no URLs: leave the map nil as if unset.
		for t, u := range urls {
			if spec.Secrets.FalcoOutputURLs == nil {
				spec.Secrets.FalcoOutputURLs = map[string]bool{}
			}
			spec.Secrets.FalcoOutputURLs[t] = u != ""
		}
	}
	spec.ApplyDefaults(stack)
	v := spec.Validate()
	v.Errors = append(errs, underNone(append(v.Errors, validateCharts(spec.Charts, field.NewPath("charts"))...), errs)...)
	return spec, v
}

// secretsInClear reports each secret key that holds a value but was not set
// with --secret. The CLI's defaults for these keys ("" and {}) hold none.
func secretsInClear(raw map[string]string, isSecret func(key string) bool) field.ErrorList {
	var errs field.ErrorList
	for _, k := range SecretKeys {
		v := raw[k]
		if v == "" || v == "{}" || isSecret(k) {
			continue
		}
		fix := "pulumi config set --secret " + k + " < key"
		if k == KeyFalcoOutputURLs {
			fix = "pulumi config set --secret --path '" + k + ".slack' URL, for each output"
		}
		errs = append(errs, field.Invalid(field.NewPath(k), notShown, "is stored in plain text in the stack file; remove it and set it as a secret: "+fix))
	}
	return errs
}

// underNone drops the errors at or under a path that already has a decode
// error: the value there was removed, so "required" would only repeat it.
func underNone(errs, decodeErrs field.ErrorList) field.ErrorList {
	var out field.ErrorList
next:
	for _, e := range errs {
		for _, d := range decodeErrs {
			if e.Field == d.Field || strings.HasPrefix(e.Field, d.Field+".") || strings.HasPrefix(e.Field, d.Field+"[") {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}

// Load reads the stack config, validates it (all errors at once, before any
// resource exists) and returns the spec and the secret inputs.
func Load(ctx *pulumi.Context) (*ClusterSpec, *Secrets, error) {
	// Pulumi offers no listing of config keys to a program, so unknown keys
	// are caught by `make render` (which reads the stack file) and by the
	// config schema in Pulumi.yaml.
	raw := map[string]string{}
	for _, k := range append(append([]string{}, stringKeys...), objectKeys...) {
		if v, ok := ctx.GetConfig(Project + ":" + k); ok {
			raw[k] = v
		}
	}
	spec, v := Decode(ctx.Stack(), raw)
	v.Errors = append(v.Errors, secretsInClear(raw, func(k string) bool { return ctx.IsConfigSecret(Project + ":" + k) })...)
	v.Errors = append(v.Errors, checkChartArchives(spec, projectDir(ctx))...)
	for _, w := range v.Warnings {
		_ = ctx.Log.Warn(w, nil)
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	sec := &Secrets{FalcoOutputURLs: map[string]pulumi.StringOutput{}}
	switch {
	case raw[KeySSHPrivateKey] != "":
		sec.SSHPrivateKey = config.GetSecret(ctx, Project+":"+KeySSHPrivateKey)
	case spec.SSH.PrivateKeyPath != "":
		key, err := readPrivateKey(spec.SSH.PrivateKeyPath, projectDir(ctx))
		if err != nil {
			return nil, nil, err
		}
		sec.SSHPrivateKey = pulumi.ToSecret(pulumi.String(string(key))).(pulumi.StringOutput)
	}
	if raw[KeyBackupS3SecretKey] != "" {
		sec.BackupS3SecretKey = config.GetSecret(ctx, Project+":"+KeyBackupS3SecretKey)
	}
	if raw[KeyFalcoOutputURLs] != "" {
		var urls map[string]string
		all, err := config.GetSecretObject(ctx, Project+":"+KeyFalcoOutputURLs, &urls)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", KeyFalcoOutputURLs, err)
		}
		for t := range spec.Secrets.FalcoOutputURLs {
			sec.FalcoOutputURLs[t] = all.ApplyT(func(m any) string {
				switch mm := m.(type) {
				case map[string]string:
					return mm[t]
				case map[string]any:
					s, _ := mm[t].(string)
					return s
				}
				return ""
			}).(pulumi.StringOutput)
		}
	}
	return spec, sec, nil
}
