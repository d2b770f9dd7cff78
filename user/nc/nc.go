package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// nc is one run of netcat.
type nc struct {
	In      io.Reader
	Out     io.Writer
	Log     io.Writer
	Verbose bool
	Wait    time.Duration // dial and idle timeout; 0 is none
	// FinishIn: when the peer ends its side, still send the rest of In
	// (a file or pipe) before closing. Off for a terminal, where
	// nothing more may ever be typed.
	FinishIn bool
}

func (n *nc) logf(format string, a ...any) {
	if n.Verbose {
		fmt.Fprintf(n.Log, "nc: "+format+"\n", a...)
	}
}

func (n *nc) dialTCP(addr string) error {
	c, err := net.DialTimeout("tcp", addr, n.Wait)
	if err != nil {
		return err
	}
	n.logf("connected to %s from %s", c.RemoteAddr(), c.LocalAddr())
	return n.join(c.(*net.TCPConn), true)
}

func (n *nc) listenTCP(addr string, keep bool) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer l.Close()
	n.logf("listening on %s", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		n.logf("connection from %s", c.RemoteAddr())
		// With -k standard input is read by the first connection only:
		// later ones just print what they receive.
		err = n.join(c.(*net.TCPConn), true)
		if !keep {
			return err
		}
		if err != nil {
			fmt.Fprintf(n.Log, "nc: %v\n", err)
		}
		n.In = eofReader{}
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// join copies In to c and c to Out. The end of In half-closes c (the peer
// sees EOF); nc is done when the peer's side ends and, with FinishIn, all
// of In is sent.
func (n *nc) join(c *net.TCPConn, closeWrite bool) error {
	defer c.Close()
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		if _, err := io.Copy(c, n.In); err != nil {
			n.logf("sending: %v", err)
		}
		if closeWrite {
			c.CloseWrite()
		}
	}()
	if n.FinishIn {
		defer func() { <-sent }()
	}
	var src io.Reader = c
	if n.Wait > 0 {
		src = &idleReader{c: c, d: n.Wait}
	}
	_, err := io.Copy(n.Out, src)
	if err != nil {
		return fmt.Errorf("receiving from %s: %w", c.RemoteAddr(), err)
	}
	n.logf("%s closed the connection", c.RemoteAddr())
	return nil
}

// idleReader times a connection out after d without data.
type idleReader struct {
	c net.Conn
	d time.Duration
}

func (r *idleReader) Read(b []byte) (int, error) {
	r.c.SetReadDeadline(time.Now().Add(r.d))
	return r.c.Read(b)
}

// dialUDP sends each read of In as a datagram and prints replies; after
// In ends it waits n.Wait for late replies.
func (n *nc) dialUDP(addr string) error {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	c, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return err
	}
	defer c.Close()
	n.logf("sending datagrams to %s from %s", c.RemoteAddr(), c.LocalAddr())
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 65536)
		for {
			m, err := n.In.Read(buf)
			if m > 0 {
				if _, werr := c.Write(buf[:m]); werr != nil {
					done <- werr
					return
				}
			}
			if err == io.EOF {
				done <- nil
				return
			}
			if err != nil {
				done <- err
				return
			}
		}
	}()
	recv := make(chan error, 1)
	go func() { recv <- n.printDatagrams(c, nil) }()
	select {
	case err := <-done:
		if err != nil {
			return err
		}
	case err := <-recv:
		return err
	}
	c.SetReadDeadline(time.Now().Add(n.Wait))
	if err := <-recv; err != nil && !isTimeout(err) {
		return err
	}
	return nil
}

// listenUDP prints every datagram that arrives; standard input goes to
// whoever sent the latest one.
func (n *nc) listenUDP(addr string) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	defer pc.Close()
	n.logf("listening on udp %s", pc.LocalAddr())
	peer := make(chan net.Addr, 1)
	go func() {
		buf := make([]byte, 65536)
		var to net.Addr
		for {
			m, err := n.In.Read(buf)
			if m > 0 {
			drain:
				for {
					select {
					case to = <-peer:
					default:
						break drain
					}
				}
				if to == nil {
					fmt.Fprintf(n.Log, "nc: no datagram received yet: %d bytes of input dropped\n", m)
				} else if _, err := pc.WriteTo(buf[:m], to); err != nil {
					fmt.Fprintf(n.Log, "nc: %v\n", err)
				}
			}
			if err != nil {
				return
			}
		}
	}()
	err = n.printDatagrams(pc, peer)
	if isTimeout(err) {
		return nil
	}
	return err
}

// printDatagrams copies datagrams from pc to Out, each sender to peer.
func (n *nc) printDatagrams(pc net.PacketConn, peer chan net.Addr) error {
	buf := make([]byte, 65536)
	var last string
	for {
		if n.Wait > 0 && peer != nil {
			pc.SetReadDeadline(time.Now().Add(n.Wait))
		}
		m, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		if from.String() != last {
			last = from.String()
			n.logf("datagrams from %s", last)
		}
		if peer != nil {
			select {
			case peer <- from:
			default:
				select { // replace the unread older sender
				case <-peer:
				default:
				}
				peer <- from
			}
		}
		if _, err := n.Out.Write(buf[:m]); err != nil {
			return err
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
