package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"scone/user/internal/procnet"
)

// settings is what `ifconfig IFACE ...` asks to change.
type settings struct {
	addr, mask netip.Addr
	mtu        uint32
	up, down   bool
}

func parseSettings(args []string) (settings, error) {
	var s settings
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch a {
		case "up":
			s.up = true
		case "down":
			s.down = true
		case "netmask":
			v, err := next()
			if err != nil {
				return s, err
			}
			if s.mask, err = netip.ParseAddr(v); err != nil || !s.mask.Is4() || !isMask(s.mask) {
				return s, fmt.Errorf("bad netmask %q", v)
			}
		case "mtu":
			v, err := next()
			if err != nil {
				return s, err
			}
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n < 68 || n > 65535 {
				return s, fmt.Errorf("bad mtu %q (68 to 65535)", v)
			}
			s.mtu = uint32(n)
		default:
			// ADDRESS or ADDRESS/PREFIX.
			if s.addr.IsValid() {
				return s, fmt.Errorf("unexpected %q", a)
			}
			if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is4() {
				s.addr = p.Addr()
				m := net.CIDRMask(p.Bits(), 32)
				s.mask = netip.AddrFrom4([4]byte(m))
				continue
			}
			ip, err := netip.ParseAddr(a)
			if err != nil || !ip.Is4() {
				return s, fmt.Errorf("bad address %q (IPv4 only)", a)
			}
			s.addr = ip
		}
	}
	if s.up && s.down {
		return s, fmt.Errorf("up and down together")
	}
	return s, nil
}

// isMask reports whether m is contiguous ones then zeros.
func isMask(m netip.Addr) bool {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	return ^v&(^v+1) == 0 // the zeros are the low bits
}

// apply makes the changes in Linux's order: the address (which sets a
// default netmask), then the netmask, MTU and state.
func apply(name string, s settings) error {
	c, err := openCtl()
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.get(name); err != nil {
		return err
	}
	if s.addr.IsValid() {
		if err := c.setAddr(name, unix.SIOCSIFADDR, s.addr); err != nil {
			return fmt.Errorf("%s: SIOCSIFADDR: %v", name, err)
		}
	}
	if s.mask.IsValid() {
		if err := c.setAddr(name, unix.SIOCSIFNETMASK, s.mask); err != nil {
			return fmt.Errorf("%s: SIOCSIFNETMASK: %v", name, err)
		}
	}
	if s.mtu != 0 {
		if err := c.setMTU(name, s.mtu); err != nil {
			return fmt.Errorf("%s: SIOCSIFMTU: %v", name, err)
		}
	}
	if s.up || s.down {
		if err := c.setUp(name, s.up); err != nil {
			return fmt.Errorf("%s: SIOCSIFFLAGS: %v", name, err)
		}
	}
	return nil
}

// show prints the named interface, or every one that is up (all: every
// one) in /proc/net/dev's order.
func show(w io.Writer, proc string, names []string, all bool) error {
	var devs []procnet.IfStats
	f, err := os.Open(filepath.Join(proc, "net/dev"))
	if err == nil {
		devs, err = procnet.ParseDev(f)
		f.Close()
	}
	if err != nil && len(names) == 0 {
		return fmt.Errorf("cannot list interfaces: %v", err)
	}
	c, err := openCtl()
	if err != nil {
		return err
	}
	defer c.Close()
	byName := map[string]*procnet.IfStats{}
	for i := range devs {
		byName[devs[i].Name] = &devs[i]
	}
	if len(names) == 0 {
		for _, d := range devs {
			names = append(names, d.Name)
		}
	}
	for _, n := range names {
		it, err := c.get(n)
		if err != nil {
			return err
		}
		if len(names) > 1 && !all && it.flags&unix.IFF_UP == 0 {
			continue
		}
		render(w, it, byName[n])
	}
	return nil
}

var flagNames = []struct {
	bit  uint16
	name string
}{
	{unix.IFF_UP, "UP"}, {unix.IFF_BROADCAST, "BROADCAST"}, {unix.IFF_DEBUG, "DEBUG"},
	{unix.IFF_LOOPBACK, "LOOPBACK"}, {unix.IFF_POINTOPOINT, "POINTOPOINT"}, {unix.IFF_NOTRAILERS, "NOTRAILERS"},
	{unix.IFF_RUNNING, "RUNNING"}, {unix.IFF_NOARP, "NOARP"}, {unix.IFF_PROMISC, "PROMISC"},
	{unix.IFF_ALLMULTI, "ALLMULTI"}, {unix.IFF_MULTICAST, "MULTICAST"},
}

// render prints one interface as net-tools 2.x does.
func render(w io.Writer, it *iface, st *procnet.IfStats) {
	var fl []string
	for _, f := range flagNames {
		if it.flags&f.bit != 0 {
			fl = append(fl, f.name)
		}
	}
	fmt.Fprintf(w, "%s: flags=%d<%s>  mtu %d\n", it.name, it.flags, strings.Join(fl, ","), it.mtu)
	if it.addr.IsValid() {
		fmt.Fprintf(w, "        inet %s", it.addr)
		if it.mask.IsValid() {
			fmt.Fprintf(w, "  netmask %s", it.mask)
		}
		if it.bcast.IsValid() && it.flags&unix.IFF_BROADCAST != 0 {
			fmt.Fprintf(w, "  broadcast %s", it.bcast)
		}
		fmt.Fprintln(w)
	}
	switch {
	case it.flags&unix.IFF_LOOPBACK != 0:
		fmt.Fprintln(w, "        loop  (Local Loopback)")
	case it.hw != nil:
		fmt.Fprintf(w, "        ether %s  (Ethernet)\n", net.HardwareAddr(it.hw))
	}
	if st != nil {
		fmt.Fprintf(w, "        RX packets %d  bytes %d (%s)\n", st.RxPackets, st.RxBytes, size(st.RxBytes))
		fmt.Fprintf(w, "        RX errors %d  dropped %d  overruns %d  frame %d\n", st.RxErrs, st.RxDrop, st.RxFifo, st.RxFrame)
		fmt.Fprintf(w, "        TX packets %d  bytes %d (%s)\n", st.TxPackets, st.TxBytes, size(st.TxBytes))
		fmt.Fprintf(w, "        TX errors %d  dropped %d overruns %d  carrier %d  collisions %d\n", st.TxErrs, st.TxDrop, st.TxFifo, st.TxCarrier, st.TxColls)
	}
	fmt.Fprintln(w)
}

// size is net-tools' byte count in decimal units.
func size(b uint64) string {
	switch {
	case b < 1000:
		return fmt.Sprintf("%d.0 B", b)
	case b < 1000*1000:
		return fmt.Sprintf("%.1f KB", float64(b)/1000)
	case b < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(b)/1e9)
}
