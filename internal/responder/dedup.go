package responder

import (
	"container/list"
	"sync"
	"time"
)

// ReasonDuplicate marks an event about a pod already handled within the TTL.
const ReasonDuplicate = "duplicate"

// dedup collapses the burst of events one attack produces (Falco reports
// the shell, then every file it touches, then the audit log reports the
// exec) into one action per pod. A key is claimed before the action runs,
// so concurrent events for one pod cannot both delete it. The claim holds
// the action's outcome: a duplicate is answered with it (or "pending"), and
// a failed action leaves its claim open, so the next event about the pod
// acts again and reports the failure it follows.
//
// Every entry lives for the same TTL, so insertion order is expiry order:
// a list gives O(1) expiry and eviction of the oldest when the cache is
// full. A full cache never refuses work; it forgets the oldest pod, whose
// next event then costs one more API call at worst.
type dedup struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	now     func() time.Time
	entries map[string]*list.Element
	order   *list.List // of *dedupEntry, oldest first
}

type dedupEntry struct {
	key     string
	expires time.Time
	claim   *claim
}

// claim is one action's slot: done closes when out is set.
type claim struct {
	done chan struct{}
	out  Outcome
}

func newClaim() *claim { return &claim{done: make(chan struct{})} }

// finish publishes the outcome to every waiting or later duplicate.
func (c *claim) finish(out Outcome) {
	c.out = out
	close(c.done)
}

// result is the outcome, or false while the action runs.
func (c *claim) result() (Outcome, bool) {
	select {
	case <-c.done:
		return c.out, true
	default:
		return Outcome{}, false
	}
}

func newDedup(ttl time.Duration, max int, now func() time.Time) *dedup {
	return &dedup{ttl: ttl, max: max, now: now, entries: map[string]*list.Element{}, order: list.New()}
}

// claim returns true when key was not seen within the TTL and is now held.
func (d *dedup) claim(key string) bool {
	_, _, first := d.acquire(key)
	return first
}

// acquire claims key for a new action (first true, with the failed
// outcome it retries, if any) or returns the claim already held (first
// false).
func (d *dedup) acquire(key string) (c *claim, retried *Outcome, first bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for e := d.order.Front(); e != nil; e = d.order.Front() {
		ent := e.Value.(*dedupEntry)
		if now.Before(ent.expires) {
			break
		}
		d.order.Remove(e)
		delete(d.entries, ent.key)
	}
	if e, ok := d.entries[key]; ok {
		ent := e.Value.(*dedupEntry)
		out, done := ent.claim.result()
		if !done || out.Status != StatusFailed {
			return ent.claim, nil, false
		}
		d.order.Remove(e)
		delete(d.entries, key)
		retried = &out
	}
	for d.max > 0 && d.order.Len() >= d.max {
		oldest := d.order.Front()
		d.order.Remove(oldest)
		delete(d.entries, oldest.Value.(*dedupEntry).key)
	}
	c = newClaim()
	d.entries[key] = d.order.PushBack(&dedupEntry{key: key, expires: now.Add(d.ttl), claim: c})
	return c, retried, true
}

// release forgets key, so the next event about it acts again.
func (d *dedup) release(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.entries[key]; ok {
		d.order.Remove(e)
		delete(d.entries, key)
	}
}

func (d *dedup) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}
