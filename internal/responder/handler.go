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
}

// serveFalco handles one event. The order of checks is deliberate:
// authentication first (cheap, and an unauthenticated flood must not spend
// the tokens of the rate limiter that falcosidekick relies on), then the
// rate limit (protects the API server from a flood of authenticated
// events), then the bounded body, the decoder, rule matching, namespace
// protection and dedup, and only then an API call.
func (s *Server) serveFalco(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reject(w, r, http.StatusMethodNotAllowed, RejectMethod, "POST only", nil)
		return
	}
	if !s.authenticated(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="falco-responder"`)
		s.reject(w, r, http.StatusUnauthorized, RejectUnauthenticated, "missing or wrong bearer token", nil)
		return
	}
	if !s.limiter.Allow() {
		w.Header().Set("Retry-After", "1")
		s.reject(w, r, http.StatusTooManyRequests, RejectRateLimited, "event rate above the configured limit", nil)
		return
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		s.reject(w, r, http.StatusRequestEntityTooLarge, RejectTooLarge, "body larger than maxBodyBytes", nil)
		return
	}
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
	t := Target{Pod: pod, Event: ev, Response: b.response}
	if why != "" {
		s.finish(w, t, b, Outcome{Status: StatusSkipped, Reason: why, Detail: "event priority " + ev.Priority.String() + " is below " + b.response.MinPriority.String()}, 0)
		return
	}
	if why := s.guard.namespace(pod.Namespace); why != "" {
		s.finish(w, t, b, Outcome{Status: StatusSkipped, Reason: why, Detail: "namespace is never acted on"}, 0)
		return
	}
	key := pod.String()
	if !s.dedup.claim(key) {
		s.finish(w, t, b, Outcome{Status: StatusSkipped, Reason: ReasonDuplicate, Detail: "pod already handled within dedupTTL"}, 0)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ActionTimeout.Duration)
	defer cancel()
	start := s.now()
	out := b.action.Run(ctx, t)
	if out.Status == StatusFailed {
		s.dedup.release(key)
	}
	s.finish(w, t, b, out, s.now().Sub(start))
}

// authenticated compares the bearer token in constant time. Both sides are
// hashed first so the comparison does not leak the secret's length either.
func (s *Server) authenticated(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := digest([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], s.secret[:]) == 1
}

func digest(b []byte) [32]byte { return sha256.Sum256(b) }

// finish records and answers a matched event: 200 for acted and skipped,
// 502 when the Kubernetes API failed (falcosidekick counts it as an error).
func (s *Server) finish(w http.ResponseWriter, t Target, b *binding, out Outcome, took time.Duration) {
	rule := b.response.Rules[0]
	for _, name := range b.response.Rules {
		if normalizeRule(name) == normalizeRule(t.Event.Rule) {
			rule = name // the configured spelling: bounded label values
			break
		}
	}
	action := b.action.Name()
	s.metrics.actions.WithLabelValues(rule, action, string(out.Status)).Inc()
	if out.Status == StatusSkipped {
		s.metrics.skips.WithLabelValues(out.Reason).Inc()
	}
	if took > 0 {
		s.metrics.latency.WithLabelValues(action, string(out.Status)).Observe(took.Seconds())
	}
	level := slog.LevelInfo
	status := http.StatusOK
	if out.Status == StatusFailed {
		level, status = slog.LevelError, http.StatusBadGateway
	}
	s.log.LogAttrs(context.Background(), level, "falco event handled",
		slog.String("outcome", string(out.Status)),
		slog.String("reason", out.Reason),
		slog.String("detail", out.Detail),
		slog.String("rule", rule),
		slog.String("priority", t.Event.Priority.String()),
		slog.String("response", b.response.Name),
		slog.String("action", action),
		slog.String("namespace", t.Pod.Namespace),
		slog.String("pod", t.Pod.Name),
		slog.String("pod_uid", out.UID),
		slog.String("owner", out.Owner),
		slog.String("falco_host", clip(t.Event.Hostname, 253)),
		slog.String("event_uuid", clip(t.Event.UUID, 64)),
		slog.Duration("took", took),
	)
	writeJSON(w, status, reply{Outcome: out, Pod: t.Pod.String(), Rule: rule})
}

// reject answers a request that is refused before any action: 4xx, a log
// line and a metric. Event fields in the log are clipped: they are
// attacker-controlled.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, status int, reason, detail string, ev *Event) {
	s.metrics.rejects.WithLabelValues(reason).Inc()
	attrs := []slog.Attr{
		slog.Int("status", status),
		slog.String("reason", reason),
		slog.String("detail", clip(detail, 256)),
		slog.String("remote", r.RemoteAddr),
	}
	if ev != nil {
		attrs = append(attrs, slog.String("rule", clip(ev.Rule, 128)), slog.String("priority", ev.Priority.String()), slog.String("falco_host", clip(ev.Hostname, 253)))
	}
	level := slog.LevelInfo
	if status == http.StatusUnauthorized {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(context.Background(), level, "falco event rejected", attrs...)
	writeJSON(w, status, reply{Outcome: Outcome{Status: "rejected", Reason: reason, Detail: clip(detail, 256)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
