package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"scone/user/internal/procnet"
)

func init() {
	register("udpflood", testUDPFlood)
}

// Flood sizes: floodRounds rounds of floodBurst datagrams to the flooded
// port, each followed by one to the quiet port.
const (
	floodRounds = 4
	floodBurst  = 64
	udpQueueCap = 16 // Scone's bound on a UDP port's waiting datagrams
)

// testUDPFlood is the MIT lab's ping3 over loopback: a UDP port that
// nobody reads, flooded, keeps the first 16 datagrams and drops the
// rest, counting each drop in /proc/net/snmp's Udp RcvbufErrors; another
// port gets every datagram sent to it during the flood, in order; and
// the flooded port receives again once read. Linux bounds the queue by
// bytes (SO_RCVBUF) rather than datagrams, so on a Linux host the
// flooded socket's buffer is made as small as it goes and the test wants
// between 1 and 16 kept.
func testUDPFlood() error {
	flooded, fport, err := udpSocket()
	if err != nil {
		return err
	}
	defer unix.Close(flooded)
	quiet, qport, err := udpSocket()
	if err != nil {
		return err
	}
	defer unix.Close(quiet)
	src, _, err := udpSocket()
	if err != nil {
		return err
	}
	defer unix.Close(src)
	if onLinuxHost() {
		unix.SetsockoptInt(flooded, unix.SOL_SOCKET, unix.SO_RCVBUF, 1)
	}
	drops0, err := udpRcvbufErrors()
	if err != nil {
		return err
	}
	to := func(port int) unix.Sockaddr { return &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port} }
	buf := make([]byte, 64)
	for r := 0; r < floodRounds; r++ {
		for i := 0; i < floodBurst; i++ {
			if err := unix.Sendto(src, []byte(fmt.Sprintf("flood %d", r*floodBurst+i)), 0, to(fport)); err != nil {
				return fmt.Errorf("sending the flood: %v", err)
			}
		}
		want := fmt.Sprintf("quiet %d", r)
		if err := unix.Sendto(src, []byte(want), 0, to(qport)); err != nil {
			return err
		}
		if n, err := recvWithin(quiet, buf, 5000); err != nil || string(buf[:n]) != want {
			return fmt.Errorf("the quiet port during the flood: %q, %v; want %q", buf[:max(n, 0)], err, want)
		}
	}
	kept := 0
	for ; kept < floodRounds*floodBurst; kept++ {
		n, _, err := unix.Recvfrom(flooded, buf, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN {
			break
		}
		if want := fmt.Sprintf("flood %d", kept); err != nil || string(buf[:n]) != want {
			return fmt.Errorf("flooded port's datagram %d: %q, %v; want %q (the first ones kept, in order)", kept, buf[:max(n, 0)], err, want)
		}
	}
	drops1, err := udpRcvbufErrors()
	if err != nil {
		return err
	}
	sent := floodRounds * floodBurst
	fmt.Printf("flooded port kept %d of %d datagrams; RcvbufErrors rose by %d\n", kept, sent, drops1-drops0)
	switch {
	case onLinuxHost() && (kept < 1 || kept > udpQueueCap):
		return fmt.Errorf("kept %d datagrams with the smallest SO_RCVBUF, want 1-%d", kept, udpQueueCap)
	case !onLinuxHost() && kept != udpQueueCap:
		return fmt.Errorf("kept %d datagrams, want %d", kept, udpQueueCap)
	case onLinuxHost() && drops1-drops0 < int64(sent-kept):
		return fmt.Errorf("RcvbufErrors rose by %d for %d drops", drops1-drops0, sent-kept)
	case !onLinuxHost() && drops1-drops0 != int64(sent-kept):
		return fmt.Errorf("RcvbufErrors rose by %d for %d drops", drops1-drops0, sent-kept)
	}
	if err := unix.Sendto(src, []byte("after"), 0, to(fport)); err != nil {
		return err
	}
	if n, err := recvWithin(flooded, buf, 5000); err != nil || string(buf[:n]) != "after" {
		return fmt.Errorf("the flooded port once drained: %q, %v", buf[:max(n, 0)], err)
	}
	return nil
}

// recvWithin receives a datagram, waiting at most ms milliseconds.
func recvWithin(fd int, buf []byte, ms int) (int, error) {
	if ok, err := pollWithin(fd, unix.POLLIN, time.Duration(ms)*time.Millisecond); !ok {
		return -1, fmt.Errorf("nothing within %d ms (%v)", ms, err)
	}
	n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
	return n, err
}

// udpRcvbufErrors is /proc/net/snmp's Udp RcvbufErrors.
func udpRcvbufErrors() (int64, error) {
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	protos, err := procnet.ParseSNMP(f)
	if err != nil {
		return 0, err
	}
	for _, p := range protos {
		if v, ok := p.Get("RcvbufErrors"); ok && p.Name == "Udp" {
			return v, nil
		}
	}
	return 0, fmt.Errorf("/proc/net/snmp has no Udp RcvbufErrors")
}
