package labhost

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// checkAddr enforces the lab's one network rule: the test process talks only
// to addresses inside the lab networks (hosts, VIPs, pools) or loopback.
func (l *Lab) checkAddr(addr string) error {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return fmt.Errorf("labhost: %q is not an IP address", addr)
	}
	if a.IsLoopback() {
		return nil
	}
	for _, n := range l.Networks {
		if n.Prefix.Contains(a) {
			return nil
		}
	}
	return fmt.Errorf("labhost: %s is outside the lab networks; refusing to contact it", addr)
}

// DialTCP opens and closes a TCP connection to addr:port from the root
// namespace and returns why it failed, if it did: "connection refused"
// means nothing listens, "no route to host" is firewalld's reject
// (ICMP admin-prohibited), a timeout means packets are dropped.
func (l *Lab) DialTCP(addr string, port int, timeout time.Duration) error {
	if err := l.checkAddr(addr); err != nil {
		return err
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(addr, strconv.Itoa(port)), timeout)
	if err != nil {
		return err
	}
	return c.Close()
}

// CanConnectTCP reports whether a TCP connection to addr:port succeeds.
func (l *Lab) CanConnectTCP(addr string, port int, timeout time.Duration) bool {
	return l.DialTCP(addr, port, timeout) == nil
}

// UDPResult is what a UDP probe observed. UDP has no handshake: an open port
// is only visible when the service replies.
type UDPResult struct {
	// Reply is the first datagram that came back, if any.
	Reply []byte
	// Refused: ICMP port unreachable (the port is open in the firewall but
	// nothing listens).
	Refused bool
	// Prohibited: ICMP host/admin prohibited (firewalld's reject).
	Prohibited bool
	// Silent: nothing came back before the timeout (dropped, or a service
	// that does not answer this payload).
	Silent bool
}

// ProbeUDP sends payload to addr:port from the root namespace and waits up
// to timeout for a reply or an ICMP error.
func (l *Lab) ProbeUDP(addr string, port int, payload []byte, timeout time.Duration) (UDPResult, error) {
	if err := l.checkAddr(addr); err != nil {
		return UDPResult{}, err
	}
	// A connected socket, so the kernel reports ICMP errors to us.
	c, err := net.Dial("udp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return UDPResult{}, err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return UDPResult{}, err
	}
	if _, err := c.Write(payload); err != nil {
		return classifyUDP(err)
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return classifyUDP(err)
	}
	return UDPResult{Reply: buf[:n]}, nil
}

func classifyUDP(err error) (UDPResult, error) {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return UDPResult{Refused: true}, nil
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EACCES):
		return UDPResult{Prohibited: true}, nil
	case errors.As(err, &ne) && ne.Timeout():
		return UDPResult{Silent: true}, nil
	}
	return UDPResult{}, err
}
