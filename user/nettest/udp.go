package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// The lab's ports: QEMU forwards the host's FWDPORT1 and FWDPORT2 to the
// guest's 2000 and 2001; each ping test sends from ports of its own.
const (
	rxPort  = 2000
	rx2Port = 2001
)

// bind opens a UDP socket on port (the lab's bind()).
func (c *config) bind(port int) (*net.UDPConn, error) {
	return net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port))))
}

func (c *config) peer() *net.UDPAddr {
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.server, uint16(c.port)))
}

// recv reads one datagram, waiting at most c.wait (the lab's recv blocks
// for ever; a test here fails instead of hanging).
func (c *config) recv(u *net.UDPConn, buf []byte) (int, netip.AddrPort, error) {
	u.SetReadDeadline(time.Now().Add(c.wait))
	n, from, err := u.ReadFromUDPAddrPort(buf)
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), err
}

func (c *config) txone() bool {
	fmt.Println("txone: sending one packet")
	u, err := c.bind(2003)
	if err != nil {
		fmt.Printf("txone: bind: %v\n", err)
		return false
	}
	defer u.Close()
	if _, err := u.WriteToUDP([]byte("txone"), c.peer()); err != nil {
		fmt.Printf("txone: send() failed: %v\n", err)
		return false
	}
	return true
}

// rxone receives the one datagram the peer sends to FWDPORT2 when it sees
// txone's. In grade, the socket is bound before txone is sent, so the
// datagram waits in its queue.
func (c *config) rxone() bool {
	u, err := c.bind(rx2Port)
	if err != nil {
		fmt.Printf("rxone: bind: %v\n", err)
		return false
	}
	defer u.Close()
	return c.rxoneOn(u)
}

func (c *config) rxoneOn(u *net.UDPConn) bool {
	buf := make([]byte, 128)
	n, from, err := c.recv(u, buf)
	if err != nil {
		fmt.Printf("rxone: recv() failed: %v\n", err)
		return false
	}
	fmt.Printf("rxone: received one packet from %s\n", from)
	if from.Addr() != c.server {
		fmt.Printf("rxone: wrong ip src %s, expecting %s\n", from.Addr(), c.server)
		return false
	}
	if string(buf[:n]) != "rxone" {
		fmt.Printf("rxone: wrong content %q\n", buf[:n])
		return false
	}
	fmt.Println("rxone: OK")
	return true
}

// rx expects four consecutive "packet N" datagrams on port 2000 (the
// peer's rx or rxburst mode).
func (c *config) rx(name string) bool {
	u, err := c.bind(rxPort)
	if err != nil {
		fmt.Printf("nettest %s: bind: %v\n", name, err)
		return false
	}
	defer u.Close()
	last := -1
	buf := make([]byte, 128)
	for ok := 0; ok < 4; ok++ {
		n, from, err := c.recv(u, buf)
		if err != nil {
			fmt.Printf("nettest %s: recv() failed: %v\n", name, err)
			return false
		}
		if from.Addr() != c.server {
			fmt.Printf("wrong ip src %s\n", from.Addr())
			return false
		}
		p := buf[:n]
		if !bytes.HasPrefix(p, []byte("packet ")) {
			fmt.Println("packet doesn't start with packet")
			return false
		}
		seq, err := strconv.Atoi(string(p[7:]))
		if err != nil || len(p) > len("packet xxxxxx") {
			fmt.Println("packet doesn't contain a number")
			return false
		}
		if last != -1 && seq != last+1 {
			fmt.Printf("got seq %d, expecting %d\n", seq, last+1)
			return false
		}
		last = seq
	}
	fmt.Printf("%s: OK\n", name)
	return true
}

// rx2 expects "one N" on 2000 and "two N" on 2001, kept apart.
func (c *config) rx2() bool {
	u0, err := c.bind(rxPort)
	if err != nil {
		fmt.Printf("nettest rx2: bind: %v\n", err)
		return false
	}
	defer u0.Close()
	u1, err := c.bind(rx2Port)
	if err != nil {
		fmt.Printf("nettest rx2: bind: %v\n", err)
		return false
	}
	defer u1.Close()
	buf := make([]byte, 128)
	for _, step := range []struct {
		u      *net.UDPConn
		prefix string
	}{{u0, "one "}, {u1, "two "}, {u0, "one "}} {
		for i := 0; i < 3; i++ {
			n, from, err := c.recv(step.u, buf)
			if err != nil {
				fmt.Printf("nettest rx2: recv() failed: %v\n", err)
				return false
			}
			if from.Addr() != c.server {
				fmt.Printf("wrong ip src %s\n", from.Addr())
				return false
			}
			if !bytes.HasPrefix(buf[:n], []byte(step.prefix)) {
				fmt.Printf("packet doesn't start with %s\n", step.prefix[:3])
				return false
			}
		}
	}
	fmt.Println("rx2: OK")
	return true
}

// tx sends "t 0" ... "t 4" from port 2000 (the peer's tx mode checks the
// first two).
func (c *config) tx() bool {
	u, err := c.bind(rxPort)
	if err != nil {
		fmt.Printf("tx: bind: %v\n", err)
		return false
	}
	defer u.Close()
	for i := 0; i < 5; i++ {
		if _, err := u.WriteToUDP([]byte{'t', ' ', byte('0' + i)}, c.peer()); err != nil {
			fmt.Printf("send() failed: %v\n", err)
			return false
		}
		time.Sleep(time.Second)
	}
	return true
}

