package qemu

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// standInName and standInAddr are the one name the host's DNS stand-in
// knows.
const (
	standInName = "standin.scone.test."
	standInAddr = "192.0.2.53"
)

// dnsStandIn answers A queries for standInName on the host's
// 127.0.0.1:53, where QEMU's user network sends the guest's 10.0.2.2:53;
// every other question gets NXDOMAIN. Port 53 may be held for a moment
// by another test's dnsmasq (`make grade`), so binding retries for a
// bounded time.
func dnsStandIn(t *testing.T) {
	t.Helper()
	var c net.PacketConn
	var err error
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		c, err = net.ListenPacket("udp4", "127.0.0.1:53")
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("DNS stand-in on 127.0.0.1:53 (needs root or CAP_NET_BIND_SERVICE): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if r, err := dnsAnswer(buf[:n]); err == nil {
				c.WriteTo(r, from)
			}
		}
	}()
}

// dnsAnswer builds the stand-in's reply to query q.
func dnsAnswer(q []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil, err
	}
	qs, err := p.Question()
	if err != nil {
		return nil, err
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	known := qs.Name.String() == standInName
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(qs); err != nil {
		return nil, err
	}
	if known && qs.Type == dnsmessage.TypeA {
		if err := b.StartAnswers(); err != nil {
			return nil, err
		}
		a := [4]byte(net.ParseIP(standInAddr).To4())
		if err := b.AResource(dnsmessage.ResourceHeader{Name: qs.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: a}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// TestNameFiles: the kernel writes /etc/resolv.conf and /etc/hosts from
// the DHCP lease at boot, and from ip='s DNS with a static address, so
// the guest's Go resolver (here in `host`) works as it comes: the
// machine's own name from /etc/hosts, and a host-side name through the
// nameserver in /etc/resolv.conf.
func TestNameFiles(t *testing.T) {
	t.Run("dhcp", func(t *testing.T) {
		s, _ := bootShell(t, "e1000")
		typeLine(t, s, "cat /etc/resolv.conf", `(?m)^nameserver 10\.0\.2\.3\r?$`, netTimeout)
		typeLine(t, s, "cat /etc/hosts", `(?m)^10\.0\.2\.15\tscone\r?$`, netTimeout)
		typeLine(t, s, "host scone", `scone has address 10\.0\.2\.15`, netTimeout)
	})
	t.Run("static", func(t *testing.T) {
		dnsStandIn(t)
		s, _ := bootShellArgs(t, "e1000", "ip=10.0.2.15/24,10.0.2.2,10.0.2.2")
		typeLine(t, s, "cat /etc/resolv.conf", `(?m)^nameserver 10\.0\.2\.2\r?$`, netTimeout)
		typeLine(t, s, "host -t A "+standInName[:len(standInName)-1], `has address `+standInAddr, netTimeout)
		typeLine(t, s, "host nosuch.scone.test", `not found`, netTimeout)
	})
}
