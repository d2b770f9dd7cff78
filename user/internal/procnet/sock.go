package procnet

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h).
var tcpStates = [...]string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1",
	5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT",
	9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV",
}

// StateListen is the st field of a listening TCP socket.
const StateListen = 10

// StateName is the netstat name of a TCP state number.
func StateName(st int) string {
	if st > 0 && st < len(tcpStates) && tcpStates[st] != "" {
		return tcpStates[st]
	}
	return "UNKNOWN(" + strconv.Itoa(st) + ")"
}

// Socket is one line of /proc/net/tcp or /proc/net/udp.
type Socket struct {
	Local, Remote netip.AddrPort
	State         int // TCP state; UDP uses 7 (CLOSE) unbound, 1 connected
	TxQueue       uint64
	RxQueue       uint64
	UID           int
	Inode         uint64
}

// ParseSockets reads /proc/net/tcp or /proc/net/udp: a header line, then
// "sl: LOCAL REMOTE st tx:rx tr:when retrnsmt uid timeout inode ...", the
// addresses as hex of the address's bytes in host (little-endian) order.
func ParseSockets(r io.Reader) ([]Socket, error) {
	var out []Socket
	sc := bufio.NewScanner(r)
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("procnet: short socket line %q", sc.Text())
		}
		var s Socket
		var err error
		if s.Local, err = parseHexAddr(f[1]); err != nil {
			return nil, err
		}
		if s.Remote, err = parseHexAddr(f[2]); err != nil {
			return nil, err
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("procnet: bad socket state %q", f[3])
		}
		s.State = int(st)
		tx, rx, ok := strings.Cut(f[4], ":")
		if !ok {
			return nil, fmt.Errorf("procnet: bad queue field %q", f[4])
		}
		if s.TxQueue, err = strconv.ParseUint(tx, 16, 64); err != nil {
			return nil, fmt.Errorf("procnet: bad tx queue %q", tx)
		}
		if s.RxQueue, err = strconv.ParseUint(rx, 16, 64); err != nil {
			return nil, fmt.Errorf("procnet: bad rx queue %q", rx)
		}
		if s.UID, err = strconv.Atoi(f[7]); err != nil {
			return nil, fmt.Errorf("procnet: bad uid %q", f[7])
		}
		if s.Inode, err = strconv.ParseUint(f[9], 10, 64); err != nil {
			return nil, fmt.Errorf("procnet: bad inode %q", f[9])
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// parseHexAddr reads "0100007F:0050": the IPv4 address as a little-endian
// 32-bit hex number (as the kernel's %08X of the network-order word on
// x86), the port as big-endian hex.
func parseHexAddr(s string) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok || len(a) != 8 {
		return netip.AddrPort{}, fmt.Errorf("procnet: bad address %q (IPv4 only)", s)
	}
	ip, err := hexAddr(a)
	if err != nil {
		return netip.AddrPort{}, err
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("procnet: bad port in %q", s)
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}
