package responder

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
// rate limiter, metrics).
type Server struct {
	cfg      *Config
	log      *slog.Logger
	secret   [32]byte
	guard    *guard
	matcher  *matcher
	dedup    *dedup
	limiter  *rate.Limiter
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
		limiter:  rate.NewLimiter(rate.Limit(o.Config.RateLimit.EventsPerSecond), o.Config.RateLimit.Burst),
		metrics:  newMetrics(o.Registry),
		registry: o.Registry,
		now:      o.Now,
	}
	s.dedup = newDedup(o.Config.DedupTTL.Duration, o.Config.DedupMaxEntries, o.Now)
	m, err := newMatcher(o.Config, ActionDeps{
		Client:   o.Client,
		Logger:   o.Logger,
		Allowed:  s.guard.podLabels,
		Instance: o.Instance,
		Now:      o.Now,
	})
	if err != nil {
		return nil, err
	}
	s.matcher = m
	return s, nil
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

// apiCallsPerEvent is the most API requests one event causes (get pod,
// delete pod, create Event).
const apiCallsPerEvent = 3

// ClientRateLimits are the client-go QPS and burst for the responder's
// Kubernetes client. The event token bucket already bounds the load; a
// client limit below it would add a second, slower queue: at client-go's
// default 5 QPS (or 50) a burst of deletes waits tens of milliseconds per
// call behind each other, which is time the attacker keeps.
func ClientRateLimits(c *Config) (qps float32, burst int) {
	return float32(c.RateLimit.EventsPerSecond * apiCallsPerEvent), c.RateLimit.Burst * apiCallsPerEvent
}
