package testnet

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Zone maps "name. TYPE" (TYPE one of A, AAAA, CNAME, MX, NS, TXT, PTR) to
// the record values: addresses, names ("mail.example."), MX as
// "10 mail.example.". A name with a CNAME answers every type with the
// CNAME and then the target's records of that type.
type Zone map[string][]string

// DNS serves zone over UDP on a loopback port until the test ends and
// returns the server's address. Names it does not know get NXDOMAIN.
func DNS(t testing.TB, zone Zone) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out, err := zone.answer(buf[:n]); err == nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func (z Zone) answer(in []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(in)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	h.Response, h.Authoritative, h.RecursionAvailable = true, true, true
	name := strings.ToLower(q.Name.String())
	typ := strings.TrimPrefix(q.Type.String(), "Type")
	known := false
	for k := range z {
		if strings.HasPrefix(k, name+" ") {
			known = true
		}
	}
	if !known {
		h.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, h)
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	for i := 0; i < 8; i++ { // bounded CNAME chain
		cn := z[name+" CNAME"]
		if len(cn) == 0 || q.Type == dnsmessage.TypeCNAME {
			break
		}
		rh := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 60}
		b.CNAMEResource(rh, dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(cn[0])})
		name = strings.ToLower(cn[0])
	}
	for _, v := range z[name+" "+typ] {
		rh := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 60}
		switch q.Type {
		case dnsmessage.TypeA:
			b.AResource(rh, dnsmessage.AResource{A: netip.MustParseAddr(v).As4()})
		case dnsmessage.TypeAAAA:
			b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: netip.MustParseAddr(v).As16()})
		case dnsmessage.TypeCNAME:
			b.CNAMEResource(rh, dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(v)})
		case dnsmessage.TypeNS:
			b.NSResource(rh, dnsmessage.NSResource{NS: dnsmessage.MustNewName(v)})
		case dnsmessage.TypePTR:
			b.PTRResource(rh, dnsmessage.PTRResource{PTR: dnsmessage.MustNewName(v)})
		case dnsmessage.TypeTXT:
			b.TXTResource(rh, dnsmessage.TXTResource{TXT: []string{v}})
		case dnsmessage.TypeMX:
			pref, host, _ := strings.Cut(v, " ")
			p, _ := strconv.Atoi(pref)
			b.MXResource(rh, dnsmessage.MXResource{Pref: uint16(p), MX: dnsmessage.MustNewName(host)})
		}
	}
	return b.Finish()
}
