package responder

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

// withFields sets output fields of a fixture.
func withFields(t *testing.T, body []byte, kv map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	f := m["output_fields"].(map[string]any)
	for k, v := range kv {
		f[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

// The attack: noise at 300/s used up a global bucket in front of
// matching and the real event got 429. Now unknown rules, events below the
// minimum priority, protected namespaces and duplicates are answered
// without an action token; with a bucket of one token per 1000 s, the real
// event after the noise still acts.
func TestHandler_NoiseDoesNotStarveActions(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.RateLimit = RateLimit{ActionsPerSecond: 0.001, Burst: 2, MaxPending: 10}
		c.Responses[0].MinPriority = PriorityWarning
	}, rsPod("shop", "php-1", nil), rsPod("shop", "php-2", nil))
	unknown := []byte(`{"rule":"Contact K8S API Server From Container","priority":"Debug","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"php-1"}}`)
	low := withPod(t, fixture(t, "Terminal shell in container"), "shop", "php-1") // Notice < Warning
	protected := withPod(t, fixture(t, "Reverse shell"), "kube-system", "coredns-1")
	for range 300 {
		if code, _ := h.post(unknown, bearer()); code != http.StatusUnprocessableEntity {
			t.Fatalf("unknown rule: %d", code)
		}
	}
	for range 50 {
		h.post(low, bearer())
		h.post(protected, bearer())
	}
	real := withPod(t, fixture(t, "Reverse shell"), "shop", "php-1")
	if code, r := h.post(real, bearer()); code != http.StatusOK || r.Status != StatusActed {
		t.Fatalf("real event after noise: %d %+v", code, r)
	}
	for range 50 { // duplicates take no token either
		if code, r := h.post(real, bearer()); code != http.StatusOK || r.Reason != ReasonDuplicate || r.Previous == nil || r.Previous.Status != StatusActed {
			t.Fatalf("duplicate: %d %+v", code, r)
		}
	}
	if code, r := h.post(withPod(t, fixture(t, "Reverse shell"), "shop", "php-2"), bearer()); code != http.StatusOK || r.Status != StatusActed {
		t.Fatalf("second pod (second token of the burst): %d %+v", code, r)
	}
	m := h.metricsText()
	for _, want := range []string{
		`falco_responder_rejects_total{reason="unknown_rule"} 300`,
		`falco_responder_skips_total{reason="priority_below_minimum"} 50`,
		`falco_responder_skips_total{reason="protected_namespace"} 50`,
		`falco_responder_skips_total{reason="duplicate"} 50`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Over the action rate, a first event waits for its token instead of
// being refused: 5 pods at 20 actions/s with a burst of 1 all get deleted.
func TestHandler_FirstEventWaitsForToken(t *testing.T) {
	var pods []runtime.Object
	for i := range 5 {
		pods = append(pods, barePod("shop", fmt.Sprintf("php-%d", i)))
	}
	h := newHarness(t, func(c *Config) { c.RateLimit = RateLimit{ActionsPerSecond: 20, Burst: 1, MaxPending: 10} }, pods...)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, r := h.post(withPod(t, fixture(t, "Reverse shell"), "shop", fmt.Sprintf("php-%d", i)), bearer()); code != http.StatusOK || r.Status != StatusActed {
				t.Errorf("php-%d: %d %+v", i, code, r)
			}
		}()
	}
	wg.Wait()
	if n := len(deletes(h.cs)); n != 5 {
		t.Fatalf("%d deletes, want 5", n)
	}
}

// blockDeletes makes the fake API server's pod DELETE wait for release.
func blockDeletes(h *harness) (release func()) {
	ch := make(chan struct{})
	h.cs.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		<-ch
		return false, nil, nil
	})
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// A full queue answers 503 and releases the pod's claim: the next event
// about that pod acts (it is not a "duplicate" of an action never run).
func TestHandler_QueueFullReleasesClaim(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RateLimit.MaxPending = 1 }, barePod("shop", "a"), barePod("shop", "b"))
	release := blockDeletes(h)
	defer release()
	first := make(chan int, 1)
	go func() {
		code, _ := h.post(withPod(t, fixture(t, "Reverse shell"), "shop", "a"), bearer())
		first <- code
	}()
	waitFor(t, func() bool { return h.s.pending.Load() == 1 })
	code, r := h.post(withPod(t, fixture(t, "Reverse shell"), "shop", "b"), bearer())
	if code != http.StatusServiceUnavailable || r.Reason != RejectOverloaded {
		t.Fatalf("over maxPending: %d %+v", code, r)
	}
	release()
	if c := <-first; c != http.StatusOK {
		t.Fatalf("first: %d", c)
	}
	if code, r := h.post(withPod(t, fixture(t, "Reverse shell"), "shop", "b"), bearer()); code != http.StatusOK || r.Status != StatusActed {
		t.Fatalf("after the queue drained: %d %+v", code, r)
	}
}

