package responder

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// DefaultPort is the responder's HTTPS port: the one place it is declared
// (the component, the stack defaults and the command's -listen default
// read it).
const DefaultPort = 2801

//go:embed default.yaml
var defaultYAML []byte

// DefaultConfigYAML returns the embedded default configuration text, for
// components that write it next to the binary.
func DefaultConfigYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Config maps Falco rules to actions and bounds the service. It is data
// (YAML) so an operator can add a rule without rebuilding the responder.
type Config struct {
	// Responses are tried in order; the first whose rule list names the
	// event's rule decides. An empty list matches nothing.
	Responses []Response `json:"responses"`
	// Allow exempts workloads from every response.
	Allow Allow `json:"allow"`
	// OwnNamespace is where the responder's ServiceAccount lives; it is
	// protected like the system namespaces.
	OwnNamespace string `json:"ownNamespace"`
	// ProtectedNamespacesExtra are the namespaces the deploying program
	// creates for itself (a trailing "*" is a prefix). Like Kubernetes' own
	// namespaces they are never acted on and cannot be un-protected by
	// allow; components/responder fills them from the components.
	ProtectedNamespacesExtra []string `json:"protectedNamespaces"`
	// DedupTTL is how long an acted-on pod's later events count as
	// duplicates. Default 30s.
	DedupTTL Duration `json:"dedupTTL"`
	// DedupMaxEntries bounds the dedup cache; the oldest entry goes first.
	// Default 10000.
	DedupMaxEntries int `json:"dedupMaxEntries"`
	// RateLimit paces actions (the first event about a pod, after
	// matching, protection and dedup). Events over the rate wait in a
	// bounded queue; they are not refused.
	RateLimit RateLimit `json:"rateLimit"`
	// ClockSkew is how much later than the event's time a pod may have
	// been created and still be the pod the event is about, when the event
	// carries no pod UID. Default 2s.
	ClockSkew Duration `json:"clockSkew"`
	// Connections bounds the TLS listener.
	Connections Connections `json:"connections"`
	// MaxBodyBytes bounds a request body. Default 64 KiB.
	MaxBodyBytes int64 `json:"maxBodyBytes"`
	// ActionTimeout bounds one action. Default 10s.
	ActionTimeout Duration `json:"actionTimeout"`
}

// Response is one rule-list-to-action binding.
type Response struct {
	// Name labels logs; defaults to the action name.
	Name string `json:"name"`
	// Action is the action kind, e.g. "delete-pod" (see ActionKinds).
	Action string `json:"action"`
	// MinPriority is the lowest event priority acted on. Default debug:
	// any known priority. Events with no or an unknown priority never match.
	MinPriority Priority `json:"minPriority"`
	// GracePeriodSeconds for delete-pod. Default 0: the attacker's
	// processes get no time to finish.
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
	// Rules are exact Falco rule names (compared ignoring case and
	// repeated spaces).
	Rules []string `json:"rules"`
}

// Allow exempts namespaces and labelled pods. Empty lists exempt nothing.
type Allow struct {
	Namespaces []string `json:"namespaces"`
	// PodLabels are "key=value" or "key" (any value).
	PodLabels []string `json:"podLabels"`
}

// RateLimit is a token bucket over actions with a bounded wait queue.
type RateLimit struct {
	// ActionsPerSecond is the bucket's rate. Default 500.
	ActionsPerSecond float64 `json:"actionsPerSecond"`
	// Burst is the bucket's size. Default 500.
	Burst int `json:"burst"`
	// MaxPending bounds actions waiting for a token or an API call; beyond
	// it the answer is 503 and the pod's dedup claim is released, so the
	// next event about it acts. Default 2000.
	MaxPending int `json:"maxPending"`
}

