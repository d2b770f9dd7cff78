package sockfile

import (
	"context"
	"encoding/binary"
	"math/bits"
	"syscall"

	"scone/kernel/file"
	"scone/kernel/net/ipv4"
	"scone/kernel/net/stack"
	"scone/kernel/net/tcpip"
)

// The interface ioctls of netdevice(7) and the route ioctls of route(8)
// on an AF_INET socket, as busybox-style ifconfig and route use them.
// Linux's numbers and structure layouts (x86-64).
const (
	SIOCADDRT      = 0x890b
	SIOCDELRT      = 0x890c
	SIOCGIFFLAGS   = 0x8913
	SIOCSIFFLAGS   = 0x8914
	SIOCGIFADDR    = 0x8915
	SIOCSIFADDR    = 0x8916
	SIOCGIFBRDADDR = 0x8919
	SIOCGIFNETMASK = 0x891b
	SIOCSIFNETMASK = 0x891c
	SIOCGIFMTU     = 0x8921
	SIOCSIFMTU     = 0x8922
	SIOCGIFHWADDR  = 0x8927
	SIOCGIFINDEX   = 0x8933

	IfreqLen   = 40  // struct ifreq: a 16-byte name, then a 24-byte union
	RtentryLen = 120 // struct rtentry

	iffUp        = 0x1
	iffBroadcast = 0x2
	iffLoopback  = 0x8
	iffRunning   = 0x40
	iffMulticast = 0x1000
	arphrdEther  = 1
	arphrdLoop   = 772
	rtfUp        = 0x1
	rtfGateway   = 0x2
	rtfHost      = 0x4
)

// NeedsAdmin reports whether cmd changes the machine's network
// configuration, which Linux allows only with CAP_NET_ADMIN: the caller
// (kernel/sys) refuses it with EPERM unless the effective user is root.
func NeedsAdmin(cmd uint32) bool {
	switch cmd {
	case SIOCADDRT, SIOCDELRT, SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFMTU:
		return true
	}
	return false
}

// Ioctl is ioctl(2) on a socket: the interface and route requests over
// the socket's stack; anything else is ENOTTY. It does not check
// privilege (see NeedsAdmin).
func (f *File) Ioctl(_ context.Context, m file.Memory, cmd uint32, arg uintptr) (uintptr, error) {
	if f.st == nil {
		return 0, syscall.ENOTTY
	}
	switch cmd {
	case SIOCADDRT, SIOCDELRT:
		var b [RtentryLen]byte
		if err := m.CopyIn(b[:], arg); err != nil {
			return 0, err
		}
		dev := ""
		if va := uintptr(binary.LittleEndian.Uint64(b[88:])); va != 0 {
			var name [16]byte
			for i := range name { // a C string of at most IFNAMSIZ bytes
				if err := m.CopyIn(name[i:i+1], va+uintptr(i)); err != nil {
					return 0, err
				}
				if name[i] == 0 {
					dev = string(name[:i])
					break
				}
			}
		}
		return 0, RouteIoctl(f.st, cmd, b[:], dev)
	}
	var b [IfreqLen]byte
	if err := m.CopyIn(b[:], arg); err != nil {
		return 0, err
	}
	if err := IfreqIoctl(f.st, cmd, b[:]); err != nil {
		return 0, err
	}
	return 0, m.CopyOut(arg, b[:])
}

// IfreqIoctl carries out an interface request on ifr, a struct ifreq,
// filling in the answer of a get.
func IfreqIoctl(st *stack.Stack, cmd uint32, ifr []byte) error {
	name := ifr[:16]
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	var nic stack.NICInfo
	found := false
	for _, n := range st.NICs() {
		if n.Name == string(name) {
			nic, found = n, true
		}
	}
	if !found {
		return syscall.ENODEV
	}
	u := ifr[16:]
	var in [IfreqLen - 16]byte // what a set request carries
	copy(in[:], u)
	clear(u)
	putAddr := func(a tcpip.Addr) {
		sa := PutSockaddrIn(tcpip.FullAddr{Addr: a})
		copy(u, sa[:])
	}
	hasAddr := !nic.Addr.IsUnspecified()
	switch cmd {
	case SIOCGIFFLAGS:
		var flags uint16
		if nic.Up {
			flags = iffUp | iffRunning
		}
		if nic.Loopback {
			flags |= iffLoopback
		} else {
			flags |= iffBroadcast | iffMulticast
		}
		binary.LittleEndian.PutUint16(u, flags)
	case SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR:
		if !hasAddr {
			return syscall.EADDRNOTAVAIL
		}
		switch cmd {
		case SIOCGIFADDR:
			putAddr(nic.Addr)
		case SIOCGIFNETMASK:
			putAddr(nic.Subnet.Mask())
		default:
			if !nic.Loopback {
				putAddr(nic.Subnet.Broadcast())
			} else {
				putAddr(tcpip.Addr{})
			}
		}
	case SIOCGIFMTU:
		binary.LittleEndian.PutUint32(u, uint32(nic.MTU))
	case SIOCGIFHWADDR:
		family := uint16(arphrdEther)
		if nic.Loopback {
			family = arphrdLoop
		}
		binary.LittleEndian.PutUint16(u, family)
		copy(u[2:], nic.MAC[:])
	case SIOCGIFINDEX:
		binary.LittleEndian.PutUint32(u, uint32(nic.ID+1)) // Linux numbers from 1 (lo)
	case SIOCSIFADDR, SIOCSIFNETMASK:
		return setIfAddr(st, nic, cmd, in[:])
	case SIOCSIFFLAGS:
		// IFF_UP brings the interface up or takes it down; the other
		// flags are the device's and stay as they are.
		copy(u, in[:])
		return st.SetUp(nic.ID, binary.LittleEndian.Uint16(in[:])&iffUp != 0)
	case SIOCSIFMTU:
		// ifr_mtu, an int: 68 up to what the device carries (EINVAL).
		copy(u, in[:])
		return st.SetMTU(nic.ID, int(int32(binary.LittleEndian.Uint32(in[:]))))
	default:
		return syscall.ENOTTY
	}
	return nil
}

