package host

import (
	"errors"
	"syscall"

	"scone/kernel/net/tcpip"
	"scone/kernel/net/udp"
	"scone/kernel/net/waiter"
)

// UDPConn is a UDP endpoint with a goroutine that hands every datagram it
// receives to a callback: the shape the DHCP client and the DNS resolver
// want (they send through Send and are handed replies), and a test's
// small server.
type UDPConn struct {
	ep      *udp.Endpoint
	deliver func(src tcpip.FullAddr, b []byte)
	entry   *waiter.Entry
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// ListenUDP binds a new endpoint of p to local (on nic, if nic >= 0) and
// starts delivering its datagrams to deliver, one at a time; the buffer is
// valid only during the call.
func ListenUDP(p *udp.Protocol, local tcpip.FullAddr, nic int, deliver func(tcpip.FullAddr, []byte)) (*UDPConn, error) {
	ep := p.NewEndpoint()
	if nic >= 0 {
		ep.BindToNIC(nic)
	}
	if err := ep.Bind(local); err != nil {
		ep.Close()
		return nil, err
	}
	entry, wake := waiter.NewChannelEntry(waiter.EventIn | waiter.EventErr)
	c := &UDPConn{ep: ep, deliver: deliver, entry: entry, wake: wake,
		stop: make(chan struct{}), done: make(chan struct{})}
	ep.Waiter.Register(entry)
	go c.receive()
	return c, nil
}

// receive drains the endpoint whenever it signals readiness.
func (c *UDPConn) receive() {
	defer close(c.done)
	buf := make([]byte, udp.MaxPayload)
	for {
		for {
			n, from, err := c.ep.RecvFrom(buf)
			if errors.Is(err, syscall.EAGAIN) {
				break
			}
			if errors.Is(err, syscall.EBADF) {
				return
			}
			if err != nil {
				continue // an ICMP error reported to the socket: nothing to deliver
			}
			c.deliver(from, buf[:n])
		}
		select {
		case <-c.wake:
		case <-c.stop:
			return
		}
	}
}

// SendTo sends one datagram to dst.
func (c *UDPConn) SendTo(dst tcpip.FullAddr, b []byte) error {
	_, err := c.ep.SendTo(b, &dst)
	return err
}

// Close stops the goroutine and releases the port.
func (c *UDPConn) Close() {
	close(c.stop)
	<-c.done
	c.ep.Waiter.Unregister(c.entry)
	c.ep.Close()
}

// dhcpConn adapts a UDPConn on port 68 to dhcp.Conn. The source address
// is the stack's choice: 0.0.0.0 before the interface has an address, the
// leased address after, which is what the client asks for.
type dhcpConn struct{ *UDPConn }

func (c dhcpConn) Send(_, dst tcpip.Addr, b []byte) error {
	return c.SendTo(tcpip.FullAddr{Addr: dst, Port: 67}, b)
}

// dnsConn adapts a UDPConn on an ephemeral port to dns.Conn.
type dnsConn struct{ *UDPConn }

func (c dnsConn) Send(dst tcpip.FullAddr, b []byte) error { return c.SendTo(dst, b) }
