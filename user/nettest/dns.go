package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// The lab's question and the answer its grader wants.
const (
	dnsID   = 6828
	dnsName = "pdos.csail.mit.edu."
)

var dnsWant = netip.MustParseAddr("128.52.129.126")

// nameServer is -ns, or the first nameserver line of /etc/resolv.conf,
// with port 53 unless one is given.
func (c *config) nameServer() (netip.AddrPort, error) {
	s := c.ns
	if s == "" {
		f, err := os.Open("/etc/resolv.conf")
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("no name server: %v (use -ns)", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "nameserver" {
				s = f[1]
				break
			}
		}
		if s == "" {
			return netip.AddrPort{}, fmt.Errorf("no name server: /etc/resolv.conf has no nameserver line (use -ns)")
		}
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.AddrPort{}, fmt.Errorf("name server %q is not an IPv4 address[:port]", s)
	}
	return netip.AddrPortFrom(a, 53), nil
}

// dnsQuery is the lab's request: id 6828, recursion desired, one A
// question for pdos.csail.mit.edu.
func dnsQuery() ([]byte, error) {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: dnsID, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(dnsName), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}); err != nil {
		return nil, err
	}
	return b.Finish()
}

// dnsReply checks a reply as the lab's dns_rep does, printing its lines:
// ours, an answer, no error, and an A record of 128.52.129.126.
func dnsReply(b []byte) bool {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil {
		fmt.Println("DNS reply too short")
		return false
	}
	if !h.Response {
		fmt.Printf("Not a DNS reply for %d\n", h.ID)
		return false
	}
	if h.ID != dnsID {
		fmt.Printf("DNS wrong id: %d\n", h.ID)
		return false
	}
	if h.RCode != dnsmessage.RCodeSuccess {
		fmt.Printf("DNS rcode error: %x\n", int(h.RCode))
		return false
	}
	if err := p.SkipAllQuestions(); err != nil {
		fmt.Println("dns: invalid DNS reply")
		return false
	}
	record := false
	for {
		ah, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			fmt.Println("dns: invalid DNS reply")
			return false
		}
		if ah.Type != dnsmessage.TypeA {
			if err := p.SkipAnswer(); err != nil {
				fmt.Println("dns: invalid DNS reply")
				return false
			}
			continue
		}
		a, err := p.AResource()
		if err != nil {
			fmt.Println("dns: invalid DNS reply")
			return false
		}
		record = true
		ip := netip.AddrFrom4(a.A)
		fmt.Printf("DNS arecord for %s is %s\n", ah.Name, ip)
		if ip != dnsWant {
			fmt.Println("dns: wrong ip address")
			return false
		}
	}
	if !record {
		fmt.Println("dns: didn't receive an arecord")
		return false
	}
	return true
}

// dns asks the name server directly over UDP from port 10000.
func (c *config) dns() bool {
	fmt.Println("dns: starting")
	ns, err := c.nameServer()
	if err != nil {
		fmt.Printf("dns: %v\n", err)
		return false
	}
	q, err := dnsQuery()
	if err != nil {
		fmt.Printf("dns: %v\n", err)
		return false
	}
	u, err := c.bind(10000)
	if err != nil {
		fmt.Printf("dns: bind: %v\n", err)
		return false
	}
	defer u.Close()
	if _, err := u.WriteToUDPAddrPort(q, ns); err != nil {
		fmt.Printf("dns: send() failed: %v\n", err)
		return false
	}
	buf := make([]byte, 1000)
	// Skip anything not from the server (a stray datagram on the port).
	for tries := 0; tries < 10; tries++ {
		n, from, err := c.recv(u, buf)
		if err != nil {
			fmt.Printf("dns: recv() failed: %v\n", err)
			return false
		}
		if from.Addr() != ns.Addr() {
			continue
		}
		if !dnsReply(buf[:n]) {
			return false
		}
		fmt.Println("dns: OK")
		return true
	}
	fmt.Printf("dns: no reply from %s\n", ns)
	return false
}
