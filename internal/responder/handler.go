package responder

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// reply is the JSON body of every /falco answer.
type reply struct {
	Outcome
	Pod  string `json:"pod,omitempty"`
	Rule string `json:"rule,omitempty"`
	// Previous is, for a duplicate, the outcome of the action the first
	// event started ("pending" while it runs); for a retry, the failure it
	// retries.
	Previous *Outcome `json:"previous,omitempty"`
}

// statusPending is Previous.Status while the first event's action runs.
const statusPending Status = "pending"

// serveFalco handles one event. The order is deliberate: authentication
// first (cheap, and an unauthenticated flood must not reach anything
// else), then the bounded body and the decoder, then everything that
// decides without the API server (rule matching, priority, namespace
// protection, dedup). Those answers cost no API call and no action token,
// so noise (rules the responder ignores, DEBUG events, duplicates) cannot
// starve a real event. Only the first event about a pod becomes an action:
// it waits for a token of the action bucket in a bounded queue and runs
// detached from the request.
func (s *Server) serveFalco(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reject(w, r, http.StatusMethodNotAllowed, RejectMethod, "POST only", nil)
		return
	}
	if !s.authenticated(r.Header) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="falco-responder"`)
		s.reject(w, r, http.StatusUnauthorized, RejectUnauthenticated, "missing or wrong bearer token", nil)
		return
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		s.reject(w, r, http.StatusRequestEntityTooLarge, RejectTooLarge, "body larger than maxBodyBytes", nil)
		return
	}
	received := s.now()
	ev, err := DecodeEvent(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.reject(w, r, http.StatusRequestEntityTooLarge, RejectTooLarge, "body larger than maxBodyBytes", nil)
			return
		}
		s.reject(w, r, http.StatusBadRequest, RejectMalformed, err.Error(), nil)
		return
	}
	s.metrics.received.WithLabelValues(sourceLabel(ev.Source)).Inc()

	b, why := s.matcher.match(ev)
	if b == nil {
		s.reject(w, r, http.StatusUnprocessableEntity, RejectUnknownRule, "no response is configured for this rule", ev)
		return
	}
	pod, err := ev.Pod()
	if err != nil {
		status, reason := http.StatusUnprocessableEntity, RejectNoPod
		if errors.Is(err, ErrMalformed) {
			status, reason = http.StatusBadRequest, RejectMalformed
		}
		s.reject(w, r, status, reason, err.Error(), ev)
		return
	}
	t := Target{Pod: pod, UID: ev.PodUID(), Seen: ev.Time, Event: ev, Response: b.response}
	if t.Seen.IsZero() {
		t.Seen = received
	}
	if why != "" {
		s.skip(w, t, b, Outcome{Status: StatusSkipped, Reason: why, Detail: "event priority " + ev.Priority.String() + " is below " + b.response.MinPriority.String()}, nil)
		return
	}
	if why := s.guard.namespace(pod.Namespace); why != "" {
		s.skip(w, t, b, Outcome{Status: StatusSkipped, Reason: why, Detail: "namespace is never acted on"}, nil)
		return
	}
	key := pod.String()
	c, retried, first := s.dedup.acquire(key)
	if !first {
		prev, done := c.result()
		if !done {
			prev = Outcome{Status: statusPending, Reason: "action_running"}
		}
		s.skip(w, t, b, Outcome{Status: StatusSkipped, Reason: ReasonDuplicate, Detail: "pod already handled within dedupTTL"}, &prev)
		return
	}
	if !s.startAction(key, c, t, b) {
		w.Header().Set("Retry-After", "1")
		s.reject(w, r, http.StatusServiceUnavailable, RejectOverloaded, "more than rateLimit.maxPending actions are waiting; the next event about this pod acts", ev)
		return
	}
	select {
	case <-c.done:
		s.respond(w, t, b, c.out, retried)
	case <-r.Context().Done():
		// The sender gave up; the action goes on and its outcome is
		// logged and answered to the next duplicate.
	}
}

// startAction runs the action for a fresh claim in its own goroutine,
// bounded by actionTimeout from when it was queued, not by the request:
// a sender that disconnects does not cancel a delete that duplicates were
// already told about. It refuses (and releases the claim) when maxPending
// actions are already queued or running.
func (s *Server) startAction(key string, c *claim, t Target, b *binding) bool {
	if s.pending.Add(1) > int64(s.cfg.RateLimit.MaxPending) {
		s.pending.Add(-1)
		s.dedup.release(key)
		return false
	}
	s.metrics.pending.Inc()
	go func() {
		defer func() {
			s.pending.Add(-1)
			s.metrics.pending.Dec()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ActionTimeout.Duration)
		defer cancel()
		start := s.now()
		var out Outcome
		if err := s.actions.Wait(ctx); err != nil {
			out = Outcome{Status: StatusFailed, Reason: RejectOverloaded, Detail: "no action token within actionTimeout: " + err.Error()}
		} else {
			out = b.action.Run(ctx, t)
		}
		s.record(t, b, out, s.now().Sub(start))
		c.finish(out)
	}()
	return true
}

// authenticated accepts exactly one Authorization header of the form
// "<scheme> <secret>": the scheme "Bearer" in any case (RFC 7235 §2.1:
// auth-scheme is case-insensitive), exactly one space (RFC 6750 §2.1:
// "Bearer" 1*SP b64token, and falcosidekick sends one), and the secret
// byte for byte: no trimming, no Unicode spaces, no second header. Both
// sides are hashed first, so the constant-time comparison does not leak
// the secret's length either.
func (s *Server) authenticated(h http.Header) bool {
	values := h.Values("Authorization")
	if len(values) != 1 {
		return false
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := digest([]byte(token))
	return subtle.ConstantTimeCompare(got[:], s.secret[:]) == 1
}

func digest(b []byte) [32]byte { return sha256.Sum256(b) }

// ruleLabel is the configured spelling of the event's rule: bounded label
// values whatever the sender wrote.
func ruleLabel(b *binding, ev *Event) string {
	for _, name := range b.response.Rules {
		if normalizeRule(name) == normalizeRule(ev.Rule) {
			return name
		}
	}
	return b.response.Rules[0]
}

// skip answers a matched event that causes no action (200 skipped): it is
// counted always and logged at a bounded rate per reason.
func (s *Server) skip(w http.ResponseWriter, t Target, b *binding, out Outcome, prev *Outcome) {
	rule := ruleLabel(b, t.Event)
	s.metrics.actions.WithLabelValues(rule, b.action.Name(), string(out.Status)).Inc()
	s.metrics.skips.WithLabelValues(out.Reason).Inc()
	if ok, left := s.logs.allow("skip/" + out.Reason); ok {
		attrs := s.outcomeAttrs(t, b, out, 0)
		if prev != nil {
			attrs = append(attrs, slog.String("previous", string(prev.Status)+"/"+prev.Reason))
		}
		if left > 0 {
			attrs = append(attrs, slog.Int("suppressed_before", left))
		}
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "falco event handled", attrs...)
	}
	writeJSON(w, http.StatusOK, reply{Outcome: out, Pod: t.Pod.String(), Rule: rule, Previous: prev})
}

// record counts and logs an action's outcome. Every action is logged: the
// action bucket bounds them, and they are the audit trail.
func (s *Server) record(t Target, b *binding, out Outcome, took time.Duration) {
	action := b.action.Name()
	s.metrics.actions.WithLabelValues(ruleLabel(b, t.Event), action, string(out.Status)).Inc()
	if out.Status == StatusSkipped {
		s.metrics.skips.WithLabelValues(out.Reason).Inc()
	}
	s.metrics.latency.WithLabelValues(action, string(out.Status)).Observe(took.Seconds())
	level := slog.LevelInfo
	if out.Status == StatusFailed {
		level = slog.LevelError
	}
	s.log.LogAttrs(context.Background(), level, "falco event handled", s.outcomeAttrs(t, b, out, took)...)
}

func (s *Server) outcomeAttrs(t Target, b *binding, out Outcome, took time.Duration) []slog.Attr {
	return []slog.Attr{
		slog.String("outcome", string(out.Status)),
		slog.String("reason", out.Reason),
		slog.String("detail", out.Detail),
		slog.String("rule", ruleLabel(b, t.Event)),
		slog.String("priority", t.Event.Priority.String()),
		slog.String("response", b.response.Name),
		slog.String("action", b.action.Name()),
		slog.String("namespace", t.Pod.Namespace),
		slog.String("pod", t.Pod.Name),
		slog.String("pod_uid", out.UID),
		slog.String("event_pod_uid", clip(t.UID, 64)),
		slog.String("owner", out.Owner),
		slog.String("falco_host", clip(t.Event.Hostname, 253)),
		slog.String("event_uuid", clip(t.Event.UUID, 64)),
		slog.Duration("took", took),
	}
}

// respond answers the first event of a pod with its action's outcome: 200
// for acted and skipped, 502 when the Kubernetes API failed (falcosidekick
// counts it as an error; the next event about the pod retries).
func (s *Server) respond(w http.ResponseWriter, t Target, b *binding, out Outcome, retried *Outcome) {
	status := http.StatusOK
	if out.Status == StatusFailed {
		status = http.StatusBadGateway
	}
	writeJSON(w, status, reply{Outcome: out, Pod: t.Pod.String(), Rule: ruleLabel(b, t.Event), Previous: retried})
}

// reject answers a request that is refused before any action: 4xx/503, a
// metric always, a log line at a bounded rate per reason. Event fields in
// the log are clipped: they are attacker-controlled.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, status int, reason, detail string, ev *Event) {
	s.metrics.rejects.WithLabelValues(reason).Inc()
	if ok, left := s.logs.allow("reject/" + reason); ok {
		attrs := []slog.Attr{
			slog.Int("status", status),
			slog.String("reason", reason),
			slog.String("detail", clip(detail, 256)),
			slog.String("remote", r.RemoteAddr),
		}
		if ev != nil {
			attrs = append(attrs, slog.String("rule", clip(ev.Rule, 128)), slog.String("priority", ev.Priority.String()), slog.String("falco_host", clip(ev.Hostname, 253)))
		}
		if left > 0 {
			attrs = append(attrs, slog.Int("suppressed_before", left))
		}
		level := slog.LevelInfo
		if status == http.StatusUnauthorized {
			level = slog.LevelWarn
		}
		s.log.LogAttrs(context.Background(), level, "falco event rejected", attrs...)
	}
	writeJSON(w, status, reply{Outcome: Outcome{Status: "rejected", Reason: reason, Detail: clip(detail, 256)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
