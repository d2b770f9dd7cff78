package sys

import (
	"encoding/binary"
	"syscall"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
	"scone/kernel/proc"
	"scone/kernel/sockfile"
)

// sendto, recvfrom, sendmsg and recvmsg. Stream data moves through a
// kernel buffer a chunk at a time, as read and write do; a datagram is
// copied whole (one that cannot be an IPv4 datagram is EMSGSIZE).

func init() {
	Register(unix.SYS_SENDTO, "sendto", sysSendto)
	Register(unix.SYS_RECVFROM, "recvfrom", sysRecvfrom)
	Register(unix.SYS_SENDMSG, "sendmsg", sysSendmsg)
	Register(unix.SYS_RECVMSG, "recvmsg", sysRecvmsg)
}

// maxDatagram is the most a datagram's payload can be.
const maxDatagram = 65535

func sysSendto(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	to, err := destination(t, f, a[4], a[5])
	if err != nil {
		return 0, err
	}
	iov := []iovec{{a[1], int(min(a[2], maxRWSize))}}
	return send(t, d, f, iov, to, int(int32(a[3])), nil)
}

func sysSendmsg(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	m, err := msghdrIn(t, a[1])
	if err != nil {
		return 0, err
	}
	var to tcpip.FullAddr
	if m.Name != 0 {
		if to, err = destination(t, f, m.Name, uintptr(m.NameLen)); err != nil {
			return 0, err
		}
	}
	iov, err := iovecs(t, m.Iov, uintptr(m.IovLen))
	if err != nil {
		return 0, err
	}
	o, err := controlIn(t, f, m)
	if err != nil {
		return 0, err
	}
	return send(t, d, f, iov, to, int(int32(a[2])), o)
}

// maxControl bounds sendmsg's ancillary data, as Linux's optmem_max
// bounds the buffer it copies it into (ENOBUFS beyond).
const maxControl = 128 << 10

// controlIn copies in sendmsg's ancillary data, as Linux does before the
// protocol looks at it (a bad msg_control is EFAULT), and checks it as
// Linux's protocols do (sockfile.ParseSendControl: EINVAL). It returns
// what the IP messages ask of a datagram (IP_TTL, IP_TOS, IP_PKTINFO),
// nil if nothing.
func controlIn(t *proc.Thread, f *sockfile.File, m sockfile.Msghdr) (*tcpip.SendOptions, error) {
	if m.ControlLen == 0 {
		return nil, nil
	}
	if m.ControlLen > maxControl {
		return nil, syscall.ENOBUFS
	}
	b := make([]byte, m.ControlLen)
	if err := t.Mem().CopyIn(b, m.Control); err != nil {
		return nil, err
	}
	return sockfile.ParseSendControl(b, f.Socket().Type() == socket.Datagram)
}

func msghdrIn(t *proc.Thread, va uintptr) (sockfile.Msghdr, error) {
	var b [sockfile.MsghdrLen]byte
	if err := t.Mem().CopyIn(b[:], va); err != nil {
		return sockfile.Msghdr{}, err
	}
	return sockfile.ParseMsghdr(b[:])
}

// destination decodes a send's address; a stream socket ignores it, as
// Linux's TCP does (the length is still checked).
func destination(t *proc.Thread, f *sockfile.File, va, n uintptr) (tcpip.FullAddr, error) {
	if va == 0 {
		return tcpip.FullAddr{}, nil
	}
	b, err := addrIn(t, va, n)
	if err != nil || f.Socket().Type() == socket.Stream {
		return tcpip.FullAddr{}, err
	}
	return sockfile.SendAddr(b)
}

// iovTotal checks the buffers are user memory and returns their length.
func iovTotal(iov []iovec) (int, error) {
	total := 0
	for _, v := range iov {
		if err := accessOK(v.base, uintptr(v.len)); err != nil {
			return 0, err
		}
		total += v.len
	}
	return total, nil
}

