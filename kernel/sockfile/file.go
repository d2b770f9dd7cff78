// Package sockfile joins kernel/net's sockets to the file layer: File
// makes a socket.Socket an open file (read, write, close, poll, fstat,
// FIONREAD), and the rest of the package decodes and encodes what the
// socket system calls pass in user memory (sockaddr_in, msghdr and its
// iovecs, socket option values) as pure functions on bytes, tested on the
// host, so that the system calls themselves only copy bytes in and out.
package sockfile

import (
	"context"
	"sync/atomic"
	"time"

	"scone/kernel/file"
	"scone/kernel/net/socket"
	"scone/kernel/net/stack"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// File is a socket as an open file. The description's O_NONBLOCK decides
// whether a call may block: the system calls pass it in.
type File struct {
	s   socket.Socket
	st  *stack.Stack // for the interface and route ioctls; may be nil
	ino uint64
}

// sockIno numbers sockets as Linux's sockfs does: each its own inode.
var sockIno atomic.Uint64

// New returns the file for s, a socket of st (nil if there is none:
// the interface ioctls then fail with ENOTTY). Closing the file closes s.
func New(s socket.Socket, st *stack.Stack) *File { return &File{s: s, st: st, ino: sockIno.Add(1)} }

// Stack returns the stack the socket belongs to (nil if unknown).
func (f *File) Stack() *stack.Stack { return f.st }

// Socket returns the socket, for the calls only sockets have.
func (f *File) Socket() socket.Socket { return f.s }

// Read is read(2): recv with no flags (EOF is 0 bytes).
func (f *File) Read(ctx context.Context, p []byte, nonblock bool) (int, error) {
	bufs := [1][]byte{p}
	n, _, _, err := f.s.RecvMsg(ctx, bufs[:], dontWait(nonblock), nil)
	return n, err
}

// Write is write(2): send to the connected peer, no flags. EPIPE is
// returned as is; raising SIGPIPE is the system call's job.
func (f *File) Write(ctx context.Context, p []byte, nonblock bool) (int, error) {
	bufs := [1][]byte{p}
	return f.s.SendMsg(ctx, bufs[:], tcpip.FullAddr{}, dontWait(nonblock), nil)
}

// RecvMsg is recvmsg(2) with the description's O_NONBLOCK folded in.
func (f *File) RecvMsg(ctx context.Context, bufs [][]byte, flags int, nonblock bool, ctl *socket.Control) (int, tcpip.FullAddr, int, error) {
	return f.s.RecvMsg(ctx, bufs, flags|dontWait(nonblock), ctl)
}

// SendMsg is sendmsg(2) with the description's O_NONBLOCK folded in.
func (f *File) SendMsg(ctx context.Context, bufs [][]byte, to tcpip.FullAddr, flags int, nonblock bool, o *tcpip.SendOptions) (int, error) {
	return f.s.SendMsg(ctx, bufs, to, flags|dontWait(nonblock), o)
}

// Accept is accept4(2) on the socket; the new socket's file is New(s).
func (f *File) Accept(ctx context.Context, nonblock bool) (socket.Socket, tcpip.FullAddr, error) {
	f.s.SetNonblocking(nonblock)
	return f.s.Accept(ctx)
}

// Connect is connect(2): non-blocking, it returns EINPROGRESS and poll
// reports POLLOUT when the handshake ends (SO_ERROR tells how).
func (f *File) Connect(ctx context.Context, addr tcpip.FullAddr, nonblock bool) error {
	f.s.SetNonblocking(nonblock)
	return f.s.Connect(ctx, addr)
}

func dontWait(nonblock bool) int {
	if nonblock {
		return socket.MsgDontWait
	}
	return 0
}

// Close closes the socket (a FIN, or a RST with unread data, for TCP).
func (f *File) Close() error { return f.s.Close() }

// Readiness and Waiter make the file pollable (poll, select, epoll).
func (f *File) Readiness(mask waiter.Events) waiter.Events { return f.s.Readiness(mask) }

// Waiter returns the socket's queue.
func (f *File) Waiter() *waiter.Queue { return f.s.Waiter() }

// Buffered is FIONREAD (SIOCINQ).
func (f *File) Buffered() int { return f.s.Buffered() }

// Stat describes the socket as Linux's sockfs does: S_IFSOCK, mode 0777.
func (f *File) Stat() (file.Stat, error) {
	now := time.Now().UnixNano()
	return file.Stat{Ino: f.ino, Mode: file.S_IFSOCK | 0o777, Nlink: 1, BlkSize: 4096,
		Atime: now, Mtime: now, Ctime: now}, nil
}

var (
	_ file.File    = (*File)(nil)
	_ file.Stream  = (*File)(nil)
	_ file.Stater  = (*File)(nil)
	_ file.Ioctler = (*File)(nil)
)
