package labhost

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// VIPPollInterval is how often the VIP helpers look; it bounds the
// resolution of a measured failover time.
const VIPPollInterval = 50 * time.Millisecond

// VIPHolders returns the hosts that have vip on an interface right now,
// read from each host's network namespace by the kernel (not from
// keepalived's opinion, not over SSH, so polling is cheap and exact). More
// than one holder is a split brain.
func (l *Lab) VIPHolders(vip string) ([]string, error) {
	if err := l.checkAddr(vip); err != nil {
		return nil, err
	}
	var holders []string
	for _, h := range l.Hosts {
		out, err := exec.Command("ip", "-n", h.Netns, "-o", "-4", "addr", "show").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("%s: ip addr: %v: %s", h.Name, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) >= 4 && f[2] == "inet" && strings.SplitN(f[3], "/", 2)[0] == vip {
				holders = append(holders, h.Name)
				break
			}
		}
	}
	return holders, nil
}

// WaitVIPHolder polls every VIPPollInterval until exactly one host that is
// not in exclude holds vip, and returns it with the time that took. Use it
// right after stopping the holder to measure failover.
func (l *Lab) WaitVIPHolder(vip string, timeout time.Duration, exclude ...string) (holder string, took time.Duration, err error) {
	start := time.Now()
	var last []string
	for {
		hs, err := l.VIPHolders(vip)
		if err != nil {
			return "", time.Since(start), err
		}
		last = hs
		if len(hs) == 1 && !slices.Contains(exclude, hs[0]) {
			return hs[0], time.Since(start), nil
		}
		if time.Since(start) > timeout {
			return "", time.Since(start), fmt.Errorf("VIP %s: no single holder outside %v within %s (holders: %v)", vip, exclude, timeout, last)
		}
		time.Sleep(VIPPollInterval)
	}
}

// VIPStaysWith polls for d and fails as soon as vip is anywhere but on
// holder alone (moved, duplicated or gone): how a test proves that a
// recovered node does not take the VIP back.
func (l *Lab) VIPStaysWith(vip, holder string, d time.Duration) error {
	start := time.Now()
	for time.Since(start) < d {
		hs, err := l.VIPHolders(vip)
		if err != nil {
			return err
		}
		if len(hs) != 1 || hs[0] != holder {
			return fmt.Errorf("VIP %s left %s after %s: holders now %v", vip, holder, time.Since(start).Round(time.Millisecond), hs)
		}
		time.Sleep(VIPPollInterval)
	}
	return nil
}
