package labhost

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ProtoResult is what a probe with a bare IP protocol (VRRP is 112)
// observed, read from the ICMP error the host sends back.
type ProtoResult struct {
	// Unreachable: ICMP protocol unreachable, so the packet passed the
	// firewall and reached a kernel with no socket for the protocol.
	Unreachable bool
	// Prohibited: ICMP communication/host administratively prohibited
	// (firewalld's reject).
	Prohibited bool
	// Silent: nothing came back before the timeout.
	Silent bool
}

// icmpMu serialises protocol probes: each reads every ICMP error that
// arrives in the root namespace.
var icmpMu sync.Mutex

// ProbeProtocol sends one IP packet of protocol proto with payload to addr
// from the root namespace and classifies the ICMP answer. The host's ICMP
// rate limit applies (net.ipv4.icmp_ratelimit in its namespace).
func (l *Lab) ProbeProtocol(addr string, proto int, payload []byte, timeout time.Duration) (ProtoResult, error) {
	if err := l.checkAddr(addr); err != nil {
		return ProtoResult{}, err
	}
	dst := net.ParseIP(addr).To4()
	icmpMu.Lock()
	defer icmpMu.Unlock()
	in, err := net.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return ProtoResult{}, err
	}
	defer in.Close()
	out, err := net.Dial(fmt.Sprintf("ip4:%d", proto), addr)
	if err != nil {
		return ProtoResult{}, err
	}
	defer out.Close()
	if _, err := out.Write(payload); err != nil {
		return ProtoResult{}, err
	}
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 1500)
	for {
		if err := in.SetReadDeadline(deadline); err != nil {
			return ProtoResult{}, err
		}
		n, from, err := in.ReadFrom(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return ProtoResult{Silent: true}, nil
		}
		if err != nil {
			return ProtoResult{}, err
		}
		// Destination unreachable quoting our packet: type 3, then 4
		// unused bytes, then the original IPv4 header.
		m := buf[:n]
		if len(m) < 8+20 || m[0] != 3 || from.String() != addr {
			continue
		}
		inner := m[8:]
		if int(inner[9]) != proto || !net.IP(inner[16:20]).Equal(dst) {
			continue
		}
		switch m[1] {
		case 2:
			return ProtoResult{Unreachable: true}, nil
		case 9, 10, 13:
			return ProtoResult{Prohibited: true}, nil
		default:
			return ProtoResult{}, fmt.Errorf("%s: ICMP destination unreachable code %d", addr, m[1])
		}
	}
}