// setIfAddr is SIOCSIFADDR (the new address keeps the interface's prefix,
// or takes its class's when it had none, as Linux) and SIOCSIFNETMASK (a
// contiguous mask, for the address the interface has).
func setIfAddr(st *stack.Stack, nic stack.NICInfo, cmd uint32, sa []byte) error {
	if binary.LittleEndian.Uint16(sa) != syscall.AF_INET {
		return syscall.EINVAL
	}
	a := decode(sa).Addr
	if cmd == SIOCSIFADDR {
		prefix := nic.Subnet.Bits
		if nic.Addr.IsUnspecified() {
			prefix = classPrefix(a)
		}
		return st.SetAddress(nic.ID, a, prefix)
	}
	if nic.Addr.IsUnspecified() {
		return syscall.EADDRNOTAVAIL
	}
	prefix, ok := maskLen(a)
	if !ok {
		return syscall.EINVAL
	}
	return st.SetAddress(nic.ID, nic.Addr, prefix)
}

// classPrefix is the classful prefix length of a (Linux's inet_abc_len).
func classPrefix(a tcpip.Addr) int {
	switch {
	case a[0] < 128:
		return 8
	case a[0] < 192:
		return 16
	}
	return 24
}

// maskLen returns the prefix length of a contiguous netmask.
func maskLen(m tcpip.Addr) (int, bool) {
	v := m.Uint32()
	n := bits.LeadingZeros32(^v)
	return n, v<<n == 0
}

// RouteIoctl is SIOCADDRT or SIOCDELRT with rt, a struct rtentry, and
// dev, the name its rt_dev points to ("" for none). Errors as Linux's:
// ENODEV for an unknown device, ENETUNREACH for a gateway (or, without
// one, a destination) on no attached subnet, EEXIST for a route already
// there, ESRCH for deleting one that is not, EINVAL for a mask that is
// not contiguous or a destination with host bits outside it.
func RouteIoctl(st *stack.Stack, cmd uint32, rt []byte, dev string) error {
	flags := binary.LittleEndian.Uint16(rt[56:])
	dst := decode(rt[8:24]).Addr
	gw := decode(rt[24:40]).Addr
	prefix := 32
	if flags&rtfHost == 0 {
		var ok bool
		if prefix, ok = maskLen(decode(rt[40:56]).Addr); !ok {
			return syscall.EINVAL
		}
	}
	dest := tcpip.SubnetOf(dst, prefix)
	if dest.Addr != dst {
		return syscall.EINVAL
	}
	if flags&rtfGateway == 0 {
		gw = tcpip.Addr{}
	}
	nics := st.NICs()
	id := -1
	for _, n := range nics {
		switch {
		case dev != "":
			if n.Name == dev {
				id = n.ID
			}
		case !gw.IsUnspecified():
			if !n.Addr.IsUnspecified() && n.Subnet.Contains(gw) {
				id = n.ID
			}
		case !n.Addr.IsUnspecified() && n.Subnet.Contains(dst) && !n.Loopback:
			id = n.ID
		}
	}
	if id < 0 {
		if dev != "" {
			return syscall.ENODEV
		}
		return syscall.ENETUNREACH
	}
	if cmd == SIOCDELRT {
		if !st.RemoveRoute(dest, id) {
			return syscall.ESRCH
		}
		return nil
	}
	for _, n := range nics {
		if n.ID == id && !n.Up {
			return syscall.ENETDOWN // as Linux's fib_check_nh
		}
		if n.ID == id && !gw.IsUnspecified() && (n.Addr.IsUnspecified() || !n.Subnet.Contains(gw)) {
			return syscall.ENETUNREACH
		}
	}
	for _, r := range st.Routes() {
		if r.Dest == dest && r.NIC == id {
			return syscall.EEXIST
		}
	}
	st.AddRoute(ipv4.RouteEntry{Dest: dest, Gateway: gw, NIC: id})
	return nil
}
