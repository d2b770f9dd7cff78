package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"scone/user/internal/testnet"
)

func TestHost(t *testing.T) {
	server := testnet.DNS(t, testnet.Zone{
		"pdos.csail.mit.edu. A":            {"128.52.129.126"},
		"www.scone.test. CNAME":            {"web.scone.test."},
		"web.scone.test. A":                {"10.0.2.2", "10.0.2.3"},
		"web.scone.test. AAAA":             {"fec0::2"},
		"scone.test. MX":                   {"10 mail.scone.test."},
		"scone.test. NS":                   {"ns.scone.test."},
		"scone.test. TXT":                  {"v=spf1 -all"},
		"126.129.52.128.in-addr.arpa. PTR": {"pdos.csail.mit.edu."},
		"only6.scone.test. AAAA":           {"fec0::9"},
		"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.e.f.ip6.arpa. PTR": {"six.scone.test."},
	})
	const using = "Using domain server:\nName: "
	for _, tc := range []struct {
		name, typ string
		want      string // lines after the server's
		err       string
	}{
		{name: "pdos.csail.mit.edu", want: "pdos.csail.mit.edu has address 128.52.129.126\n"},
		{name: "www.scone.test", want: "www.scone.test is an alias for web.scone.test.\n" +
			"web.scone.test has address 10.0.2.2\nweb.scone.test has address 10.0.2.3\nweb.scone.test has IPv6 address fec0::2\n"},
		{name: "www.scone.test", typ: "A", want: "www.scone.test is an alias for web.scone.test.\n" +
			"web.scone.test has address 10.0.2.2\nweb.scone.test has address 10.0.2.3\n"},
		{name: "web.scone.test", typ: "AAAA", want: "web.scone.test has IPv6 address fec0::2\n"},
		{name: "www.scone.test", typ: "CNAME", want: "www.scone.test is an alias for web.scone.test.\n"},
		{name: "scone.test", typ: "MX", want: "scone.test mail is handled by 10 mail.scone.test.\n"},
		{name: "scone.test", typ: "NS", want: "scone.test name server ns.scone.test.\n"},
		{name: "scone.test", typ: "TXT", want: "scone.test descriptive text \"v=spf1 -all\"\n"},
		{name: "128.52.129.126", want: "126.129.52.128.in-addr.arpa domain name pointer pdos.csail.mit.edu.\n"},
		{name: "fec0::2", want: "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.e.f.ip6.arpa domain name pointer six.scone.test.\n"},
		{name: "nowhere.scone.test", err: "Host nowhere.scone.test not found: 3(NXDOMAIN)"},
		{name: "only6.scone.test", typ: "A", err: "only6.scone.test has no A record"},
		{name: "scone.test", typ: "SOA", err: `unknown query type "SOA"`},
		{name: "scone.test", typ: "PTR", err: "-t PTR needs an address"},
	} {
		var out strings.Builder
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := query{Name: tc.name, Type: tc.typ, Server: server}.Run(ctx, &out)
		cancel()
		label := tc.name + " " + tc.typ
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", label, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", label, err)
			continue
		}
		if got := strings.TrimPrefix(out.String(), using+server+"\n\n"); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", label, got, tc.want)
		}
	}
}

// TestNoServer: a name server that is not there is named in the error.
func TestNoServer(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = query{Name: "pdos.csail.mit.edu", Server: addr}.Run(ctx, new(strings.Builder))
	if err == nil || !strings.Contains(err.Error(), "cannot resolve pdos.csail.mit.edu") {
		t.Errorf("got %v", err)
	}
}
