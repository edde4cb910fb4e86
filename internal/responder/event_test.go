package responder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtures reads every testdata/events/*.json, keyed by its rule name.
func fixtures(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("testdata/events/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := DecodeEventBytes(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[ev.Rule] = b
	}
	return out
}

// hostOnlyRules are default rules whose upstream condition excludes
// containers; their fixture is a host event and names no pod.
var hostOnlyRules = map[string]bool{"User mgmt binaries": true}

func TestDecodeEvent_FixtureForEveryDefaultRule(t *testing.T) {
	fx := fixtures(t)
	for _, r := range DefaultConfig().Responses {
		for _, name := range r.Rules {
			t.Run(name, func(t *testing.T) {
				b, ok := fx[name]
				if !ok {
					t.Fatalf("no fixture in testdata/events for rule %q", name)
				}
				ev, err := DecodeEventBytes(b)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Priority == PriorityUnknown {
					t.Errorf("priority not parsed")
				}
				if ev.UUID == "" || ev.Hostname == "" || ev.Time.IsZero() || len(ev.Tags) == 0 || ev.Output == "" {
					t.Errorf("a falcosidekick field is missing: %+v", ev)
				}
				pod, err := ev.Pod()
				if hostOnlyRules[name] {
					if !errors.Is(err, ErrNoPod) {
						t.Fatalf("host event: want ErrNoPod, got %v %v", pod, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("pod: %v", err)
				}
				if pod.Namespace == "" || pod.Name == "" {
					t.Fatalf("pod ref %+v", pod)
				}
			})
		}
	}
}

func TestDecodeEvent_AuditShapes(t *testing.T) {
	fx := fixtures(t)
	for _, rule := range []string{"Attach/Exec Pod", "Create HostNetwork Pod"} {
		ev, err := DecodeEventBytes(fx[rule])
		if err != nil {
			t.Fatal(err)
		}
		if ev.Source != SourceK8sAudit {
			t.Errorf("%s: source %q", rule, ev.Source)
		}
		pod, err := ev.Pod()
		if err != nil || pod != (PodRef{"default", "hostname-sudo"}) {
			t.Errorf("%s: pod %v, %v", rule, pod, err)
		}
	}
}

func TestDecodeEvent_Malformed(t *testing.T) {
	cases := map[string]string{
		"empty":                ``,
		"not json":             `rule=Terminal shell in container`,
		"array":                `[{"rule":"Terminal shell in container"}]`,
		"string":               `"Terminal shell in container"`,
		"null":                 `null`,
		"truncated":            `{"rule":"Terminal shell in container","output_fields":{`,
		"no rule":              `{"priority":"Warning","output_fields":{}}`,
		"rule is a number":     `{"rule":42}`,
		"rule is an object":    `{"rule":{"name":"x"}}`,
		"blank rule":           `{"rule":"   "}`,
		"two events":           `{"rule":"a"}{"rule":"b"}`,
		"trailing garbage":     `{"rule":"a"} x`,
		"output_fields array":  `{"rule":"a","output_fields":["k8s.pod.name"]}`,
		"output_fields string": `{"rule":"a","output_fields":"k8s.pod.name=x"}`,
		"rule too long":        `{"rule":"` + strings.Repeat("x", maxRuleLen+1) + `"}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			ev, err := DecodeEventBytes([]byte(body))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("want ErrMalformed, got %+v, %v", ev, err)
			}
		})
	}
}

func TestDecodeEvent_NonStringFieldsAreAbsentNotFatal(t *testing.T) {
	body := `{"rule":"Terminal shell in container","priority":3,"time":12345,"uuid":["x"],
		"source":7,"hostname":{"a":1},"tags":["container",5,null,"shell"],
		"output_fields":{"k8s.ns.name":"shop","k8s.pod.name":12345,"proc.tty":34816,"evt.num":18446744073709551615}}`
	ev, err := DecodeEventBytes([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Priority != PriorityUnknown || !ev.Time.IsZero() || ev.UUID != "" || ev.Hostname != "" {
		t.Errorf("mistyped top-level fields should read as absent: %+v", ev)
	}
	if ev.Source != SourceSyscall {
		t.Errorf("source defaults to syscall, got %q", ev.Source)
	}
	if strings.Join(ev.Tags, ",") != "container,shell" {
		t.Errorf("tags %v", ev.Tags)
	}
	if got := ev.Fields["evt.num"]; got == nil || got.(interface{ String() string }).String() != "18446744073709551615" {
		t.Errorf("large numbers must survive decoding unrounded, got %v", got)
	}
	if _, err := ev.Pod(); !errors.Is(err, ErrNoPod) {
		t.Errorf("numeric pod name must not name a pod: %v", err)
	}
}

func TestPod(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		want   PodRef
		reason error
	}{
		{"syscall", `{"rule":"r","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"php-1"}}`, PodRef{"shop", "php-1"}, nil},
		{"k8smeta plugin", `{"rule":"r","output_fields":{"k8smeta.ns.name":"shop","k8smeta.pod.name":"php-1"}}`, PodRef{"shop", "php-1"}, nil},
		{"audit target name", `{"rule":"r","source":"k8s_audit","output_fields":{"ka.target.namespace":"shop","ka.target.name":"php-1","ka.target.resource":"pods"}}`, PodRef{"shop", "php-1"}, nil},
		{"audit response name", `{"rule":"r","source":"k8s_audit","output_fields":{"ka.target.namespace":"shop","ka.resp.name":"php-1"}}`, PodRef{"shop", "php-1"}, nil},
		{"audit without source field", `{"rule":"r","output_fields":{"ka.target.namespace":"shop","ka.target.name":"php-1","ka.target.resource":"pods"}}`, PodRef{"shop", "php-1"}, nil},
		{"audit on a deployment", `{"rule":"r","source":"k8s_audit","output_fields":{"ka.target.namespace":"shop","ka.target.name":"php","ka.target.resource":"deployments"}}`, PodRef{}, ErrNoPod},
		{"host process", `{"rule":"r","output_fields":{"container.id":"host","proc.name":"cat"}}`, PodRef{}, ErrNoPod},
		{"no output_fields", `{"rule":"r"}`, PodRef{}, ErrNoPod},
		{"missing pod name", `{"rule":"r","output_fields":{"k8s.ns.name":"shop"}}`, PodRef{}, ErrNoPod},
		{"missing namespace", `{"rule":"r","output_fields":{"k8s.pod.name":"php-1"}}`, PodRef{}, ErrNoPod},
		{"falco NA placeholders", `{"rule":"r","output_fields":{"k8s.ns.name":"<NA>","k8s.pod.name":"<NA>"}}`, PodRef{}, ErrNoPod},
		{"null values", `{"rule":"r","output_fields":{"k8s.ns.name":null,"k8s.pod.name":null}}`, PodRef{}, ErrNoPod},
		{"path in pod name", `{"rule":"r","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"../../nodes/x"}}`, PodRef{}, ErrMalformed},
		{"upper-case namespace", `{"rule":"r","output_fields":{"k8s.ns.name":"Shop","k8s.pod.name":"php-1"}}`, PodRef{}, ErrMalformed},
		{"oversized pod name", `{"rule":"r","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"` + strings.Repeat("a", 300) + `"}}`, PodRef{}, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := DecodeEventBytes([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ev.Pod()
			if c.reason != nil {
				if !errors.Is(err, c.reason) {
					t.Fatalf("want %v, got %v (%v)", c.reason, err, got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}
