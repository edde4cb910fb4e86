package responder

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the responder's Prometheus series. They live in a registry
// owned by the Server (never the global one), so tests and several servers
// in one process do not share counters.
type metrics struct {
	received *prometheus.CounterVec
	actions  *prometheus.CounterVec
	rejects  *prometheus.CounterVec
	skips    *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// logSuppressed counts log lines left out by the log rate limit.
	logSuppressed *prometheus.CounterVec
	connsRefused  *prometheus.CounterVec
	conns         prometheus.Gauge
	pending       prometheus.Gauge
	kevents       *prometheus.CounterVec
}

// Reject reasons: requests refused before any rule is considered.
const (
	RejectUnauthenticated = "unauthenticated"
	RejectMethod          = "method_not_allowed"
	RejectTooLarge        = "too_large"
	RejectOverloaded      = "overloaded"
	RejectMalformed       = "malformed"
	RejectUnknownRule     = ReasonUnknownRule
	RejectNoPod           = "no_pod"
)

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "falco_responder", Name: "events_received_total",
			Help: "Authenticated, well-formed Falco events received, by source.",
		}, []string{"source"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "falco_responder", Name: "actions_total",
			Help: "Actions run, by rule, action and outcome (acted, skipped, failed).",
		}, []string{"rule", "action", "outcome"}),
		rejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "falco_responder", Name: "rejects_total",
			Help: "Requests refused with a 4xx, by reason.",
		}, []string{"reason"}),
		skips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "falco_responder", Name: "skips_total",
			Help: "Matching events deliberately not acted on, by reason.",
		}, []string{"reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "falco_responder", Name: "action_duration_seconds",
			Help: "Time from the start of an action to its outcome (API calls included).",
			// A delete through a healthy API server takes milliseconds;
			// the top buckets catch a struggling one.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"action", "outcome"}),
	}
	m.logSuppressed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "falco_responder", Name: "log_lines_suppressed_total",
		Help: "Reject and skip log lines left out by the log rate limit, by reason (the counters above still count them).",
	}, []string{"reason"})
	m.connsRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "falco_responder", Name: "connections_refused_total",
		Help: "Connections closed by the listener limits: per_source (over connections.perSource), displaced (the oldest idle one at connections.max), full (at connections.max with none idle).",
	}, []string{"reason"})
	m.conns = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "falco_responder", Name: "connections_open", Help: "Open connections.",
	})
	m.pending = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "falco_responder", Name: "actions_pending", Help: "Actions waiting for a token or running.",
	})
	m.kevents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "falco_responder", Name: "kubernetes_events_total",
		Help: "Kubernetes Events about actions, by result (recorded, failed, dropped when the queue was full).",
	}, []string{"result"})
	reg.MustRegister(m.received, m.actions, m.rejects, m.skips, m.latency, m.logSuppressed, m.connsRefused, m.conns, m.pending, m.kevents)
	return m
}

// sourceLabel bounds the source label to known values: the field is
// sender-controlled and every distinct label value is a new series.
func sourceLabel(s string) string {
	switch s {
	case SourceSyscall, SourceK8sAudit:
		return s
	}
	return "other"
}
