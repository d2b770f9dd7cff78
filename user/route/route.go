package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"scone/user/internal/procnet"
)

// spec is one route as typed.
type spec struct {
	dst, mask, gw netip.Addr // gw invalid: a direct route
	dev           string
	metric        int
	host          bool
}

func parseRoute(args []string) (spec, error) {
	var r spec
	if len(args) == 0 {
		return r, errors.New("which route?")
	}
	switch args[0] {
	case "default":
		r.dst, r.mask = netip.IPv4Unspecified(), netip.IPv4Unspecified()
		args = args[1:]
	case "-net", "-host":
		if len(args) < 2 {
			return r, fmt.Errorf("%s needs an address", args[0])
		}
		if p, err := netip.ParsePrefix(args[1]); err == nil && p.Addr().Is4() && args[0] == "-net" {
			r.dst, r.mask = p.Masked().Addr(), maskOf(p.Bits())
		} else if a, err := netip.ParseAddr(args[1]); err == nil && a.Is4() {
			r.dst = a
		} else {
			return r, fmt.Errorf("bad address %q (IPv4 only)", args[1])
		}
		if args[0] == "-host" {
			r.host, r.mask = true, maskOf(32)
		}
		args = args[2:]
	default:
		return r, fmt.Errorf("want default, -net or -host, not %q", args[0])
	}
	for len(args) > 0 {
		if len(args) < 2 {
			return r, fmt.Errorf("%s needs a value", args[0])
		}
		k, v := args[0], args[1]
		args = args[2:]
		var err error
		switch k {
		case "gw":
			if r.gw, err = netip.ParseAddr(v); err != nil || !r.gw.Is4() {
				return r, fmt.Errorf("bad gateway %q", v)
			}
		case "netmask":
			if r.mask, err = netip.ParseAddr(v); err != nil || !r.mask.Is4() || r.host {
				return r, fmt.Errorf("bad netmask %q", v)
			}
		case "dev":
			r.dev = v
		case "metric":
			if r.metric, err = strconv.Atoi(v); err != nil || r.metric < 0 || r.metric > 32766 {
				return r, fmt.Errorf("bad metric %q", v)
			}
		default:
			return r, fmt.Errorf("unexpected %q", k)
		}
	}
	if !r.mask.IsValid() {
		return r, errors.New("-net needs a netmask (or NET/LEN)")
	}
	if r.dst.As4() != maskAddr(r.dst, r.mask).As4() {
		return r, fmt.Errorf("%s has bits outside the netmask %s", r.dst, r.mask)
	}
	if !r.gw.IsValid() && r.dev == "" {
		return r, errors.New("a route needs a gateway (gw) or an interface (dev)")
	}
	return r, nil
}

func maskOf(bits int) netip.Addr {
	v := ^uint32(0) << (32 - bits)
	if bits == 0 {
		v = 0
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func maskAddr(a, m netip.Addr) netip.Addr {
	x, y := a.As4(), m.As4()
	for i := range x {
		x[i] &= y[i]
	}
	return netip.AddrFrom4(x)
}

// rtentry is Linux's struct rtentry (include/uapi/linux/route.h) on a
// 64-bit machine; Go's alignment gives C's layout.
type rtentry struct {
	pad1    uint64
	dst     unix.RawSockaddrInet4
	gateway unix.RawSockaddrInet4
	genmask unix.RawSockaddrInet4
	flags   uint16
	pad2    int16
	pad3    uint64
	pad4    uintptr
	metric  int16
	dev     *byte
	mtu     uint64
	window  uint64
	irtt    uint16
}

func sockaddr(a netip.Addr) unix.RawSockaddrInet4 {
	return unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.As4()}
}

// change adds or deletes r through SIOCADDRT or SIOCDELRT.
func change(add bool, r spec) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket(AF_INET, SOCK_DGRAM): %v (this kernel has no sockets for route ioctls)", err)
	}
	defer unix.Close(fd)
	rt := rtentry{dst: sockaddr(r.dst), genmask: sockaddr(r.mask), flags: unix.RTF_UP}
	if r.gw.IsValid() {
		rt.gateway = sockaddr(r.gw)
		rt.flags |= unix.RTF_GATEWAY
	}
	if r.host {
		rt.flags |= unix.RTF_HOST
	}
	// The ioctl's metric is one more than the one shown (net-tools does
	// the same; 0 means "unset").
	rt.metric = int16(r.metric + 1)
	if r.dev != "" {
		dev, err := unix.BytePtrFromString(r.dev)
		if err != nil {
			return err
		}
		rt.dev = dev
	}
	req, what := uintptr(unix.SIOCADDRT), "SIOCADDRT"
	if !add {
		req, what = unix.SIOCDELRT, "SIOCDELRT"
	}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(&rt)))
	switch errno {
	case 0:
		return nil
	case unix.EEXIST:
		return errors.New("that route exists already")
	case unix.ESRCH:
		return errors.New("no such route")
	case unix.ENETUNREACH:
		return fmt.Errorf("gateway %s is not on a directly connected network", r.gw)
	case unix.ENODEV:
		return fmt.Errorf("%s: no such interface", r.dev)
	}
	return fmt.Errorf("%s: %v", what, errno)
}

// show prints /proc/net/route as route -n does.
func show(w io.Writer, proc string) error {
	f, err := os.Open(filepath.Join(proc, "net/route"))
	if err != nil {
		return err
	}
	defer f.Close()
	routes, err := procnet.ParseRoute(f)
	if err != nil {
		return err
	}
	procnet.FormatRoutes(w, routes)
	return nil
}
