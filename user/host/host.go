package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"scone/user/internal/neterr"
)

// query is one run of host.
type query struct {
	Name   string
	Type   string // "" for the default
	Server string // "" for /etc/resolv.conf's; else host[:port]
}

func (q query) resolver() *net.Resolver {
	r := &net.Resolver{PreferGo: true}
	if q.Server != "" {
		addr := q.Server
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "53")
		}
		// Every query goes to the named server, by the transport Go
		// chose (UDP, or TCP for a truncated answer).
		r.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	}
	return r
}

// Run looks q up and writes host(1)'s lines to w.
func (q query) Run(ctx context.Context, w io.Writer) error {
	r := q.resolver()
	if q.Server != "" {
		fmt.Fprintf(w, "Using domain server:\nName: %s\n\n", q.Server)
	}
	t := q.Type
	if t == "" {
		t = "ADDR"
		if net.ParseIP(q.Name) != nil {
			t = "PTR"
		}
	}
	var lines []string
	var err error
	name := q.Name
	switch t {
	case "ADDR", "A", "AAAA":
		var ips []net.IPAddr
		ips, err = r.LookupIPAddr(ctx, name)
		// host(1) shows the canonical name first when it differs.
		if cname, cerr := r.LookupCNAME(ctx, name); err == nil && cerr == nil && !sameName(cname, name) {
			lines = append(lines, fmt.Sprintf("%s is an alias for %s", name, cname))
			name = strings.TrimSuffix(cname, ".")
		}
		for _, ip := range ips {
			switch {
			case ip.IP.To4() != nil && t != "AAAA":
				lines = append(lines, fmt.Sprintf("%s has address %s", name, ip.IP))
			case ip.IP.To4() == nil && t != "A":
				lines = append(lines, fmt.Sprintf("%s has IPv6 address %s", name, ip.IP))
			}
		}
	case "CNAME":
		var cname string
		cname, err = r.LookupCNAME(ctx, name)
		if err == nil && !sameName(cname, name) {
			lines = append(lines, fmt.Sprintf("%s is an alias for %s", name, cname))
		}
	case "MX":
		var mxs []*net.MX
		mxs, err = r.LookupMX(ctx, name)
		for _, mx := range mxs {
			lines = append(lines, fmt.Sprintf("%s mail is handled by %d %s", name, mx.Pref, mx.Host))
		}
	case "NS":
		var nss []*net.NS
		nss, err = r.LookupNS(ctx, name)
		for _, ns := range nss {
			lines = append(lines, fmt.Sprintf("%s name server %s", name, ns.Host))
		}
	case "TXT":
		var txts []string
		txts, err = r.LookupTXT(ctx, name)
		for _, s := range txts {
			lines = append(lines, fmt.Sprintf("%s descriptive text %q", name, s))
		}
	case "PTR":
		ip := net.ParseIP(name)
		if ip == nil {
			return fmt.Errorf("%s: -t PTR needs an address", name)
		}
		var names []string
		names, err = r.LookupAddr(ctx, name)
		arpa := reverseName(ip)
		for _, n := range names {
			lines = append(lines, fmt.Sprintf("%s domain name pointer %s", arpa, n))
		}
	default:
		return fmt.Errorf("unknown query type %q (want A, AAAA, CNAME, MX, NS, TXT or PTR)", q.Type)
	}
	if err != nil {
		var dns *net.DNSError
		if errors.As(err, &dns) && dns.IsNotFound {
			return fmt.Errorf("Host %s not found: 3(NXDOMAIN)", q.Name)
		}
		return neterr.Explain(err)
	}
	if len(lines) == 0 {
		return fmt.Errorf("%s has no %s record", q.Name, t)
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return nil
}

func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// reverseName is ip's in-addr.arpa (or ip6.arpa) name.
func reverseName(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", v4[3], v4[2], v4[1], v4[0])
	}
	var nib []string
	for _, b := range ip.To16() {
		nib = append(nib, fmt.Sprintf("%x", b>>4), fmt.Sprintf("%x", b&15))
	}
	slices.Reverse(nib)
	return strings.Join(nib, ".") + ".ip6.arpa"
}
