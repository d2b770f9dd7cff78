package main

import (
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// iface is one interface's configuration as the SIOCGIF* ioctls tell it.
type iface struct {
	name       string
	flags      uint16
	mtu        uint32
	addr, mask netip.Addr // invalid when the interface has no address
	bcast      netip.Addr
	hw         []byte // nil unless an Ethernet-style address
}

// ctl is the socket the interface ioctls go through, as on Linux: any
// AF_INET socket will do.
type ctl struct{ fd int }

func openCtl() (ctl, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return ctl{}, fmt.Errorf("socket(AF_INET, SOCK_DGRAM): %v (this kernel has no sockets for interface ioctls)", err)
	}
	return ctl{fd}, nil
}

func (c ctl) Close() error { return unix.Close(c.fd) }

func (c ctl) ioctl(name string, req uint, set func(*unix.Ifreq) error) (*unix.Ifreq, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if set != nil {
		if err := set(ifr); err != nil {
			return nil, err
		}
	}
	return ifr, unix.IoctlIfreq(c.fd, req, ifr)
}

func (c ctl) get(name string) (*iface, error) {
	it := &iface{name: name}
	ifr, err := c.ioctl(name, unix.SIOCGIFFLAGS, nil)
	if err != nil {
		if errors.Is(err, unix.ENODEV) {
			return nil, fmt.Errorf("%s: no such interface", name)
		}
		return nil, fmt.Errorf("%s: SIOCGIFFLAGS: %v", name, err)
	}
	it.flags = ifr.Uint16()
	if ifr, err := c.ioctl(name, unix.SIOCGIFMTU, nil); err == nil {
		it.mtu = ifr.Uint32()
	}
	for _, g := range []struct {
		req uint
		dst *netip.Addr
	}{{unix.SIOCGIFADDR, &it.addr}, {unix.SIOCGIFNETMASK, &it.mask}, {unix.SIOCGIFBRDADDR, &it.bcast}} {
		ifr, err := c.ioctl(name, g.req, nil)
		if err != nil {
			continue // EADDRNOTAVAIL: no address
		}
		if b, err := ifr.Inet4Addr(); err == nil {
			*g.dst = netip.AddrFrom4([4]byte(b))
		}
	}
	it.hw = c.hwaddr(name)
	return it, nil
}

// ifreqHW is struct ifreq holding a struct sockaddr, which unix.Ifreq has
// no accessor for.
type ifreqHW struct {
	name   [unix.IFNAMSIZ]byte
	family uint16
	data   [14]byte
	_      [8]byte
}

// hwaddr is the interface's link address for Ethernet (ARPHRD_ETHER), nil
// otherwise.
func (c ctl) hwaddr(name string) []byte {
	var r ifreqHW
	copy(r.name[:], name)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(c.fd), unix.SIOCGIFHWADDR, uintptr(unsafe.Pointer(&r)))
	if errno != 0 || r.family != unix.ARPHRD_ETHER {
		return nil
	}
	return r.data[:6]
}

func (c ctl) setAddr(name string, req uint, a netip.Addr) error {
	_, err := c.ioctl(name, req, func(ifr *unix.Ifreq) error { return ifr.SetInet4Addr(a.AsSlice()) })
	return err
}

func (c ctl) setMTU(name string, mtu uint32) error {
	_, err := c.ioctl(name, unix.SIOCSIFMTU, func(ifr *unix.Ifreq) error { ifr.SetUint32(mtu); return nil })
	return err
}

// setUp sets or clears IFF_UP, keeping the other flags.
func (c ctl) setUp(name string, up bool) error {
	ifr, err := c.ioctl(name, unix.SIOCGIFFLAGS, nil)
	if err != nil {
		return err
	}
	fl := ifr.Uint16()
	if up {
		fl |= unix.IFF_UP
	} else {
		fl &^= unix.IFF_UP
	}
	_, err = c.ioctl(name, unix.SIOCSIFFLAGS, func(ifr *unix.Ifreq) error { ifr.SetUint16(fl); return nil })
	return err
}
