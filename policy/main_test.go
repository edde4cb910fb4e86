package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"k3s-onprem/policy/policies"
)

// startPack builds the pack binary and starts it the way the Pulumi CLI
// runs an executable analyzer, returning a client on the port it prints.
func startPack(t *testing.T) pulumirpc.AnalyzerClient {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "k3s-cis")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		port <- strings.TrimSpace(line)
	}()
	var p string
	select {
	case p = <-port:
	case <-time.After(30 * time.Second):
		t.Fatal("the pack printed no port")
	}
	conn, err := grpc.NewClient("127.0.0.1:"+p, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return pulumirpc.NewAnalyzerClient(conn)
}

// TestPackBinary drives the compiled pack over gRPC as the engine does for
// a prod stack whose policy config disables a policy: Handshake,
// ConfigureStack, GetAnalyzerInfo, Configure, Analyze, AnalyzeStack.
func TestPackBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the pack binary")
	}
	c := startPack(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	if _, err := c.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "prod", Project: "k3s-onprem",
		Config: map[string]string{"k3s-onprem:vip": `{"address":"192.168.122.100"}`}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != policies.PackName || info.GetVersion() != policies.Version.String() {
		t.Errorf("pack %s %s, want %s %s", info.GetName(), info.GetVersion(), policies.PackName, policies.Version)
	}
	// Each policy's default level is the one its rule declares (all
	// mandatory today), as the in-process pack has it.
	inProcess, err := policies.New(policies.Env{Stack: "prod", Prod: true})
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]pulumirpc.EnforcementLevel{}
	for _, p := range inProcess.Policies() {
		declared[p.Name()] = pulumirpc.EnforcementLevel(p.EnforcementLevel())
	}
	var names []string
	for _, p := range info.GetPolicies() {
		names = append(names, p.GetName())
		if want := declared[p.GetName()]; p.GetEnforcementLevel() != want {
			t.Errorf("%s is %s by default, want %s", p.GetName(), p.GetEnforcementLevel(), want)
		}
	}
	if !slices.Equal(names, policies.Names()) {
		t.Errorf("the binary serves %v, want %v", names, policies.Names())
	}

	_, err = c.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"k3s-secrets-encryption": {EnforcementLevel: pulumirpc.EnforcementLevel_DISABLED, Properties: &structpb.Struct{}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	props, err := plugin.MarshalProperties(resource.PropertyMap{
		"connection": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{
			"host": resource.NewStringProperty("192.168.122.11"), "user": resource.NewStringProperty("root"),
		})),
		"create": resource.NewStringProperty("true"),
	}, plugin.MarshalOptions{KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	urn := "urn:pulumi:prod::k3s-onprem::command:remote:Command::server-1-sshd"
	got, err := c.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: "command:remote:Command", Name: "server-1-sshd", Urn: urn, Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{policies.GuardResourceName, "ssh-host-key-pinned"}; !slices.Equal(diagPolicies(got), want) {
		t.Fatalf("Analyze reported %v, want %v", diagPolicies(got), want)
	}
	got, err = c.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
		{Type: "command:remote:Command", Name: "server-1-sshd", Urn: urn, Properties: props},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{policies.GuardStackName}; !slices.Equal(diagPolicies(got), want) {
		t.Fatalf("AnalyzeStack reported %v, want %v", diagPolicies(got), want)
	}
	if !strings.Contains(got.GetDiagnostics()[0].GetMessage(), "k3s-secrets-encryption") {
		t.Errorf("the guard does not name the disabled policy: %s", got.GetDiagnostics()[0].GetMessage())
	}
}

func diagPolicies(r *pulumirpc.AnalyzeResponse) []string {
	var out []string
	for _, d := range r.GetDiagnostics() {
		out = append(out, d.GetPolicyName())
	}
	slices.Sort(out)
	return out
}

// TestPulumiPolicyYAMLVersion keeps PulumiPolicy.yaml (what the CLI shows)
// in step with the version the pack reports.
func TestPulumiPolicyYAMLVersion(t *testing.T) {
	b, err := os.ReadFile("PulumiPolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runtime string `json:"runtime"`
		Version string `json:"version"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Runtime != "go" || doc.Version != policies.Version.String() {
		t.Errorf("PulumiPolicy.yaml says runtime %q version %q, want go %s", doc.Runtime, doc.Version, policies.Version)
	}
}
