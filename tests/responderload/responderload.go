// Package responderload is what the responder's load tests share: the
// falcosidekick payload they post, an open-loop sender at a fixed rate and
// the percentiles they report. Used by tests/realapi (the server code
// in-process) and tests/lab/responderlab (the deployed service).
package responderload

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

// Event is a falcosidekick payload as Falco emits it for a syscall rule on
// hostname, with Falco's k8s.pod.uid output field when uid is set.
func Event(rule, priority, ns, pod, uid, hostname string) []byte {
	fields := map[string]any{
		"k8s.ns.name": ns, "k8s.pod.name": pod, "container.id": "6c1b4f2d9e3a", "proc.cmdline": "sh -c id",
	}
	if uid != "" {
		fields["k8s.pod.uid"] = uid
	}
	b, _ := json.Marshal(map[string]any{
		"uuid": "00000000-0000-4000-8000-000000000001", "rule": rule, "priority": priority,
		"output":        fmt.Sprintf("10:15:42.000000000: %s %s (k8s.ns=%s k8s.pod=%s)", priority, rule, ns, pod),
		"time":          time.Now().UTC().Format(time.RFC3339Nano),
		"source":        "syscall",
		"hostname":      hostname,
		"tags":          []string{"container", "mitre_execution"},
		"output_fields": fields,
	})
	return b
}

// Offer calls do(i) for i in [0,n) at rate per second, each in its own
// goroutine (open loop: a slow answer does not slow the sender), and
// returns every call's duration; failed calls fail tb (the first five
// logged with their errors).
func Offer(tb testing.TB, rate, n int, do func(i int) error) []time.Duration {
	tb.Helper()
	lat := make([]time.Duration, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := range n {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			err := do(i)
			lat[i] = time.Since(start)
			if err != nil {
				errs <- fmt.Errorf("call %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed < 5 {
			tb.Error(err)
		}
		failed++
	}
	if failed > 0 {
		tb.Fatalf("%d of %d calls failed", failed, n)
	}
	return lat
}

// Percentile is the p-th percentile (nearest rank) of sorted durations.
func Percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	if i > 0 {
		i--
	}
	return sorted[i].Round(time.Microsecond)
}

// Quantiles are p50 and p99 of d (any order).
func Quantiles(d []time.Duration) (p50, p99 time.Duration) {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return Percentile(s, 50), Percentile(s, 99)
}

// Ms is d in milliseconds, for b.ReportMetric.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
