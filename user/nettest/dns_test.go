package main

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

func reply(t *testing.T, h dnsmessage.Header, answers map[string]string) []byte {
	b := dnsmessage.NewBuilder(nil, h)
	b.EnableCompression()
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(dnsName), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
	b.StartAnswers()
	for typ, v := range answers {
		rh := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(dnsName), Class: dnsmessage.ClassINET, TTL: 5}
		switch typ {
		case "A":
			b.AResource(rh, dnsmessage.AResource{A: netip.MustParseAddr(v).As4()})
		case "CNAME":
			b.CNAMEResource(rh, dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(v)})
		}
	}
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// capture runs f with stdout going to a pipe and returns what it printed.
func capture(t *testing.T, f func() bool) (bool, string) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	ok := f()
	os.Stdout = old
	w.Close()
	buf := make([]byte, 4096)
	n, _ := r.Read(buf)
	r.Close()
	return ok, string(buf[:n])
}

func TestDNSReply(t *testing.T) {
	good := dnsmessage.Header{ID: dnsID, Response: true}
	for _, tc := range []struct {
		name string
		msg  []byte
		ok   bool
		want string
	}{
		{"good", reply(t, good, map[string]string{"A": "128.52.129.126"}), true, "DNS arecord for pdos.csail.mit.edu. is 128.52.129.126\n"},
		{"cname first", reply(t, good, map[string]string{"CNAME": "x.mit.edu.", "A": "128.52.129.126"}), true, "is 128.52.129.126\n"},
		{"wrong ip", reply(t, good, map[string]string{"A": "1.2.3.4"}), false, "dns: wrong ip address"},
		{"no A", reply(t, good, nil), false, "dns: didn't receive an arecord"},
		{"query", reply(t, dnsmessage.Header{ID: dnsID}, nil), false, "Not a DNS reply for 6828"},
		{"wrong id", reply(t, dnsmessage.Header{ID: 7, Response: true}, nil), false, "DNS wrong id: 7"},
		{"nxdomain", reply(t, dnsmessage.Header{ID: dnsID, Response: true, RCode: dnsmessage.RCodeNameError}, nil), false, "DNS rcode error: 3"},
		{"short", []byte{1, 2, 3}, false, "DNS reply too short"},
	} {
		ok, out := capture(t, func() bool { return dnsReply(tc.msg) })
		if ok != tc.ok || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %v %q; want %v %q", tc.name, ok, out, tc.ok, tc.want)
		}
	}
	q, err := dnsQuery()
	if err != nil {
		t.Fatal(err)
	}
	var p dnsmessage.Parser
	h, err := p.Start(q)
	qs, _ := p.AllQuestions()
	if err != nil || h.ID != dnsID || !h.RecursionDesired || len(qs) != 1 || qs[0].Name.String() != dnsName || qs[0].Type != dnsmessage.TypeA {
		t.Errorf("query: %+v %+v %v", h, qs, err)
	}
}

func TestNameServer(t *testing.T) {
	for _, tc := range []struct{ ns, want, err string }{
		{"10.0.2.2", "10.0.2.2:53", ""},
		{"127.0.0.1:5353", "127.0.0.1:5353", ""},
		{"fe80::1", "", "not an IPv4"},
	} {
		c := &config{ns: tc.ns}
		got, err := c.nameServer()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v", tc.ns, err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("%s: %v %v", tc.ns, got, err)
		}
	}
}