// send sends the user buffers iov to to, a datagram with the IP
// settings o (nil for the socket's). EPIPE raises SIGPIPE unless
// MSG_NOSIGNAL, as Linux.
func send(t *proc.Thread, d *file.Description, f *sockfile.File, iov []iovec, to tcpip.FullAddr, flags int, o *tcpip.SendOptions) (uintptr, error) {
	total, err := iovTotal(iov)
	if err != nil {
		return 0, err
	}
	flags = sockfile.SendFlags(flags)
	s := f.Socket()
	_, sendTO := s.Timeouts()
	fail := func(err error) (uintptr, error) {
		if err == syscall.EPIPE && flags&unix.MSG_NOSIGNAL == 0 {
			t.Signal(sigpipe)
		}
		return 0, restartable(err, sendTO != 0)
	}
	if s.Type() == socket.Datagram {
		if total > maxDatagram {
			return 0, syscall.EMSGSIZE
		}
		buf := make([]byte, total)
		if err := gather(t, iov, 0, buf); err != nil {
			return 0, err
		}
		n, err := f.SendMsg(t.Ctx(), [][]byte{buf}, to, flags, nonblocking(d), o)
		if err != nil {
			return fail(err)
		}
		return uintptr(n), nil
	}
	done := 0
	buf := make([]byte, min(total, chunk))
	for {
		b := buf[:min(total-done, chunk)]
		if err := gather(t, iov, done, b); err != nil {
			if done > 0 {
				break
			}
			return 0, err
		}
		n, err := f.SendMsg(t.Ctx(), [][]byte{b}, to, flags, nonblocking(d), nil)
		done += n
		if err != nil {
			if done > 0 {
				break
			}
			return fail(err)
		}
		if n < len(b) || done == total {
			break
		}
	}
	return uintptr(done), nil
}

// recv receives into the user buffers iov and returns the count (with
// MSG_TRUNC on a datagram socket, the datagram's length), the sender of a
// datagram and the result's flags; ctl, if not nil, gets the datagram's
// ancillary data.
func recv(t *proc.Thread, d *file.Description, f *sockfile.File, iov []iovec, flags int, ctl *socket.Control) (int, tcpip.FullAddr, int, error) {
	total, err := iovTotal(iov)
	if err != nil {
		return 0, tcpip.FullAddr{}, 0, err
	}
	flags = sockfile.RecvFlags(flags)
	s := f.Socket()
	recvTO, _ := s.Timeouts()
	if s.Type() == socket.Datagram {
		buf := make([]byte, min(total, maxDatagram))
		n, from, rflags, err := f.RecvMsg(t.Ctx(), [][]byte{buf}, flags, nonblocking(d), ctl)
		if err != nil {
			return 0, tcpip.FullAddr{}, 0, restartable(err, recvTO != 0)
		}
		if err := scatter(t, iov, 0, buf[:min(n, len(buf))]); err != nil {
			return 0, tcpip.FullAddr{}, 0, err
		}
		return n, from, rflags, nil
	}
	done := 0
	buf := make([]byte, min(total, chunk))
	for done < total {
		b := buf[:min(total-done, chunk)]
		short := false // b cut to what was queued
		if flags&(unix.MSG_PEEK|unix.MSG_TRUNC) == 0 {
			take, err := streamTake(t, d, f, iov, done, len(b), flags)
			if err != nil {
				if done > 0 {
					break
				}
				return 0, tcpip.FullAddr{}, 0, restartable(err, recvTO != 0)
			}
			if take == 0 {
				break // the end of the stream
			}
			short = take < len(b)
			b = b[:take]
		}
		n, _, _, err := f.RecvMsg(t.Ctx(), [][]byte{b}, flags, nonblocking(d), nil)
		if n > 0 && flags&unix.MSG_TRUNC == 0 {
			if cerr := scatter(t, iov, done, b[:n]); cerr != nil {
				return 0, tcpip.FullAddr{}, 0, cerr
			}
		}
		done += n
		if err != nil {
			if done > 0 {
				break
			}
			return 0, tcpip.FullAddr{}, 0, restartable(err, recvTO != 0)
		}
		if n < len(b) || n == 0 || flags&unix.MSG_PEEK != 0 || short && flags&unix.MSG_WAITALL == 0 {
			break
		}
		if flags&unix.MSG_WAITALL == 0 {
			flags |= unix.MSG_DONTWAIT // take what is there, never wait for more
		}
	}
	return done, tcpip.FullAddr{}, 0, nil
}

