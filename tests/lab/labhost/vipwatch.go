package labhost

import (
	"bufio"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

// VIPWatch records every add and delete of one address on every host, as
// the kernel reports them (netlink, `ip -ts -o monitor address` in each
// host's network namespace), so two holders at any moment are seen, not
// sampled. Each event carries the time its monitor received it (ip's own
// timestamp, microseconds, taken right after the netlink read; every
// namespace shares this machine's clock), not the time the test read it.
type VIPWatch struct {
	vip    string
	mu     sync.Mutex
	events []VIPEvent
	cmds   []*exec.Cmd
	wg     sync.WaitGroup
}

// VIPEvent is one address change.
type VIPEvent struct {
	At   time.Time
	Host string
	Add  bool
}

// WatchVIP starts one monitor per host; Stop ends them.
func (l *Lab) WatchVIP(vip string) (*VIPWatch, error) {
	if err := l.checkAddr(vip); err != nil {
		return nil, err
	}
	w := &VIPWatch{vip: vip}
	for _, h := range l.Hosts {
		cmd := exec.Command("ip", "-n", h.Netns, "-ts", "-o", "monitor", "address")
		out, err := cmd.StdoutPipe()
		if err != nil {
			w.Stop()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			w.Stop()
			return nil, fmt.Errorf("%s: ip monitor: %w", h.Name, err)
		}
		w.cmds = append(w.cmds, cmd)
		w.wg.Add(1)
		go func(name string) {
			defer w.wg.Done()
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				at, line := splitTimestamp(sc.Text())
				if add, ok := parseAddrEvent(line, vip); ok {
					w.mu.Lock()
					w.events = append(w.events, VIPEvent{At: at, Host: name, Add: add})
					w.mu.Unlock()
				}
			}
		}(h.Name)
	}
	return w, nil
}

// splitTimestamp takes the "[2006-01-02T15:04:05.000000]" prefix that
// `ip -ts` puts on each event (local time); without one the event is
// stamped now.
func splitTimestamp(line string) (time.Time, string) {
	if rest, ok := strings.CutPrefix(line, "["); ok {
		if ts, after, ok := strings.Cut(rest, "]"); ok {
			if at, err := time.ParseInLocation("2006-01-02T15:04:05.000000", ts, time.Local); err == nil {
				return at, strings.TrimSpace(after)
			}
		}
	}
	return time.Now(), line
}

// parseAddrEvent reads one `ip -o monitor address` line: "N: eth0 inet
// A/P ..." for an add, the same after "Deleted " for a delete.
func parseAddrEvent(line, vip string) (add, ok bool) {
	f := strings.Fields(line)
	add = true
	if len(f) > 0 && f[0] == "Deleted" {
		add, f = false, f[1:]
	}
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "inet" && strings.SplitN(f[i+1], "/", 2)[0] == vip {
			return add, true
		}
	}
	return false, false
}

// Events returns the events so far, in time order.
func (w *VIPWatch) Events() []VIPEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	ev := append([]VIPEvent(nil), w.events...)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	return ev
}

// Stop ends the monitors and returns the events in time order.
func (w *VIPWatch) Stop() []VIPEvent {
	for _, c := range w.cmds {
		if c.Process != nil {
			_ = c.Process.Kill()
		}
	}
	w.wg.Wait()
	for _, c := range w.cmds {
		_ = c.Wait()
	}
	w.cmds = nil
	return w.Events()
}

// VIPOverlap replays events: it returns every moment two or more hosts
// held the address, the number of handovers (a delete on one host followed
// by an add on another), and the shortest gap between a holder's delete and
// the next add elsewhere.
func VIPOverlap(events []VIPEvent) (overlaps []string, handovers int, minGap time.Duration) {
	held := map[string]bool{}
	var lastDel time.Time
	var lastDelHost string
	var overlapStart time.Time
	var overlapWhat string
	minGap = -1
	for _, e := range events {
		if !e.Add {
			delete(held, e.Host)
			lastDel, lastDelHost = e.At, e.Host
			if !overlapStart.IsZero() && len(held) <= 1 {
				overlaps = append(overlaps, fmt.Sprintf("%s for %s", overlapWhat, e.At.Sub(overlapStart)))
				overlapStart = time.Time{}
			}
			continue
		}
		if len(held) > 0 && !held[e.Host] && overlapStart.IsZero() {
			var others []string
			for h := range held {
				others = append(others, h)
			}
			sort.Strings(others)
			overlapStart = e.At
			overlapWhat = fmt.Sprintf("%s: %s added the VIP while %v held it", e.At.Format("15:04:05.000000"), e.Host, others)
		}
		if !lastDel.IsZero() && lastDelHost != e.Host && len(held) == 0 {
			handovers++
			if gap := e.At.Sub(lastDel); minGap < 0 || gap < minGap {
				minGap = gap
			}
		}
		held[e.Host] = true
	}
	if !overlapStart.IsZero() {
		overlaps = append(overlaps, overlapWhat+" until the end of the watch")
	}
	return overlaps, handovers, minGap
}
