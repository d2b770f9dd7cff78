package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"scone/user/internal/neterr"
)

// layout is the date as RFC 867's example gives it
// ("Weekday, Month Day, Year HH:MM:SS-Zone"); the RFC fixes no syntax.
const layout = "Monday, January 2, 2006 15:04:05-MST"

// maxReply bounds what the client accepts: a date is a line.
const maxReply = 512

func daytime(t time.Time) []byte { return []byte(t.Format(layout) + "\r\n") }

// askTCP connects and reads until the server closes (RFC 867: the server
// sends the date and closes; what the client sends is ignored).
func askTCP(addr string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(io.LimitReader(c, maxReply+1))
	if err != nil {
		return "", err
	}
	return reply(b)
}

// askUDP sends an empty datagram (its contents are ignored) and waits for
// the reply, sending again up to three times: UDP may lose either one.
func askUDP(addr string, timeout time.Duration) (string, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	buf := make([]byte, maxReply+1)
	const tries = 3
	for i := 0; i < tries; i++ {
		if _, err := c.Write(nil); err != nil {
			return "", err
		}
		c.SetReadDeadline(time.Now().Add(timeout / tries))
		n, err := c.Read(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		if err != nil {
			return "", err
		}
		return reply(buf[:n])
	}
	return "", fmt.Errorf("no reply from %s over UDP after %d tries in %v", addr, tries, timeout)
}

func reply(b []byte) (string, error) {
	if len(b) == 0 {
		return "", errors.New("the server closed without sending a date")
	}
	if len(b) > maxReply {
		return "", fmt.Errorf("the server sent more than %d bytes: not a daytime server", maxReply)
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		b = append(b, '\n')
	}
	return string(b), nil
}

// serve answers daytime on TCP and UDP at addr until one of them fails,
// logging each client to logw.
func serve(addr string, logw io.Writer) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return neterr.Explain(err)
	}
	defer l.Close()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return neterr.Explain(err)
	}
	defer pc.Close()
	fmt.Fprintf(logw, "daytime: serving on tcp %s and udp %s\n", l.Addr(), pc.LocalAddr())
	errc := make(chan error, 2)
	go func() { errc <- serveTCP(l, logw) }()
	go func() { errc <- serveUDP(pc, logw) }()
	return <-errc
}

func serveTCP(l net.Listener, logw io.Writer) error {
	for {
		c, err := l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		go func() {
			defer c.Close()
			c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write(daytime(time.Now())); err != nil {
				fmt.Fprintf(logw, "daytime: tcp %s: %v\n", c.RemoteAddr(), err)
				return
			}
			fmt.Fprintf(logw, "daytime: tcp %s\n", c.RemoteAddr())
		}()
	}
}

func serveUDP(pc net.PacketConn, logw io.Writer) error {
	buf := make([]byte, 1500)
	for {
		_, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		if _, err := pc.WriteTo(daytime(time.Now()), from); err != nil {
			fmt.Fprintf(logw, "daytime: udp %s: %v\n", from, err)
			continue
		}
		fmt.Fprintf(logw, "daytime: udp %s\n", from)
	}
}
