package tokenrotate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k3s-onprem/components/k3s"
)

// supervisorStandIn is a STAND-IN for the token endpoint of k3s's
// supervisor (README.md lists what it emulates and from where): PUT
// /v1-k3s/token as user "server" with the current server password, body
// {"newToken": ...}; on success it takes the new password and rewrites
// the server's token file as K10<CA hash>::server:<password>.
type supervisorStandIn struct {
	mu        sync.Mutex
	password  string
	tokenFile string
	caHash    string
	requests  int
}

func (s *supervisorStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if r.URL.Path != "/v1-k3s/token" {
		http.NotFound(w, r)
		return
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != "server" || pass != s.password {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPut {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var req struct {
		NewToken *string `json:"newToken,omitempty"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.NewToken == nil {
		http.Error(w, fmt.Sprintf("bad request: %v", err), http.StatusBadRequest)
		return
	}
	s.password = *req.NewToken
	if err := writeServerToken(s.tokenFile, s.caHash, s.password); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func writeServerToken(path, caHash, password string) error {
	return os.WriteFile(path, []byte("K10"+caHash+"::server:"+password+"\n"), 0o600)
}

// rotateHarness is the real k3s-token-rotate step script with its paths
// pointed at the stand-in, and a curl wrapper that records every argument
// list and environment curl is started with.
type rotateHarness struct {
	dir, script, curlLog string
	standIn              *supervisorStandIn
}

func newHarness(t *testing.T, oldPassword string, generation int) *rotateHarness {
	t.Helper()
	realCurl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	dir := t.TempDir()
	h := &rotateHarness{dir: dir, curlLog: filepath.Join(dir, "curl.log")}
	h.standIn = &supervisorStandIn{password: oldPassword, tokenFile: filepath.Join(dir, "server-token")}
	srv := httptest.NewUnstartedServer(h.standIn)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	sum := sha256.Sum256(caPEM)
	h.standIn.mu.Lock()
	h.standIn.caHash = hex.EncodeToString(sum[:])
	h.standIn.mu.Unlock()
	if err := writeServerToken(h.standIn.tokenFile, h.standIn.caHash, oldPassword); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server-ca.crt"), caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	step := k3s.TokenRotateStep("server-1", generation)
	rendered, err := url.Parse(step.Vars["ROTATE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	local, _ := url.Parse(srv.URL)
	rendered.Host = local.Host // the program's path and scheme, the stand-in's port
	step.Vars["ROTATE_URL"] = rendered.String()
	step.Vars["SERVER_TOKEN"] = h.standIn.tokenFile
	step.Vars["SERVER_CA"] = filepath.Join(dir, "server-ca.crt")
	b, err := step.Render()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b.Files[len(b.Files)-1].Content), "K3S_STATE=/var/lib/k3s-onprem/k3s", "K3S_STATE="+filepath.Join(dir, "state"))
	h.script = filepath.Join(dir, "run.sh")
	if err := os.WriteFile(h.script, []byte(text), 0o700); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	wrapper := fmt.Sprintf("#!/bin/sh\n{ printf 'argv:'; printf ' %%s' \"$@\"; printf '\\n'; env; } >>%q\nexec %q \"$@\"\n", h.curlLog, realCurl)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "curl"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *rotateHarness) run(t *testing.T, stdin string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("bash", h.script, "apply")
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(h.dir, "bin")+":"+os.Getenv("PATH"))
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return strings.TrimSpace(out.String()), errb.String(), err
}

func (h *rotateHarness) serverPassword(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(h.standIn.tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	_, pass, _ := strings.Cut(strings.TrimSpace(string(b)), "::server:")
	return pass
}

// TestTokenRotateStep_RotatesThroughTheSupervisorWithoutExposingTokens:
// the real step script, against the stand-in endpoint over TLS checked
// with the CA file: the request k3s's CLI sends rotates the password, the
// step waits for the server's token file, keeps the old token root-only
// for older snapshots and records the generation (a re-run sends nothing);
// neither token is in any curl argument or environment variable, nor in
// the script.
func TestTokenRotateStep_RotatesThroughTheSupervisorWithoutExposingTokens(t *testing.T) {
	oldPass, newPass := "old"+strings.Repeat("o", 45), "new"+strings.Repeat("n", 45)
	h := newHarness(t, oldPass, 1)
	out, stderr, err := h.run(t, newPass+"\n")
	if err != nil || out != "changed" {
		t.Fatalf("rotate: %q %v\n%s", out, err, stderr)
	}
	if got := h.serverPassword(t); got != newPass || h.standIn.password != newPass {
		t.Fatalf("the server holds %q after the rotation", got)
	}
	kept := filepath.Join(h.dir, "state", "cluster-token-before-generation-1")
	if b, err := os.ReadFile(kept); err != nil || strings.TrimSpace(string(b)) != oldPass {
		t.Errorf("old token not kept for older snapshots: %q %v", b, err)
	} else if fi, _ := os.Stat(kept); fi.Mode().Perm() != 0o600 {
		t.Errorf("old token kept with mode %o", fi.Mode().Perm())
	}
	curlLog, err := os.ReadFile(h.curlLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{oldPass, newPass} {
		if strings.Contains(string(curlLog), secret) {
			t.Errorf("a token in curl's arguments or environment:\n%s", curlLog)
		}
		if strings.Contains(stderr, secret) {
			t.Errorf("a token in the step's log")
		}
		if b, _ := os.ReadFile(h.script); strings.Contains(string(b), secret) {
			t.Errorf("a token in the script")
		}
	}
	if !strings.Contains(string(curlLog), "--config -") {
		t.Errorf("curl did not read its options from stdin:\n%s", curlLog)
	}
	requests := h.standIn.requests
	if out, _, err := h.run(t, newPass+"\n"); err != nil || out != "unchanged" || h.standIn.requests != requests {
		t.Errorf("re-run: %q %v, %d more requests", out, err, h.standIn.requests-requests)
	}
}

// TestTokenRotateStep_FreshClusterAndRefusal: on a cluster that already
// runs with the new token (a first install at a raised generation) the
// step sends nothing; when k3s refuses the request the step fails with the
// HTTP status and no token in its message.
func TestTokenRotateStep_FreshClusterAndRefusal(t *testing.T) {
	pass := "cur" + strings.Repeat("x", 45)
	h := newHarness(t, pass, 1)
	if out, stderr, err := h.run(t, pass+"\n"); err != nil || out != "unchanged" || h.standIn.requests != 0 {
		t.Fatalf("fresh cluster: %q %v, %d requests\n%s", out, err, h.standIn.requests, stderr)
	}
	// The server's token file and the supervisor disagree: k3s answers 401.
	h = newHarness(t, pass, 2)
	h.standIn.password = "other" + strings.Repeat("y", 43)
	newPass := "new" + strings.Repeat("z", 45)
	out, stderr, err := h.run(t, newPass+"\n")
	if err == nil {
		t.Fatalf("a refused rotation passed: %q", out)
	}
	if !strings.Contains(stderr, "HTTP 401") {
		t.Errorf("the failure does not name the status:\n%s", stderr)
	}
	for _, secret := range []string{pass, newPass, h.standIn.password} {
		if strings.Contains(stderr, secret) {
			t.Errorf("a token in the failure message:\n%s", stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(h.dir, "state", "cluster-token-rotated-generation")); err == nil {
		t.Error("a refused rotation was recorded as done")
	}
}