// The delete does not run under the request's context: a sender that
// gives up does not cancel it, and the next duplicate hears its outcome.
func TestHandler_DeleteDetachedFromRequest(t *testing.T) {
	h := newHarness(t, nil, rsPod("shop", "php-1", nil))
	release := blockDeletes(h)
	defer release()
	body := withPod(t, fixture(t, "Reverse shell"), "shop", "php-1")
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.srv.URL+WebhookPath, bytes.NewReader(body))
	req.Header.Set("Authorization", bearer())
	done := make(chan error, 1)
	go func() {
		resp, err := h.srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, func() bool { return h.s.pending.Load() == 1 })
	if code, r := h.post(body, bearer()); code != http.StatusOK || r.Reason != ReasonDuplicate || r.Previous == nil || r.Previous.Status != statusPending {
		t.Fatalf("duplicate while running: %d %+v", code, r)
	}
	cancel() // falcosidekick disconnects
	if err := <-done; err == nil {
		t.Fatal("the request was not cancelled")
	}
	release()
	waitFor(t, func() bool { return h.s.pending.Load() == 0 })
	if n := len(deletes(h.cs)); n != 1 {
		t.Fatalf("%d deletes", n)
	}
	if _, err := h.cs.CoreV1().Pods("shop").Get(context.Background(), "php-1", metav1.GetOptions{}); err == nil {
		t.Fatal("the cancelled request's delete did not complete")
	}
	code, r := h.post(body, bearer())
	if code != http.StatusOK || r.Reason != ReasonDuplicate || r.Previous == nil || r.Previous.Status != StatusActed || r.Previous.Reason != ReasonPodDeleted {
		t.Fatalf("next duplicate does not report the outcome: %d %+v", code, r)
	}
}

// The event's pod UID is the delete precondition, without a GET when no
// label allow-list is configured: one API call on the hot path.
func TestHandler_EventUIDIsThePrecondition(t *testing.T) {
	h := newHarness(t, nil, rsPod("shop", "php-1", nil))
	body := withFields(t, withPod(t, fixture(t, "Reverse shell"), "shop", "php-1"), map[string]any{"k8s.pod.uid": "uid-php-1"})
	if code, r := h.post(body, bearer()); code != http.StatusOK || r.Status != StatusActed {
		t.Fatalf("%d %+v", code, r)
	}
	var podCalls []k8stesting.Action
	for _, a := range h.cs.Actions() {
		if a.GetResource().Resource == "pods" {
			podCalls = append(podCalls, a)
		}
	}
	if len(podCalls) != 1 {
		t.Fatalf("%d pod API calls on the hot path, want 1 (the delete): %v", len(podCalls), podCalls)
	}
	d := deletes(h.cs)
	if p := d[0].GetDeleteOptions().Preconditions; p == nil || p.UID == nil || *p.UID != "uid-php-1" {
		t.Fatalf("precondition %+v", p)
	}
}

// With a label allow-list the pod is read, and a pod of that name with
// another UID than the event's is left alone.
func TestHandler_OtherUIDIsNotDeleted(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Allow.PodLabels = []string{"exempt"} }, rsPod("shop", "php-1", nil))
	body := withFields(t, withPod(t, fixture(t, "Reverse shell"), "shop", "php-1"), map[string]any{"k8s.pod.uid": "0b7d5b1c-old"})
	code, r := h.post(body, bearer())
	if code != http.StatusOK || r.Reason != ReasonPodReplaced || len(deletes(h.cs)) != 0 {
		t.Fatalf("%d %+v, deletes %d", code, r, len(deletes(h.cs)))
	}
}

