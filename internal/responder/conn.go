package responder

import (
	"container/list"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxConnectionsCap is the highest connections.max accepted; the unit's
// LimitNOFILE is derived from connections.max (components/responder).
const MaxConnectionsCap = 65536

// connLimiter bounds open connections in total and per source address, so
// idle or slow connections cannot exhaust file descriptors and lock out
// falcosidekick. Over perSource, a new connection is closed at once. At
// max, the new connection displaces the oldest one that is not serving a
// request (still in the TLS handshake, waiting for headers, or idle
// between requests): a flood of idle connections then only ever pushes out
// its own kind, while a connection that sends a request within the
// handshake deadline gets served. Only when every connection is serving a
// request is the new one refused.
type connLimiter struct {
	net.Listener
	max, perSource int
	refused        func(reason string)
	open           prometheus.Gauge

	mu       sync.Mutex
	conns    *list.List // of *limitedConn, oldest first
	bySource map[string]int
}

func newConnLimiter(ln net.Listener, max, perSource int, refused func(string), open prometheus.Gauge) *connLimiter {
	return &connLimiter{Listener: ln, max: max, perSource: perSource, refused: refused, open: open, conns: list.New(), bySource: map[string]int{}}
}

// Accept returns the next admitted connection; refused ones are closed
// here and never reach the HTTP server.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lc := l.admit(c); lc != nil {
			return lc, nil
		}
	}
}

func (l *connLimiter) admit(c net.Conn) *limitedConn {
	src := sourceOf(c.RemoteAddr())
	l.mu.Lock()
	if l.bySource[src] >= l.perSource {
		l.mu.Unlock()
		_ = c.Close()
		l.refused("per_source")
		return nil
	}
	var victim *limitedConn
	if l.conns.Len() >= l.max {
		for e := l.conns.Front(); e != nil; e = e.Next() {
			if lc := e.Value.(*limitedConn); !lc.busy.Load() {
				victim = lc
				break
			}
		}
		if victim == nil {
			l.mu.Unlock()
			_ = c.Close()
			l.refused("full")
			return nil
		}
		l.forgetLocked(victim)
	}
	lc := &limitedConn{Conn: c, l: l, src: src}
	lc.elem = l.conns.PushBack(lc)
	l.bySource[src]++
	l.open.Inc()
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Conn.Close() // its server goroutine sees the error and ends
		l.refused("displaced")
	}
	return lc
}

func (l *connLimiter) forgetLocked(lc *limitedConn) {
	if lc.elem == nil {
		return
	}
	l.conns.Remove(lc.elem)
	lc.elem = nil
	if l.bySource[lc.src]--; l.bySource[lc.src] <= 0 {
		delete(l.bySource, lc.src)
	}
	l.open.Dec()
}

// sourceOf is the IP of an address (the port varies per connection).
func sourceOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// limitedConn is an admitted connection; busy is true while it serves a
// request (http.Server's ConnState), which protects it from displacement.
type limitedConn struct {
	net.Conn
	l    *connLimiter
	src  string
	elem *list.Element // guarded by l.mu; nil once forgotten
	busy atomic.Bool
	once sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.forgetLocked(c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// connStateHook marks connections busy while they serve a request.
func connStateHook(c net.Conn, st http.ConnState) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if lc, ok := c.(*limitedConn); ok {
		lc.busy.Store(st == http.StateActive)
	}
}
