package responder

import (
	"embed"
	"fmt"
	"strconv"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/hoststep"
	core "k3s-onprem/internal/responder"
	"k3s-onprem/internal/tmpl"
)

//go:embed templates/*.tmpl scripts/*.sh
var files embed.FS

// Paths on the servers.
const (
	BinaryPath     = "/usr/local/bin/k3s-onprem-responder"
	ConfigDir      = "/etc/k3s-onprem/responder"
	ConfigPath     = ConfigDir + "/config.yaml"
	CredentialDir  = ConfigDir + "/credentials"
	UnitName       = "k3s-onprem-responder.service"
	UnitPath       = "/etc/systemd/system/" + UnitName
	PolicyPath     = "/etc/firewalld/policies/k3s-onprem-responder.xml"
	localAPIServer = "https://127.0.0.1:6443"
	// UploadName is the binary's upload in the step directory
	// ("$STEP_DIR/upload-responder" on the host).
	UploadName = "responder"
)

// StepName is the responder's host step (resources <node>-responder).
const StepName = "responder"

// credentials are the files systemd hands the unit (LoadCredential).
var credentials = []string{"kubeconfig", "secret", "tls.crt", "tls.key"}

// ConfigInput is what the responder's configuration file is built from.
type ConfigInput struct {
	// Namespace is where the responder's ServiceAccount lives (protected).
	Namespace string
	// AllowNamespaces are never acted on, besides the system namespaces.
	AllowNamespaces []string
}

// RenderConfig is the embedded default configuration with the stack's
// allow-list and namespace. The result is parsed back, so a file the
// responder would refuse never reaches a host.
func RenderConfig(in ConfigInput) ([]byte, error) {
	c := core.DefaultConfig()
	c.OwnNamespace = in.Namespace
	c.Allow.Namespaces = append([]string{}, in.AllowNamespaces...)
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	if _, err := core.ParseConfig(b); err != nil {
		return nil, fmt.Errorf("rendered responder config is invalid: %w", err)
	}
	return append([]byte("# Managed by k3s-onprem; reference: internal/responder/default.yaml.\n"), b...), nil
}

// UnitInput is what the systemd unit is rendered from.
type UnitInput struct {
	Port int
}

// RenderUnit renders the hardened systemd unit.
func RenderUnit(in UnitInput) ([]byte, error) {
	return execute("responder.service.tmpl", map[string]any{
		"Binary":        BinaryPath,
		"ConfigPath":    ConfigPath,
		"Listen":        ":" + strconv.Itoa(in.Port),
		"Credentials":   credentials,
		"CredentialDir": CredentialDir,
		// Measured RSS is ~20 MiB; the cap stops a decoder bug from
		// starving the k3s server beside it.
		"MemoryMax": "128M",
	})
}

// RenderFirewallPolicy opens the responder port from the internal zone.
func RenderFirewallPolicy(port int) ([]byte, error) {
	return execute("firewalld-policy.xml.tmpl", map[string]any{"Port": port})
}

// StepInput is one server's responder step.
type StepInput struct {
	Port            int
	Namespace       string
	TokenSecret     string
	AllowNamespaces []string
	// BinarySHA256 is the hex digest of the binary uploaded for this host;
	// it is in the command text, so a new build re-runs the step.
	BinarySHA256 string
}

// Step returns the responder host step for one server.
func Step(in StepInput) (hoststep.Step, error) {
	if len(in.BinarySHA256) != 64 {
		return hoststep.Step{}, fmt.Errorf("binary sha256 %q is not a hex digest", in.BinarySHA256)
	}
	cfg, err := RenderConfig(ConfigInput{Namespace: in.Namespace, AllowNamespaces: in.AllowNamespaces})
	if err != nil {
		return hoststep.Step{}, err
	}
	unit, err := RenderUnit(UnitInput{Port: in.Port})
	if err != nil {
		return hoststep.Step{}, err
	}
	policy, err := RenderFirewallPolicy(in.Port)
	if err != nil {
		return hoststep.Step{}, err
	}
	script, err := files.ReadFile("scripts/responder.sh")
	if err != nil {
		return hoststep.Step{}, err
	}
	return hoststep.Step{
		Name:   StepName,
		Script: string(script),
		Files: []hoststep.File{
			{Path: ConfigPath, Mode: 0o644, Content: cfg},
			{Path: UnitPath, Mode: 0o644, Content: unit},
			{Path: PolicyPath, Mode: 0o644, Content: policy},
		},
		Vars: map[string]string{
			"BINARY":         BinaryPath,
			"BINARY_SHA256":  in.BinarySHA256,
			"UPLOAD_NAME":    UploadName,
			"CONFIG":         ConfigPath,
			"UNIT":           UnitName,
			"UNIT_FILE":      UnitPath,
			"POLICY":         PolicyPath,
			"CREDENTIAL_DIR": CredentialDir,
			"SA_NAMESPACE":   in.Namespace,
			"TOKEN_SECRET":   in.TokenSecret,
			"API_URL":        localAPIServer,
			"PORT":           strconv.Itoa(in.Port),
		},
	}, nil
}

var templates = tmpl.Must(files, "templates/*.tmpl")

func execute(name string, data any) ([]byte, error) { return templates.Execute(name, data) }