// Without a UID, a pod created after the event (plus clockSkew) is a
// replacement, not the attacked pod.
func TestHandler_NoUIDPodCreatedAfterEventIsNotDeleted(t *testing.T) {
	evTime := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	newer := barePod("shop", "web-0")
	newer.CreationTimestamp = metav1.NewTime(evTime.Add(3 * time.Second))
	older := barePod("shop", "web-1")
	older.CreationTimestamp = metav1.NewTime(evTime.Add(1 * time.Second)) // within the 2 s skew
	h := newHarness(t, nil, newer, older)
	at := func(pod string) []byte {
		var m map[string]any
		_ = json.Unmarshal(withPod(t, fixture(t, "Reverse shell"), "shop", pod), &m)
		m["time"] = evTime.Format(time.RFC3339Nano)
		b, _ := json.Marshal(m)
		return b
	}
	if code, r := h.post(at("web-0"), bearer()); code != http.StatusOK || r.Reason != ReasonPodReplaced {
		t.Fatalf("newer pod: %d %+v", code, r)
	}
	if code, r := h.post(at("web-1"), bearer()); code != http.StatusOK || r.Status != StatusActed {
		t.Fatalf("pod within the skew: %d %+v", code, r)
	}
	d := deletes(h.cs)
	if len(d) != 1 || d[0].GetName() != "web-1" || *d[0].GetDeleteOptions().Preconditions.UID != "uid-web-1" {
		t.Fatalf("deletes %+v", d)
	}
}

// Every form of the Authorization header: the scheme in any case, exactly
// one space, the secret byte for byte, one header.
func TestHandler_BearerIsByteExact(t *testing.T) {
	h := newHarness(t, nil)
	body := []byte(`{"rule":"nothing we know","priority":"Notice"}`)
	send := func(values ...string) int {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+WebhookPath, bytes.NewReader(body))
		for _, v := range values {
			req.Header.Add("Authorization", v)
		}
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	accepted := http.StatusUnprocessableEntity // authenticated, then unknown rule
	for name, c := range map[string]struct {
		values []string
		want   int
	}{
		"canonical":                 {[]string{"Bearer " + testSecret}, accepted},
		"lower-case scheme":         {[]string{"bearer " + testSecret}, accepted},
		"upper-case scheme":         {[]string{"BEARER " + testSecret}, accepted},
		"U+00A0 after the secret":   {[]string{"Bearer " + testSecret + "\u00a0"}, http.StatusUnauthorized},
		"U+0085 after the secret":   {[]string{"Bearer " + testSecret + "\u0085"}, http.StatusUnauthorized},
		"U+00A0 before the secret":  {[]string{"Bearer\u00a0" + testSecret}, http.StatusUnauthorized},
		"two spaces":                {[]string{"Bearer  " + testSecret}, http.StatusUnauthorized},
		"tab instead of space":      {[]string{"Bearer\t" + testSecret}, http.StatusUnauthorized},
		"space inside":              {[]string{"Bearer " + testSecret[:5] + " " + testSecret[5:]}, http.StatusUnauthorized},
		"duplicate header, same":    {[]string{"Bearer " + testSecret, "Bearer " + testSecret}, http.StatusUnauthorized},
		"duplicate header, wrong 1": {[]string{"Bearer nope-nope-nope-nope", "Bearer " + testSecret}, http.StatusUnauthorized},
		"upper-case secret":         {[]string{"Bearer " + strings.ToUpper(testSecret)}, http.StatusUnauthorized},
		"scheme only":               {[]string{"Bearer"}, http.StatusUnauthorized},
		"empty token":               {[]string{"Bearer "}, http.StatusUnauthorized},
		"Bearerx scheme":            {[]string{"Bearerx " + testSecret}, http.StatusUnauthorized},
	} {
		if got := send(c.values...); got != c.want {
			t.Errorf("%s: %d, want %d", name, got, c.want)
		}
	}
}

// A flood of rejections is counted in full but logged at a bounded rate,
// and the next line written says how many were left out.
func TestHandler_RejectionLogIsRateLimited(t *testing.T) {
	h := newHarness(t, nil)
	for range 200 {
		h.post([]byte(`{}`), "Bearer wrong-wrong-wrong-wrong")
	}
	lines := strings.Count(h.logText(), `"reason":"unauthenticated"`)
	if lines > logBurst+5 || lines == 0 {
		t.Fatalf("%d log lines for 200 rejections, want at most about %d", lines, logBurst)
	}
	m := h.metricsText()
	if !strings.Contains(m, `falco_responder_rejects_total{reason="unauthenticated"} 200`) {
		t.Error("rejections not all counted")
	}
	if !strings.Contains(m, `falco_responder_log_lines_suppressed_total{reason="reject/unauthenticated"}`) {
		t.Error("suppressed lines not counted")
	}
	time.Sleep(time.Second / logLinesPerSecond * 2)
	h.post([]byte(`{}`), "Bearer wrong-wrong-wrong-wrong")
	if !strings.Contains(h.logText(), `"suppressed_before"`) {
		t.Error("the next line does not report the suppressed ones")
	}
	t.Logf("200 rejections, %d log lines", lines)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
