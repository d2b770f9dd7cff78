// Package nettest is the host's side of the MIT network lab's tests (the
// lab's nettest.py): it listens for the guest's UDP datagrams on the
// server port, reflects them, and sends datagrams to the host ports QEMU
// forwards to the guest's ports 2000 and 2001. The guest side is
// user/nettest; `make grade` runs both (tools/grade).
package nettest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

// Ports are the lab's: the server port the guest sends to, and the two
// host ports QEMU forwards to the guest's 2000 and 2001. Like the lab's,
// they depend on the user id so that users sharing a machine differ.
type Ports struct {
	Server, Fwd1, Fwd2 int
}

// DefaultPorts are the lab's ports for this user.
func DefaultPorts() Ports {
	u := os.Getuid() % 5000
	return Ports{Server: u + 25099, Fwd1: u + 25999, Fwd2: u + 30999}
}

// Peer is the host's socket on the server port.
type Peer struct {
	conn *net.UDPConn
	out  io.Writer // the lab's messages ("txone: OK")
	// FwdHost is where the forwarded ports are (127.0.0.1, where QEMU
	// listens).
	FwdHost string
	Ports   Ports
}

// Listen opens the server port on 127.0.0.1 (QEMU delivers the guest's
// datagrams to 10.0.2.2 there).
func Listen(ports Ports, out io.Writer) (*Peer, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ports.Server})
	if err != nil {
		return nil, fmt.Errorf("nettest: listening on the server port: %w", err)
	}
	return &Peer{conn: c, out: out, FwdHost: "127.0.0.1", Ports: ports}, nil
}

// Close closes the server port.
func (p *Peer) Close() error { return p.conn.Close() }

// Addr is the server port's address.
func (p *Peer) Addr() *net.UDPAddr { return p.conn.LocalAddr().(*net.UDPAddr) }

// recv reads one datagram, or fails when ctx ends.
func (p *Peer) recv(ctx context.Context, buf []byte) (int, *net.UDPAddr, error) {
	stop := context.AfterFunc(ctx, func() { p.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	n, from, err := p.conn.ReadFromUDP(buf)
	if err != nil && ctx.Err() != nil {
		return 0, nil, ctx.Err()
	}
	return n, from, err
}

// TxOne waits for the guest's "txone" datagram and says whether it came.
func (p *Peer) TxOne(ctx context.Context) error {
	buf := make([]byte, 4096)
	n, _, err := p.recv(ctx, buf)
	if err != nil {
		fmt.Fprintf(p.out, "txone: FAIL -- no packet: %v\n", err)
		return err
	}
	if string(buf[:n]) != "txone" {
		fmt.Fprintf(p.out, "txone: received incorrect payload %q\n", buf[:n])
		return fmt.Errorf("txone: incorrect payload")
	}
	fmt.Fprintln(p.out, "txone: OK")
	return nil
}

// Send sends one datagram to a forwarded port (the guest's 2000 for
// Fwd1, 2001 for Fwd2).
func (p *Peer) Send(fwdPort int, payload []byte) error {
	c, err := net.Dial("udp4", net.JoinHostPort(p.FwdHost, strconv.Itoa(fwdPort)))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write(payload)
	return err
}

// Echo reflects every datagram to its sender until ctx ends.
func (p *Peer) Echo(ctx context.Context) error {
	buf := make([]byte, 4096)
	for {
		n, from, err := p.recv(ctx, buf)
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			return err
		}
		if _, err := p.conn.WriteToUDP(buf[:n], from); err != nil {
			return err
		}
	}
}

// Grade is the lab's grade sequence: wait for txone, send rxone's
// datagram to the guest's 2001, then echo until ctx ends.
func (p *Peer) Grade(ctx context.Context) error {
	if err := p.TxOne(ctx); err != nil {
		return err
	}
	fmt.Fprintln(p.out, "rxone: sending one UDP packet")
	if err := p.Send(p.Ports.Fwd2, []byte("rxone")); err != nil {
		return err
	}
	return p.Echo(ctx)
}

// Tx waits for the guest's tx test's first two datagrams.
func (p *Peer) Tx(ctx context.Context) error {
	buf := make([]byte, 4096)
	var got []string
	for len(got) < 2 {
		n, _, err := p.recv(ctx, buf)
		if err != nil {
			return err
		}
		got = append(got, string(buf[:n]))
	}
	if got[0] == "t 0" && got[1] == "t 1" {
		fmt.Fprintln(p.out, "tx: OK")
		return nil
	}
	fmt.Fprintf(p.out, "tx: unexpected packets %q and %q\n", got[0], got[1])
	return fmt.Errorf("tx: unexpected packets")
}

// Stream sends the lab's rx, rx2 or rxburst traffic, one round a second,
// until ctx ends.
func (p *Peer) Stream(ctx context.Context, mode string) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for i := 0; ; i++ {
		var err error
		switch mode {
		case "rx":
			err = p.Send(p.Ports.Fwd1, []byte(fmt.Sprintf("packet %d", i)))
		case "rx2":
			err = p.Send(p.Ports.Fwd1, []byte(fmt.Sprintf("one %d", i)))
			if err == nil {
				err = p.Send(p.Ports.Fwd2, []byte(fmt.Sprintf("two %d", i)))
			}
		case "rxburst":
			for j := 0; j < 32 && err == nil; j++ {
				err = p.Send(p.Ports.Fwd2, []byte(fmt.Sprintf("packet %d", i)))
			}
			if err == nil {
				err = p.Send(p.Ports.Fwd1, []byte(fmt.Sprintf("packet %d", i)))
			}
		default:
			return fmt.Errorf("nettest: unknown stream %q", mode)
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