// streamTake is how many of the n bytes at byte at of the buffers a
// stream receive may take: TCP must not consume bytes it then cannot
// copy out (Linux leaves them queued and fails with EFAULT). It waits
// for data without taking any (a one-byte peek) when none is queued,
// then allows what is queued, up to n, if the buffers can hold all of
// it, else fails with EFAULT. Only the bytes about to be copied are
// checked, so a large buffer is not faulted in for a small read. It
// returns 0 at the end of the stream.
func streamTake(t *proc.Thread, d *file.Description, f *sockfile.File, iov []iovec, at, n, flags int) (int, error) {
	avail := f.Buffered()
	if avail == 0 {
		var one [1]byte
		got, _, _, err := f.RecvMsg(t.Ctx(), [][]byte{one[:]}, (flags|unix.MSG_PEEK)&^unix.MSG_WAITALL, nonblocking(d), nil)
		if err != nil || got == 0 {
			return 0, err
		}
		avail = max(f.Buffered(), got)
	}
	take := min(avail, n)
	if writable(t, iov, at, take) < take {
		return 0, syscall.EFAULT
	}
	return take, nil
}

// writable is how many of the n bytes at byte at of the buffers' join
// are writable user memory, from the start.
func writable(t *proc.Thread, iov []iovec, at, n int) int {
	return accessible(t, iov, at, n, true)
}

// readable is writable for reading: how many of the n bytes at byte at
// of the buffers' join can be copied in, from the start.
func readable(t *proc.Thread, iov []iovec, at, n int) int {
	return accessible(t, iov, at, n, false)
}

func accessible(t *proc.Thread, iov []iovec, at, n int, write bool) int {
	done := 0
	for _, v := range iov {
		if done == n {
			break
		}
		if at >= v.len {
			at -= v.len
			continue
		}
		want := min(v.len-at, n-done)
		ok := t.Mem().Accessible(v.base+uintptr(at), want, write)
		done += ok
		if ok < want {
			break
		}
		at = 0
	}
	return done
}

func sysRecvfrom(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	addrVA, lenp := a[4], a[5]
	iov := []iovec{{a[1], int(min(a[2], maxRWSize))}}
	n, from, _, err := recv(t, d, f, iov, int(int32(a[3])), nil)
	if err != nil {
		return 0, err
	}
	// The address's pointers are read only now, as Linux's
	// move_addr_to_user: EAGAIN comes first, and a bad one fails the
	// call after the datagram was taken.
	if addrVA != 0 {
		bufLen, err := addrLenIn(t, lenp)
		switch {
		case err != nil:
			return 0, err
		case f.Socket().Type() == socket.Stream:
			err = putU32(t, lenp, 0) // TCP gives no address, as Linux's
		default:
			err = addrOut(t, from, addrVA, lenp, bufLen)
		}
		if err != nil {
			return 0, err
		}
	}
	return uintptr(n), nil
}

func sysRecvmsg(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	m, err := msghdrIn(t, a[1])
	if err != nil {
		return 0, err
	}
	iov, err := iovecs(t, m.Iov, uintptr(m.IovLen))
	if err != nil {
		return 0, err
	}
	var ctl socket.Control
	n, from, rflags, err := recv(t, d, f, iov, int(int32(a[2])), &ctl)
	if err != nil {
		return 0, err
	}
	// Write back the name's length (0 for TCP), the ancillary data
	// (IP_RECVTTL's) and the result's flags.
	nameLen := uint32(0)
	if m.Name != 0 && f.Socket().Type() == socket.Datagram {
		out, full, err := sockfile.OutAddr(from, int32(min(m.NameLen, sockfile.MaxAddrLen)))
		if err != nil {
			return 0, err
		}
		if err := t.Mem().CopyOut(m.Name, out); err != nil {
			return 0, err
		}
		nameLen = full
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:], nameLen)
	if err := t.Mem().CopyOut(a[1]+sockfile.MsghdrNameLenOff, b[:4]); err != nil {
		return 0, err
	}
	room := m.ControlLen
	if m.Control == 0 {
		room = 0 // a null msg_control holds nothing, as Linux's put_cmsg
	}
	cmsg, ctrunc := sockfile.EncodeControl(ctl, room)
	if ctrunc {
		rflags |= unix.MSG_CTRUNC
	}
	if len(cmsg) > 0 && t.Mem().CopyOut(m.Control, cmsg) != nil {
		// Linux's put_cmsg fails quietly: the data is delivered and
		// msg_controllen says no control message was stored.
		cmsg = nil
	}
	binary.LittleEndian.PutUint64(b[:], uint64(len(cmsg)))
	if err := t.Mem().CopyOut(a[1]+sockfile.MsghdrControlLenOff, b[:]); err != nil {
		return 0, err
	}
	binary.LittleEndian.PutUint32(b[:], uint32(rflags))
	if err := t.Mem().CopyOut(a[1]+sockfile.MsghdrFlagsOff, b[:4]); err != nil {
		return 0, err
	}
	return uintptr(n), nil
}
