package procnet

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Route flags of /proc/net/route (include/uapi/linux/route.h).
const (
	RouteUp      = 0x1
	RouteGateway = 0x2
	RouteHost    = 0x4
)

// Route is one line of /proc/net/route.
type Route struct {
	Iface         string
	Dest, Gateway netip.Addr
	Mask          netip.Addr
	Flags         int
	Metric, MTU   int
}

// ParseRoute reads /proc/net/route: a header, then tab-separated fields
// with the addresses as hex of the address's bytes in host order.
func ParseRoute(r io.Reader) ([]Route, error) {
	var out []Route
	sc := bufio.NewScanner(r)
	for n := 0; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if n == 0 || len(f) == 0 {
			continue
		}
		if len(f) < 11 {
			return nil, fmt.Errorf("procnet: short route line %q", sc.Text())
		}
		var rt Route
		rt.Iface = f[0]
		var err error
		for i, p := range []*netip.Addr{&rt.Dest, &rt.Gateway, &rt.Mask} {
			if *p, err = hexAddr(f[[]int{1, 2, 7}[i]]); err != nil {
				return nil, err
			}
		}
		fl, err1 := strconv.ParseUint(f[3], 16, 16)
		met, err2 := strconv.Atoi(f[6])
		mtu, err3 := strconv.Atoi(f[8])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("procnet: bad route line %q", sc.Text())
		}
		rt.Flags, rt.Metric, rt.MTU = int(fl), met, mtu
		out = append(out, rt)
	}
	return out, sc.Err()
}

// hexAddr reads an IPv4 address printed as the kernel's %08X of the
// network-order word on a little-endian machine.
func hexAddr(s string) (netip.Addr, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 4 {
		return netip.Addr{}, fmt.Errorf("procnet: bad address %q", s)
	}
	var ip [4]byte
	binary.LittleEndian.PutUint32(ip[:], binary.BigEndian.Uint32(b))
	return netip.AddrFrom4(ip), nil
}

// FormatRoutes prints routes as net-tools' `route -n` and `netstat -rn`
// do.
func FormatRoutes(w io.Writer, routes []Route) {
	fmt.Fprintln(w, "Kernel IP routing table")
	fmt.Fprintf(w, "%-15s %-15s %-15s %-5s %6s %s\n", "Destination", "Gateway", "Genmask", "Flags", "Metric", "Iface")
	for _, r := range routes {
		var fl strings.Builder
		for _, f := range []struct {
			bit int
			c   byte
		}{{RouteUp, 'U'}, {RouteGateway, 'G'}, {RouteHost, 'H'}} {
			if r.Flags&f.bit != 0 {
				fl.WriteByte(f.c)
			}
		}
		fmt.Fprintf(w, "%-15s %-15s %-15s %-5s %6d %s\n", r.Dest, r.Gateway, r.Mask, fl.String(), r.Metric, r.Iface)
	}
}
