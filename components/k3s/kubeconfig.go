package k3s

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/hoststep"
)

// ReadKubeconfig reads the admin kubeconfig from a server once the VIP
// answers, with logging off and stdout secret, and returns it with the
// server URL pointing at the VIP. after are the resources that must be done
// first (the server's gate, usually every server's).
func ReadKubeconfig(ctx *pulumi.Context, s *Server, vip string, waitSeconds int, after []pulumi.Resource) (pulumi.StringOutput, error) {
	if waitSeconds == 0 {
		waitSeconds = DefaultWaitSeconds
	}
	step := hoststep.Step{Name: StepKubeconfig, Script: script("kubeconfig.sh"),
		Vars: map[string]string{"VIP": vip, "WAIT_SECONDS": strconv.Itoa(waitSeconds)}}
	cmd, err := hoststep.Apply(ctx, s.Target, step, hoststep.Options{SecretOutput: true},
		pulumi.Parent(s), pulumi.DependsOn(after))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	kc := cmd.Stdout.ApplyT(func(out string) (string, error) {
		return KubeconfigFromStepOutput(out, vip)
	}).(pulumi.StringOutput)
	return pulumi.ToSecretWithContext(ctx.Context(), kc).(pulumi.StringOutput), nil
}

// KubeconfigFromStepOutput decodes the kubeconfig step's stdout (one base64
// line, then the step's changed/unchanged line) and points every cluster at
// https://<vip>:6443 (k3s writes 127.0.0.1). Empty output (a preview, or
// mocks) gives an empty kubeconfig.
func KubeconfigFromStepOutput(out, vip string) (string, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	if line == "" || line == "changed" || line == "unchanged" {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line))
	if err != nil {
		return "", fmt.Errorf("kubeconfig: not base64: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return "", fmt.Errorf("kubeconfig: %w", err)
	}
	clusters, _ := doc["clusters"].([]any)
	if len(clusters) == 0 {
		return "", fmt.Errorf("kubeconfig: no clusters")
	}
	for _, c := range clusters {
		entry, _ := c.(map[string]any)
		cluster, _ := entry["cluster"].(map[string]any)
		if cluster == nil {
			return "", fmt.Errorf("kubeconfig: cluster entry without cluster")
		}
		cluster["server"] = apiURL(vip)
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
