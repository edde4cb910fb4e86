package responder

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"
	"k8s.io/client-go/kubernetes"
)

// MinSecretLen is the shortest accepted shared secret (bytes).
const MinSecretLen = 16

// WebhookPath is where falcosidekick's webhook output posts events.
const WebhookPath = "/falco"

// Options are everything a Server needs; nothing is read from globals.
type Options struct {
	Config *Config
	Client kubernetes.Interface
	// Secret is the shared bearer token falcosidekick sends in
	// "Authorization: Bearer <secret>".
	Secret []byte
	Logger *slog.Logger
	// Registry receives the metrics; a new one is made when nil.
	Registry *prometheus.Registry
	// Instance names this responder in Kubernetes Events (the host name).
	Instance string
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Server is the responder: the webhook handler plus its state (dedup cache,
// action bucket and queue, Event recorder, metrics).
type Server struct {
	cfg      *Config
	log      *slog.Logger
	secret   [32]byte
	guard    *guard
	matcher  *matcher
	dedup    *dedup
	actions  *rate.Limiter
	pending  atomic.Int64
	logs     *logThrottle
	events   *recorder
	metrics  *metrics
	registry *prometheus.Registry
	now      func() time.Time
}

// New builds a Server. It fails on a missing client, a short secret or a
// configuration whose actions cannot be built.
func New(o Options) (*Server, error) {
	if o.Config == nil {
		return nil, errors.New("responder: no configuration")
	}
	if o.Client == nil {
		return nil, errors.New("responder: no Kubernetes client")
	}
	if len(o.Secret) < MinSecretLen {
		return nil, fmt.Errorf("responder: shared secret is %d bytes, need at least %d", len(o.Secret), MinSecretLen)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{
		cfg:      o.Config,
		log:      o.Logger,
		secret:   digest(o.Secret),
		guard:    newGuard(o.Config),
		actions:  rate.NewLimiter(rate.Limit(o.Config.RateLimit.ActionsPerSecond), o.Config.RateLimit.Burst),
		metrics:  newMetrics(o.Registry),
		registry: o.Registry,
		now:      o.Now,
	}
	s.logs = newLogThrottle(func(reason string) { s.metrics.logSuppressed.WithLabelValues(reason).Inc() })
	s.dedup = newDedup(o.Config.DedupTTL.Duration, o.Config.DedupMaxEntries, o.Now)
	deps := ActionDeps{
		Client:      o.Client,
		Logger:      o.Logger,
		Allowed:     s.guard.podLabels,
		ReadsLabels: len(o.Config.Allow.PodLabels) > 0,
		ClockSkew:   o.Config.ClockSkew.Duration,
		Instance:    o.Instance,
		Now:         o.Now,
	}
	eventLog := newLogThrottle(func(string) {})
	s.events = newRecorder(deps, func() {
		s.metrics.kevents.WithLabelValues("dropped").Inc()
	}, func(err error) {
		s.metrics.kevents.WithLabelValues("failed").Inc()
		if ok, left := eventLog.allow("event"); ok {
			s.log.Warn("kubernetes event not recorded", "error", err, "suppressed_before", left)
		}
	})
	deps.Record = s.events.record
	m, err := newMatcher(o.Config, deps)
	if err != nil {
		s.events.stop()
		return nil, err
	}
	s.matcher = m
	return s, nil
}

// Close waits for queued Kubernetes Events to be written. Call it after
// the HTTP server stopped; actions still running finish on their own.
func (s *Server) Close() { s.events.stop() }

// HTTPServer is the TLS server for Handler with the listener's deadlines:
// the handshake and the request headers within connections.
// handshakeTimeout (net/http bounds the TLS handshake by the smallest of
// ReadHeaderTimeout, ReadTimeout and WriteTimeout), the body within
// 10 s, and the answer within actionTimeout plus a margin.
func (s *Server) HTTPServer(tlsCfg *tls.Config, errorLog *slog.Logger) *http.Server {
	hs := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: s.cfg.Connections.HandshakeTimeout.Duration,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      s.cfg.ActionTimeout.Duration + 5*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ConnState:         connStateHook,
	}
	if hs.ReadTimeout < hs.ReadHeaderTimeout {
		hs.ReadTimeout = hs.ReadHeaderTimeout
	}
	// net/http logs every failed handshake: rate-limited like rejections,
	// or an idle-connection flood would flood the journal.
	hs.ErrorLog = log.New(throttledWriter{s: s, out: errorLog}, "", 0)
	return hs
}

// throttledWriter writes net/http's error lines at the reject log rate.
type throttledWriter struct {
	s   *Server
	out *slog.Logger
}

func (w throttledWriter) Write(p []byte) (int, error) {
	if ok, left := w.s.logs.allow("http_server"); ok && w.out != nil {
		w.out.Warn("http server", "error", clip(strings.TrimSpace(string(p)), 256), "suppressed_before", left)
	}
	return len(p), nil
}

// Listener wraps ln with the connection limits (see connLimiter).
func (s *Server) Listener(ln net.Listener) net.Listener {
	return newConnLimiter(ln, s.cfg.Connections.Max, s.cfg.Connections.PerSource, func(reason string) {
		s.metrics.connsRefused.WithLabelValues(reason).Inc()
	}, s.metrics.conns)
}

// Handler serves POST /falco (authenticated), GET /metrics and GET /healthz.
// Metrics are unauthenticated: they hold counts by rule and reason, no
// event content, and a scraper must not need the secret that can delete pods.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(WebhookPath, http.HandlerFunc(s.serveFalco))
	mux.Handle("/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// apiCallsPerAction is the most API requests one action causes (get pod
// when the event has no UID or labels matter, delete pod, create Event).
const apiCallsPerAction = 3

// ClientRateLimits are the client-go QPS and burst for the responder's
// Kubernetes client. The action bucket already bounds the load; a client
// limit below it would add a second, slower queue: at client-go's default
// 5 QPS a burst of deletes waits behind each other, which is time the
// attacker keeps.
func ClientRateLimits(c *Config) (qps float32, burst int) {
	return float32(c.RateLimit.ActionsPerSecond * apiCallsPerAction), c.RateLimit.Burst * apiCallsPerAction
}
