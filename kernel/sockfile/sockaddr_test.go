package sockfile

import (
	"bytes"
	"encoding/binary"
	"syscall"
	"testing"

	"scone/kernel/net/tcpip"
)

// sa builds a sockaddr of n bytes with the given family, port and address.
func sa(n int, family uint16, port uint16, a tcpip.Addr) []byte {
	b := make([]byte, max(n, 16))
	binary.LittleEndian.PutUint16(b, family)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:], a[:])
	return b[:n]
}

var a1 = tcpip.AddrFrom4(10, 0, 0, 1)

func TestBindAddr(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want tcpip.FullAddr
		err  error
	}{
		{"inet", sa(16, syscall.AF_INET, 80, a1), tcpip.FullAddr{Addr: a1, Port: 80}, nil},
		{"longer", sa(28, syscall.AF_INET, 80, a1), tcpip.FullAddr{Addr: a1, Port: 80}, nil},
		{"short", sa(15, syscall.AF_INET, 80, a1), tcpip.FullAddr{}, syscall.EINVAL},
		{"short-inet6", sa(8, syscall.AF_INET6, 80, a1), tcpip.FullAddr{}, syscall.EINVAL},
		{"inet6", sa(28, syscall.AF_INET6, 80, a1), tcpip.FullAddr{}, syscall.EAFNOSUPPORT},
		{"unspec-any", sa(16, syscall.AF_UNSPEC, 80, tcpip.Addr{}), tcpip.FullAddr{Port: 80}, nil},
		{"unspec-addr", sa(16, syscall.AF_UNSPEC, 80, a1), tcpip.FullAddr{}, syscall.EAFNOSUPPORT},
	} {
		got, err := BindAddr(tc.b)
		if got != tc.want || err != tc.err {
			t.Errorf("%s: BindAddr = %v, %v; want %v, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestConnectAddr(t *testing.T) {
	for _, tc := range []struct {
		name       string
		b          []byte
		want       tcpip.FullAddr
		disconnect bool
		err        error
	}{
		{"inet", sa(16, syscall.AF_INET, 7, a1), tcpip.FullAddr{Addr: a1, Port: 7}, false, nil},
		{"one-byte", sa(1, syscall.AF_INET, 7, a1), tcpip.FullAddr{}, false, syscall.EINVAL},
		{"unspec-short", sa(2, syscall.AF_UNSPEC, 0, tcpip.Addr{}), tcpip.FullAddr{}, true, nil},
		{"short", sa(8, syscall.AF_INET, 7, a1), tcpip.FullAddr{}, false, syscall.EINVAL},
		{"inet6", sa(28, syscall.AF_INET6, 7, a1), tcpip.FullAddr{}, false, syscall.EAFNOSUPPORT},
	} {
		got, disc, err := ConnectAddr(tc.b)
		if got != tc.want || disc != tc.disconnect || err != tc.err {
			t.Errorf("%s: ConnectAddr = %v, %v, %v; want %v, %v, %v", tc.name, got, disc, err, tc.want, tc.disconnect, tc.err)
		}
	}
}

func TestSendAddr(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want tcpip.FullAddr
		err  error
	}{
		{"inet", sa(16, syscall.AF_INET, 9, a1), tcpip.FullAddr{Addr: a1, Port: 9}, nil},
		{"unspec-as-inet", sa(16, syscall.AF_UNSPEC, 9, a1), tcpip.FullAddr{Addr: a1, Port: 9}, nil},
		{"short", sa(12, syscall.AF_INET, 9, a1), tcpip.FullAddr{}, syscall.EINVAL},
		{"unix", sa(16, syscall.AF_UNIX, 9, a1), tcpip.FullAddr{}, syscall.EAFNOSUPPORT},
	} {
		got, err := SendAddr(tc.b)
		if got != tc.want || err != tc.err {
			t.Errorf("%s: SendAddr = %v, %v; want %v, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestOutAddr(t *testing.T) {
	a := tcpip.FullAddr{Addr: a1, Port: 0x1234}
	full := []byte{2, 0, 0x12, 0x34, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, tc := range []struct {
		bufLen int32
		want   []byte
		err    error
	}{
		{16, full, nil},
		{128, full, nil},
		{4, full[:4], nil},
		{0, full[:0], nil},
		{-1, nil, syscall.EINVAL},
	} {
		out, n, err := OutAddr(a, tc.bufLen)
		if !bytes.Equal(out, tc.want) || err != tc.err || (err == nil && n != 16) {
			t.Errorf("OutAddr(len %d) = %v, %d, %v; want %v, 16, %v", tc.bufLen, out, n, err, tc.want, tc.err)
		}
	}
}

func TestParseMsghdr(t *testing.T) {
	b := make([]byte, MsghdrLen)
	le := binary.LittleEndian
	le.PutUint64(b[0:], 0x1000)
	le.PutUint32(b[8:], 16)
	le.PutUint64(b[16:], 0x2000)
	le.PutUint64(b[24:], 3)
	le.PutUint64(b[32:], 0x3000)
	le.PutUint64(b[40:], 64)
	le.PutUint32(b[48:], 0x40)
	m, err := ParseMsghdr(b)
	want := Msghdr{Name: 0x1000, NameLen: 16, Iov: 0x2000, IovLen: 3, Control: 0x3000, ControlLen: 64, Flags: 0x40}
	if err != nil || m != want {
		t.Fatalf("ParseMsghdr = %+v, %v; want %+v", m, err, want)
	}
	le.PutUint64(b[24:], IovMax+1)
	if _, err := ParseMsghdr(b); err != syscall.EMSGSIZE {
		t.Errorf("msg_iovlen %d: %v, want EMSGSIZE", IovMax+1, err)
	}
	if _, err := ParseMsghdr(b[:MsghdrLen-1]); err != syscall.EFAULT {
		t.Errorf("short msghdr: %v, want EFAULT", err)
	}
	if f := RecvFlags(syscall.MSG_PEEK | syscall.MSG_CMSG_CLOEXEC | syscall.MSG_WAITALL); f != syscall.MSG_PEEK|syscall.MSG_WAITALL {
		t.Errorf("RecvFlags kept %#x", f)
	}
}
