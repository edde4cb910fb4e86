package responder

import (
	"sync"

	"golang.org/x/time/rate"
)

// Log rate per reason for rejects and skips: enough to see what is going
// on, far below journald's default rate limit (10,000 lines per 30 s), so
// a flood of 401s cannot push the audit trail of real actions out.
const (
	logLinesPerSecond = 5
	logBurst          = 20
)

// logThrottle decides, per reason, whether a line is written, and counts
// the lines left out since the last one written, which that line reports.
type logThrottle struct {
	mu         sync.Mutex
	limiters   map[string]*rate.Limiter
	suppressed map[string]int
	onSuppress func(reason string)
}

func newLogThrottle(onSuppress func(string)) *logThrottle {
	return &logThrottle{limiters: map[string]*rate.Limiter{}, suppressed: map[string]int{}, onSuppress: onSuppress}
}

// allow reports whether to log a line for reason and how many were left
// out before it. reason comes from a fixed set of constants, so the maps
// stay small.
func (l *logThrottle) allow(reason string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.limiters[reason]
	if !ok {
		lim = rate.NewLimiter(logLinesPerSecond, logBurst)
		l.limiters[reason] = lim
	}
	if !lim.Allow() {
		l.suppressed[reason]++
		l.onSuppress(reason)
		return false, 0
	}
	n := l.suppressed[reason]
	l.suppressed[reason] = 0
	return true, n
}
