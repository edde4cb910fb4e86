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
// so concurrent events for one pod cannot both delete it; a failed action
// releases its claim so the next event retries.
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
}

func newDedup(ttl time.Duration, max int, now func() time.Time) *dedup {
	return &dedup{ttl: ttl, max: max, now: now, entries: map[string]*list.Element{}, order: list.New()}
}

// claim returns true when key was not seen within the TTL and is now held.
func (d *dedup) claim(key string) bool {
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
	if _, ok := d.entries[key]; ok {
		return false
	}
	for d.max > 0 && d.order.Len() >= d.max {
		oldest := d.order.Front()
		d.order.Remove(oldest)
		delete(d.entries, oldest.Value.(*dedupEntry).key)
	}
	d.entries[key] = d.order.PushBack(&dedupEntry{key: key, expires: now.Add(d.ttl)})
	return true
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
