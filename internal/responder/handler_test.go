package responder

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const testSecret = "s3cret-s3cret-s3cret-s3cret"

type harness struct {
	t    *testing.T
	cs   *fake.Clientset
	s    *Server
	srv  *httptest.Server
	logs *bytes.Buffer
	mu   *sync.Mutex
}

// newHarness runs the responder over TLS with the default configuration,
// adjusted by mod, against a fake clientset holding objs.
func newHarness(t *testing.T, mod func(*Config), objs ...runtime.Object) *harness {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(cfg)
	}
	h := &harness{t: t, cs: fake.NewClientset(objs...), logs: &bytes.Buffer{}, mu: &sync.Mutex{}}
	logger := slog.New(slog.NewJSONHandler(lockedWriter{h.mu, h.logs}, nil))
	s, err := New(Options{Config: cfg, Client: h.cs, Secret: []byte(testSecret), Logger: logger, Instance: "server-1"})
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	h.srv = httptest.NewTLSServer(s.Handler())
	t.Cleanup(h.srv.Close)
	return h
}

// logText is the log so far.
func (h *harness) logText() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.logs.String()
}

// metricsText is the /metrics page.
func (h *harness) metricsText() string {
	h.t.Helper()
	resp, err := h.srv.Client().Get(h.srv.URL + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (h *harness) post(body []byte, auth string) (int, reply) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+WebhookPath, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		h.t.Fatalf("status %d, undecodable reply: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, r
}

func bearer() string { return "Bearer " + testSecret }

func fixture(t *testing.T, rule string) []byte {
	t.Helper()
	b, ok := fixtures(t)[rule]
	if !ok {
		t.Fatalf("no fixture for %q", rule)
	}
	return b
}

// withPod rewrites a fixture's pod reference.
func withPod(t *testing.T, body []byte, ns, name string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	f := m["output_fields"].(map[string]any)
	f["k8s.ns.name"], f["k8s.pod.name"] = ns, name
	b, _ := json.Marshal(m)
	return b
}

func TestHandler_DeletesPodAndRecordsEventOnOwner(t *testing.T) {
	h := newHarness(t, nil, rsPod("shop", "php-66f85644d-2ffbt", nil))
	code, r := h.post(fixture(t, "Launch Package Management Process in Container"), bearer())
	if code != http.StatusOK || r.Status != StatusActed || r.Reason != ReasonPodDeleted {
		t.Fatalf("%d %+v", code, r)
	}
	d := deletes(h.cs)
	if len(d) != 1 || *d[0].GetDeleteOptions().GracePeriodSeconds != 0 || d[0].GetName() != "php-66f85644d-2ffbt" {
		t.Fatalf("deletes %+v", d)
	}
	h.s.Close() // the Event is written off the hot path
	evs := events(t, h.cs, "shop")
	if len(evs) != 1 || evs[0].InvolvedObject.Kind != "ReplicaSet" {
		t.Fatalf("events %+v", evs)
	}
	if l := h.logText(); !strings.Contains(l, `"outcome":"acted"`) || !strings.Contains(l, `"rule":"Launch Package Management Process in Container"`) {
		t.Errorf("no structured log line:\n%s", l)
	}
}

func TestHandler_EveryDefaultRuleDeletes(t *testing.T) {
	for rule, body := range fixtures(t) {
		if hostOnlyRules[rule] {
			continue
		}
		t.Run(rule, func(t *testing.T) {
			ev, _ := DecodeEventBytes(body)
			pod, _ := ev.Pod()
			h := newHarness(t, nil, barePod(pod.Namespace, pod.Name))
			code, r := h.post(body, bearer())
			if code != http.StatusOK || r.Status != StatusActed {
				t.Fatalf("%d %+v", code, r)
			}
			if len(deletes(h.cs)) != 1 {
				t.Fatal("pod not deleted")
			}
		})
	}
}

func TestHandler_Unauthenticated(t *testing.T) {
	h := newHarness(t, nil, rsPod("shop", "php-66f85644d-2ffbt", nil))
	body := fixture(t, "Terminal shell in container")
	body = withPod(t, body, "shop", "php-66f85644d-2ffbt")
	for name, auth := range map[string]string{
		"none": "", "wrong token": "Bearer nope-nope-nope-nope-nope", "basic scheme": "Basic " + testSecret,
		"prefix of the secret": "Bearer " + testSecret[:10], "secret plus suffix": bearer() + "x", "no scheme": testSecret,
	} {
		code, r := h.post(body, auth)
		if code != http.StatusUnauthorized || r.Reason != RejectUnauthenticated {
			t.Errorf("%s: %d %+v", name, code, r)
		}
	}
	if len(h.cs.Actions()) != 0 {
		t.Fatalf("unauthenticated requests reached the API: %v", h.cs.Actions())
	}
}

func TestHandler_SystemNamespaceSkipped(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ProtectedNamespacesExtra = []string{"ingress-nginx-internal"} }, rsPod("kube-system", "coredns-1", nil), rsPod("ingress-nginx-internal", "controller-1", nil))
	for _, ref := range []PodRef{{"kube-system", "coredns-1"}, {"ingress-nginx-internal", "controller-1"}, {"falco-responder", "x"}} {
		code, r := h.post(withPod(t, fixture(t, "Terminal shell in container"), ref.Namespace, ref.Name), bearer())
		if code != http.StatusOK || r.Status != StatusSkipped || r.Reason != ReasonProtectedNamespace {
			t.Errorf("%s: %d %+v", ref, code, r)
		}
	}
	if len(h.cs.Actions()) != 0 {
		t.Fatalf("protected namespaces reached the API: %v", h.cs.Actions())
	}
}

