package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// pinger is one run of ping.
type pinger struct {
	Count    int
	Interval time.Duration
	Wait     time.Duration
	Size     int
	Out      io.Writer
}

type stats struct {
	sent, received int
	rtts           []time.Duration
	start          time.Time
}

// Run resolves host, sends requests every p.Interval and prints replies
// until p.Count are sent and answered (or p.Wait passed), or stop fires.
func (p *pinger) Run(host string, stop <-chan os.Signal) (*stats, error) {
	ip, err := resolve(host)
	if err != nil {
		return nil, err
	}
	c, err := icmp.ListenPacket("udp4", "0.0.0.0")
	if err != nil {
		if errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("%v (ping sockets are limited to the groups in /proc/sys/net/ipv4/ping_group_range)", err)
		}
		return nil, err
	}
	defer c.Close()
	// The reply's TTL comes as a control message; a kernel without
	// IP_RECVTTL still pings, without ttl= on the lines.
	withTTL := c.IPv4PacketConn().SetControlMessage(ipv4.FlagTTL, true) == nil
	fmt.Fprintf(p.Out, "PING %s (%s) %d(%d) bytes of data.\n", host, ip, p.Size, p.Size+8+20)

	st := &stats{start: time.Now()}
	replies := make(chan reply, 16)
	go p.receive(c, withTTL, replies)
	dst := &net.UDPAddr{IP: ip}
	tick := time.NewTicker(p.Interval)
	defer tick.Stop()
	var last time.Time // when the final request went out
	send := func() error {
		st.sent++
		m := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{
			// A ping socket sets the ID to its own port; the kernel
			// matches replies to it.
			ID: 0, Seq: st.sent, Data: payload(p.Size, time.Now()),
		}}
		b, err := m.Marshal(nil)
		if err != nil {
			return err
		}
		if _, err := c.WriteTo(b, dst); err != nil {
			return err
		}
		if p.Count > 0 && st.sent == p.Count {
			last = time.Now()
		}
		return nil
	}
	if err := send(); err != nil {
		return nil, err
	}
	for {
		var timeout <-chan time.Time
		if !last.IsZero() {
			timeout = time.After(time.Until(last.Add(p.Wait)))
		}
		select {
		case <-stop:
			p.summary(host, st)
			return st, nil
		case <-timeout:
			p.summary(host, st)
			return st, nil
		case <-tick.C:
			if p.Count == 0 || st.sent < p.Count {
				if err := send(); err != nil {
					fmt.Fprintf(p.Out, "ping: sendto: %v\n", err)
				}
			}
		case r := <-replies:
			if r.err != nil {
				return nil, r.err
			}
			st.received++
			st.rtts = append(st.rtts, r.rtt)
			ttl := ""
			if r.ttl > 0 {
				ttl = fmt.Sprintf(" ttl=%d", r.ttl)
			}
			fmt.Fprintf(p.Out, "%d bytes from %s: icmp_seq=%d%s time=%s ms\n", r.n, r.from, r.seq, ttl, ms(r.rtt))
			if p.Count > 0 && st.received >= p.Count {
				p.summary(host, st)
				return st, nil
			}
		}
	}
}

type reply struct {
	n, seq, ttl int
	from        net.Addr
	rtt         time.Duration
	err         error
}

// receive reads replies until the socket closes. Anything but an echo
// reply carrying our timestamp is skipped.
func (p *pinger) receive(c *icmp.PacketConn, withTTL bool, out chan<- reply) {
	buf := make([]byte, 65536)
	for {
		var (
			n    int
			from net.Addr
			ttl  int
			err  error
		)
		if withTTL {
			var cm *ipv4.ControlMessage
			n, cm, from, err = c.IPv4PacketConn().ReadFrom(buf)
			if cm != nil {
				ttl = cm.TTL
			}
		} else {
			n, from, err = c.ReadFrom(buf)
		}
		now := time.Now()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				out <- reply{err: err}
			}
			return
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		e, ok := m.Body.(*icmp.Echo)
		if !ok || len(e.Data) < 8 {
			continue
		}
		sent := time.Unix(0, int64(binary.BigEndian.Uint64(e.Data)))
		if !bytes.Equal(e.Data, payload(len(e.Data), sent)) {
			continue // not our bytes back
		}
		if udp, ok := from.(*net.UDPAddr); ok {
			from = &net.IPAddr{IP: udp.IP}
		}
		out <- reply{n: n, seq: e.Seq, ttl: ttl, from: from, rtt: now.Sub(sent)}
	}
}

// payload is the request's data: the send time (so a reply carries its
// own round trip) then the bytes 0x10, 0x11, ... as iputils fills them.
func payload(size int, t time.Time) []byte {
	b := make([]byte, size)
	if size >= 8 {
		binary.BigEndian.PutUint64(b, uint64(t.UnixNano()))
		for i := 8; i < size; i++ {
			b[i] = byte(i + 8)
		}
	}
	return b
}

func (p *pinger) summary(host string, st *stats) {
	loss := 0.0
	if st.sent > 0 {
		loss = 100 * float64(st.sent-st.received) / float64(st.sent)
	}
	fmt.Fprintf(p.Out, "\n--- %s ping statistics ---\n", host)
	fmt.Fprintf(p.Out, "%d packets transmitted, %d received, %g%% packet loss, time %dms\n",
		st.sent, st.received, math.Round(loss*100)/100, time.Since(st.start).Milliseconds())
	if len(st.rtts) == 0 {
		return
	}
	minr, maxr, sum, sum2 := st.rtts[0], st.rtts[0], 0.0, 0.0
	for _, r := range st.rtts {
		minr, maxr = min(minr, r), max(maxr, r)
		f := float64(r)
		sum += f
		sum2 += f * f
	}
	n := float64(len(st.rtts))
	avg := sum / n
	mdev := math.Sqrt(math.Max(0, sum2/n-avg*avg))
	fmt.Fprintf(p.Out, "rtt min/avg/max/mdev = %s/%s/%s/%s ms\n", ms(minr), ms(time.Duration(avg)), ms(maxr), ms(time.Duration(mdev)))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

// resolve finds host's IPv4 address, by name through Go's resolver.
func resolve(host string) (net.IP, error) {
	if ip := net.ParseIP(host); ip != nil {
		if ip.To4() == nil {
			return nil, fmt.Errorf("%s: only IPv4 is supported", host)
		}
		return ip.To4(), nil
	}
	a, err := net.ResolveIPAddr("ip4", host)
	if err != nil {
		return nil, err
	}
	return a.IP, nil
}