// check reads one reply on u and compares it with want, the lab's
// checks in the lab's words.
func (c *config) check(name string, u *net.UDPConn, want []byte) bool {
	buf := make([]byte, 128)
	n, from, err := c.recv(u, buf)
	if err != nil {
		fmt.Printf("%s: recv() failed: %v\n", name, err)
		return false
	}
	if from.Addr() != c.server {
		fmt.Printf("%s: wrong ip src %s, expecting %s\n", name, from.Addr(), c.server)
		return false
	}
	if int(from.Port()) != c.port {
		fmt.Printf("%s: wrong sport %d, expecting %d\n", name, from.Port(), c.port)
		return false
	}
	if n != len(want) {
		fmt.Printf("%s: wrong length %d, expecting %d\n", name, n, len(want))
		return false
	}
	if !bytes.Equal(buf[:n], want) {
		fmt.Printf("%s: wrong content\n", name)
		return false
	}
	return true
}

// ping0 sends one datagram to the peer's echo and expects it back.
func (c *config) ping0() bool {
	fmt.Println("ping0: starting")
	u, err := c.bind(2004)
	if err != nil {
		fmt.Printf("ping0: bind: %v\n", err)
		return false
	}
	defer u.Close()
	if _, err := u.WriteToUDP([]byte("ping0"), c.peer()); err != nil {
		fmt.Printf("ping0: send() failed: %v\n", err)
		return false
	}
	if !c.check("ping0", u, []byte("ping0")) {
		return false
	}
	fmt.Println("ping0: OK")
	return true
}

// ping1 does twenty round trips, one at a time.
func (c *config) ping1() bool {
	fmt.Println("ping1: starting")
	u, err := c.bind(2005)
	if err != nil {
		fmt.Printf("ping1: bind: %v\n", err)
		return false
	}
	defer u.Close()
	for i := 0; i < 20; i++ {
		msg := []byte{'p', ' ', byte('0' + i)}
		if _, err := u.WriteToUDP(msg, c.peer()); err != nil {
			fmt.Printf("ping1: send() failed: %v\n", err)
			return false
		}
		if !c.check("ping1", u, msg) {
			return false
		}
	}
	fmt.Println("ping1: OK")
	return true
}

// ping2 sends five from each of two ports, then expects each port's
// replies, in order, on that port.
func (c *config) ping2() bool {
	fmt.Println("ping2: starting")
	var us [2]*net.UDPConn
	for i := range us {
		u, err := c.bind(2006 + i)
		if err != nil {
			fmt.Printf("ping2: bind: %v\n", err)
			return false
		}
		defer u.Close()
		us[i] = u
	}
	msg := func(port, i int) []byte { return []byte{'p', ' ', byte("aA"[port]) + byte(i), '!'} }
	for i := 0; i < 5; i++ {
		for p, u := range us {
			if _, err := u.WriteToUDP(msg(p, i), c.peer()); err != nil {
				fmt.Printf("ping2: send() failed: %v\n", err)
				return false
			}
		}
	}
	for p, u := range us {
		for i := 0; i < 5; i++ {
			if !c.check("ping2", u, msg(p, i)) {
				return false
			}
		}
	}
	fmt.Println("ping2: OK")
	return true
}

// maxQueued is the lab's bound on datagrams waiting on one port.
const maxQueued = 16

// ping3 floods the peer from ports 2008 and 2010 so that their replies
// overflow 2008's queue, between two datagrams from 2009: both of 2009's
// replies must arrive (a full queue on one port costs no other port
// anything), and 2008 may hold at most 16.
func (c *config) ping3() bool {
	fmt.Println("ping3: starting")
	socks := map[int]*net.UDPConn{}
	for _, p := range []int{2008, 2009, 2010} {
		u, err := c.bind(p)
		if err != nil {
			fmt.Printf("ping3: bind: %v\n", err)
			return false
		}
		defer u.Close()
		if c.rcvbuf > 0 {
			u.SetReadBuffer(c.rcvbuf)
		}
		socks[p] = u
	}
	send := func(port int, msg []byte) bool {
		if _, err := socks[port].WriteToUDP(msg, c.peer()); err != nil {
			fmt.Printf("ping3: send() failed: %v\n", err)
			return false
		}
		return true
	}
	if !send(2009, []byte("p A!")) {
		return false
	}
	time.Sleep(100 * time.Millisecond)
	for i := 0; i < 257; i++ {
		if !send(2008+(i%2)*2, []byte{'p', ' ', byte('a' + i), '!'}) {
			return false
		}
	}
	time.Sleep(100 * time.Millisecond)
	if !send(2009, []byte("p B!")) {
		return false
	}
	for _, want := range []string{"p A!", "p B!"} {
		if !c.check("ping3", socks[2009], []byte(want)) {
			return false
		}
	}
	// The flood's replies have had the time 2009's second reply took to
	// come back after them; give stragglers half a second more, then
	// count what 2008 holds.
	time.Sleep(500 * time.Millisecond)
	n, err := drain(socks[2008], 200*time.Millisecond)
	if err != nil {
		fmt.Printf("ping3: recv failed: %v\n", err)
		return false
	}
	if n > maxQueued {
		fmt.Printf("ping3: too many packets (%d) were queued on a UDP port\n", n)
		return false
	}
	fmt.Println("ping3: OK")
	return true
}

// drain counts the datagrams waiting on u: it reads until nothing more
// comes within quiet (bounded by the 257 the flood could have sent).
func drain(u *net.UDPConn, quiet time.Duration) (int, error) {
	buf := make([]byte, 128)
	n := 0
	for ; n <= 257; n++ {
		u.SetReadDeadline(time.Now().Add(quiet))
		if _, _, err := u.ReadFromUDP(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return n, nil
			}
			return n, err
		}
	}
	return n, nil
}
