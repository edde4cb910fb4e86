package responder

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestDedup_TTL(t *testing.T) {
	clk := newClock()
	d := newDedup(30*time.Second, 100, clk.now)
	if !d.claim("shop/php") {
		t.Fatal("first claim refused")
	}
	if d.claim("shop/php") {
		t.Fatal("duplicate claimed")
	}
	if !d.claim("shop/nginx") {
		t.Fatal("another pod refused")
	}
	clk.advance(29 * time.Second)
	if d.claim("shop/php") {
		t.Fatal("claimed before the TTL")
	}
	clk.advance(time.Second)
	if !d.claim("shop/php") {
		t.Fatal("not claimable after the TTL")
	}
}

func TestDedup_ReleaseAllowsRetry(t *testing.T) {
	d := newDedup(time.Minute, 100, newClock().now)
	d.claim("a/b")
	d.release("a/b")
	if !d.claim("a/b") {
		t.Fatal("released key not claimable")
	}
}

func TestDedup_BoundedEvictsOldest(t *testing.T) {
	d := newDedup(time.Hour, 3, newClock().now)
	for i := range 5 {
		d.claim(fmt.Sprintf("ns/p%d", i))
	}
	if d.len() != 3 {
		t.Fatalf("len %d, want 3", d.len())
	}
	if !d.claim("ns/p0") {
		t.Fatal("the oldest entry should have been evicted")
	}
	if d.claim("ns/p4") {
		t.Fatal("the newest entry must survive")
	}
}

func TestDedup_ConcurrentClaimsOneWinner(t *testing.T) {
	d := newDedup(time.Minute, 100, time.Now)
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d.claim("shop/php") {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d winners", won.Load())
	}
}