func TestHandler_AllowListedNamespaceSkipped(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Allow.Namespaces = []string{"ci"} }, barePod("ci", "runner"))
	code, r := h.post(withPod(t, fixture(t, "Terminal shell in container"), "ci", "runner"), bearer())
	if code != http.StatusOK || r.Reason != ReasonAllowedNamespace || len(deletes(h.cs)) != 0 {
		t.Fatalf("%d %+v", code, r)
	}
}

func TestHandler_Malformed(t *testing.T) {
	h := newHarness(t, nil)
	for _, body := range []string{``, `{`, `[]`, `{"priority":"Warning"}`, `{"rule":5}`, `{"rule":"Terminal shell in container","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"../x"}}`} {
		code, r := h.post([]byte(body), bearer())
		if code != http.StatusBadRequest || r.Reason != RejectMalformed {
			t.Errorf("%q: %d %+v", body, code, r)
		}
	}
	if len(h.cs.Actions()) != 0 {
		t.Fatal("malformed events reached the API")
	}
}

func TestHandler_UnknownRuleAndNoPod(t *testing.T) {
	h := newHarness(t, nil, barePod("shop", "php-1"))
	code, r := h.post([]byte(`{"rule":"Contact K8S API Server From Container","priority":"Notice","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"php-1"}}`), bearer())
	if code != http.StatusUnprocessableEntity || r.Reason != RejectUnknownRule {
		t.Errorf("unknown rule: %d %+v", code, r)
	}
	code, r = h.post([]byte(`{"rule":"Read sensitive file untrusted custom","priority":"Warning","output_fields":{"container.id":"host","fd.name":"/etc/falco/token"}}`), bearer())
	if code != http.StatusUnprocessableEntity || r.Reason != RejectNoPod {
		t.Errorf("host event: %d %+v", code, r)
	}
	if len(h.cs.Actions()) != 0 {
		t.Fatal("events without a pod to act on reached the API")
	}
}

func TestHandler_Oversize(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxBodyBytes = 1024 }, barePod("shop", "php-1"))
	big := []byte(`{"rule":"Terminal shell in container","output":"` + strings.Repeat("A", 4096) + `"}`)
	code, r := h.post(big, bearer())
	if code != http.StatusRequestEntityTooLarge || r.Reason != RejectTooLarge {
		t.Fatalf("declared length: %d %+v", code, r)
	}
	// Without a Content-Length the MaxBytesReader stops the decoder.
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+WebhookPath, io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Authorization", bearer())
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: %d", resp.StatusCode)
	}
}

func TestHandler_DuplicatesDeleteOnce(t *testing.T) {
	h := newHarness(t, nil, rsPod("shop", "php-66f85644d-2ffbt", nil))
	rules := []string{"Terminal shell in container", "Launch Package Management Process in Container", "Write below etc", "Reverse shell"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	acted, dup := 0, 0
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := withPod(t, fixture(t, rules[i%len(rules)]), "shop", "php-66f85644d-2ffbt")
			code, r := h.post(body, bearer())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case code == http.StatusOK && r.Status == StatusActed:
				acted++
			case code == http.StatusOK && r.Reason == ReasonDuplicate:
				dup++
			default:
				t.Errorf("%d %+v", code, r)
			}
		}()
	}
	wg.Wait()
	if acted != 1 || dup != 39 || len(deletes(h.cs)) != 1 {
		t.Fatalf("acted %d, duplicates %d, deletes %d", acted, dup, len(deletes(h.cs)))
	}
}

func TestHandler_FailureIsRetried(t *testing.T) {
	h := newHarness(t, nil, rsPod("shop", "php-1", nil))
	fail := true
	h.cs.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		if fail {
			return true, nil, errors.New("connection refused")
		}
		return false, nil, nil
	})
	body := withPod(t, fixture(t, "Reverse shell"), "shop", "php-1")
	if code, r := h.post(body, bearer()); code != http.StatusBadGateway || r.Status != StatusFailed {
		t.Fatalf("%d %+v", code, r)
	}
	fail = false
	if code, r := h.post(body, bearer()); code != http.StatusOK || r.Status != StatusActed {
		t.Fatalf("retry after a failure was not acted on: %d %+v", code, r)
	}
}

func TestHandler_MethodAndMetrics(t *testing.T) {
	h := newHarness(t, nil, rsPod("shop", "php-66f85644d-2ffbt", nil))
	resp, err := h.srv.Client().Get(h.srv.URL + WebhookPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	h.post(fixture(t, "Launch Package Management Process in Container"), bearer())
	h.post([]byte(`{`), bearer())
	h.post([]byte(`{}`), "")
	b := h.metricsText()
	for _, want := range []string{
		`falco_responder_events_received_total{source="syscall"} 1`,
		`falco_responder_actions_total{action="delete-pod",outcome="acted",rule="Launch Package Management Process in Container"} 1`,
		`falco_responder_rejects_total{reason="malformed"} 1`,
		`falco_responder_rejects_total{reason="unauthenticated"} 1`,
		`falco_responder_rejects_total{reason="method_not_allowed"} 1`,
		`falco_responder_action_duration_seconds_count{action="delete-pod",outcome="acted"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestNew_RejectsShortSecret(t *testing.T) {
	if _, err := New(Options{Config: DefaultConfig(), Client: fake.NewClientset(), Secret: []byte("short")}); err == nil {
		t.Fatal("a short secret was accepted")
	}
}