// Connections bounds the listener against connection exhaustion.
type Connections struct {
	// Max is the most open connections. At the cap a new connection
	// displaces the oldest one that has not sent a request yet. Default
	// 1024; the unit's LimitNOFILE is derived from it.
	Max int `json:"max"`
	// PerSource is the most open connections from one IP address.
	// Default 128.
	PerSource int `json:"perSource"`
	// HandshakeTimeout bounds the TLS handshake and the request headers.
	// Default 3s.
	HandshakeTimeout Duration `json:"handshakeTimeout"`
}

// Duration reads "30s" in YAML/JSON.
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// DefaultConfig is the embedded configuration, parsed and validated.
func DefaultConfig() *Config {
	c, err := ParseConfig(defaultYAML)
	if err != nil {
		panic("embedded default.yaml is invalid: " + err.Error()) // build-time invariant, pinned by a test
	}
	return c
}

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses YAML strictly (an unknown key is an error, so a typo
// cannot silently disable a response), applies defaults and validates.
// All problems are reported at once, each with its key path.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	c.applyDefaults()
	if errs := c.Validate(); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return &c, nil
}

func (c *Config) applyDefaults() {
	if c.DedupTTL.Duration == 0 {
		c.DedupTTL.Duration = 30 * time.Second
	}
	if c.DedupMaxEntries == 0 {
		c.DedupMaxEntries = 10000
	}
	if c.RateLimit.ActionsPerSecond == 0 {
		c.RateLimit.ActionsPerSecond = 500
	}
	if c.RateLimit.Burst == 0 {
		c.RateLimit.Burst = 500
	}
	if c.RateLimit.MaxPending == 0 {
		c.RateLimit.MaxPending = 2000
	}
	if c.ClockSkew.Duration == 0 {
		c.ClockSkew.Duration = 2 * time.Second
	}
	if c.Connections.Max == 0 {
		c.Connections.Max = 1024
	}
	if c.Connections.PerSource == 0 {
		c.Connections.PerSource = 128
	}
	if c.Connections.HandshakeTimeout.Duration == 0 {
		c.Connections.HandshakeTimeout.Duration = 3 * time.Second
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.ActionTimeout.Duration == 0 {
		c.ActionTimeout.Duration = 10 * time.Second
	}
	for i := range c.Responses {
		r := &c.Responses[i]
		if r.Name == "" {
			r.Name = r.Action
		}
		if r.MinPriority == PriorityUnknown {
			r.MinPriority = PriorityDebug
		}
	}
}

// Validate checks everything a user can get wrong.
func (c *Config) Validate() field.ErrorList {
	var errs field.ErrorList
	seen := map[string]string{}
	for i, r := range c.Responses {
		p := field.NewPath("responses").Index(i)
		if _, ok := actionKinds[r.Action]; !ok {
			errs = append(errs, field.NotSupported(p.Child("action"), r.Action, ActionKinds()))
		}
		if r.GracePeriodSeconds != nil && *r.GracePeriodSeconds < 0 {
			errs = append(errs, field.Invalid(p.Child("gracePeriodSeconds"), *r.GracePeriodSeconds, "must be >= 0"))
		}
		if len(r.Rules) == 0 {
			errs = append(errs, field.Required(p.Child("rules"), "a response without rules never acts; remove it or list rules"))
		}
		for j, name := range r.Rules {
			key := normalizeRule(name)
			rp := p.Child("rules").Index(j)
			if key == "" {
				errs = append(errs, field.Required(rp, "empty rule name"))
				continue
			}
			if prev, dup := seen[key]; dup {
				errs = append(errs, field.Duplicate(rp, name+" (also in "+prev+")"))
				continue
			}
			seen[key] = rp.String()
		}
	}
	for i, ns := range c.Allow.Namespaces {
		if ms := validation.IsDNS1123Label(ns); len(ms) > 0 {
			errs = append(errs, field.Invalid(field.NewPath("allow", "namespaces").Index(i), ns, strings.Join(ms, "; ")))
		}
	}
	for i, l := range c.Allow.PodLabels {
		k, v, _ := strings.Cut(l, "=")
		lp := field.NewPath("allow", "podLabels").Index(i)
		if ms := validation.IsQualifiedName(k); len(ms) > 0 {
			errs = append(errs, field.Invalid(lp, l, "label key: "+strings.Join(ms, "; ")))
		}
		if ms := validation.IsValidLabelValue(v); len(ms) > 0 {
			errs = append(errs, field.Invalid(lp, l, "label value: "+strings.Join(ms, "; ")))
		}
	}
	if c.OwnNamespace != "" {
		if ms := validation.IsDNS1123Label(c.OwnNamespace); len(ms) > 0 {
			errs = append(errs, field.Invalid(field.NewPath("ownNamespace"), c.OwnNamespace, strings.Join(ms, "; ")))
		}
	}
	if c.DedupTTL.Duration < 0 {
		errs = append(errs, field.Invalid(field.NewPath("dedupTTL"), c.DedupTTL.String(), "must be positive"))
	}
	if c.DedupMaxEntries < 0 {
		errs = append(errs, field.Invalid(field.NewPath("dedupMaxEntries"), c.DedupMaxEntries, "must be positive"))
	}
	if c.RateLimit.ActionsPerSecond < 0 {
		errs = append(errs, field.Invalid(field.NewPath("rateLimit", "actionsPerSecond"), c.RateLimit.ActionsPerSecond, "must be positive"))
	}
	if c.RateLimit.Burst < 0 {
		errs = append(errs, field.Invalid(field.NewPath("rateLimit", "burst"), c.RateLimit.Burst, "must be positive"))
	}
	if c.RateLimit.MaxPending < 0 {
		errs = append(errs, field.Invalid(field.NewPath("rateLimit", "maxPending"), c.RateLimit.MaxPending, "must be positive"))
	}
	if c.ClockSkew.Duration < 0 {
		errs = append(errs, field.Invalid(field.NewPath("clockSkew"), c.ClockSkew.String(), "must be positive"))
	}
	if c.Connections.Max < 0 || c.Connections.Max > MaxConnectionsCap {
		errs = append(errs, field.Invalid(field.NewPath("connections", "max"), c.Connections.Max, fmt.Sprintf("must be 1..%d", MaxConnectionsCap)))
	}
	if c.Connections.PerSource < 0 || c.Connections.PerSource > c.Connections.Max {
		errs = append(errs, field.Invalid(field.NewPath("connections", "perSource"), c.Connections.PerSource, "must be 1..connections.max"))
	}
	if c.Connections.HandshakeTimeout.Duration < 0 {
		errs = append(errs, field.Invalid(field.NewPath("connections", "handshakeTimeout"), c.Connections.HandshakeTimeout.String(), "must be positive"))
	}
	for i, ns := range c.ProtectedNamespacesExtra {
		name, _ := strings.CutSuffix(ns, "*")
		if ms := validation.IsDNS1123Label(name); len(ms) > 0 {
			errs = append(errs, field.Invalid(field.NewPath("protectedNamespaces").Index(i), ns, "a namespace name, or a prefix ending in \"*\": "+strings.Join(ms, "; ")))
		}
	}
	if c.MaxBodyBytes < 0 || c.MaxBodyBytes > 16<<20 {
		errs = append(errs, field.Invalid(field.NewPath("maxBodyBytes"), c.MaxBodyBytes, "must be 1..16777216"))
	}
	if c.ActionTimeout.Duration < 0 {
		errs = append(errs, field.Invalid(field.NewPath("actionTimeout"), c.ActionTimeout.String(), "must be positive"))
	}
	return errs
}

// normalizeRule is the comparison key of a rule name: Falco matches names
// exactly, but rule files and configs drift in case and spacing
// ("Terminal shell in container" vs "Terminal Shell in Container"), and a
// missed match here means an attack goes unanswered.
func normalizeRule(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
