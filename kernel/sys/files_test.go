package sys

import (
	"bytes"
	"encoding/binary"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/file/diskfs"
	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
	"scone/kernel/mem"
	"scone/kernel/proc"
)

// fileProc is a process over a fresh RAM file system, with a scratch page
// of user memory at buf.
type fileProc struct {
	t   *testing.T
	th  *proc.Thread
	buf uintptr
}

func newFileProc(t *testing.T) *fileProc {
	t.Helper()
	dev := fsdev.NewMem(2048)
	if _, err := fs.Format(dev, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	disk, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := file.NewNamespace(diskfs.New(disk))
	if err != nil {
		t.Fatal(err)
	}
	proc.NewPageTable = func() (mem.PageTable, error) { return mem.NewFake(), nil }
	th, err := proc.NewProcess(file.NewTable(), ns.NewContext())
	if err != nil {
		t.Fatal(err)
	}
	va, err := th.Mem().Mmap(0, 16*mem.PageSize, mem.ProtRead|mem.ProtWrite, mem.MapPrivate|mem.MapAnonymous, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &fileProc{t: t, th: th, buf: va}
}

// str puts a NUL-terminated string in user memory at offset off of the
// scratch area and returns its address.
func (p *fileProc) str(off uintptr, s string) uintptr {
	if err := p.th.Mem().CopyOut(p.buf+off, append([]byte(s), 0)); err != nil {
		p.t.Fatal(err)
	}
	return p.buf + off
}

func (p *fileProc) put(off uintptr, b []byte) uintptr {
	if err := p.th.Mem().CopyOut(p.buf+off, b); err != nil {
		p.t.Fatal(err)
	}
	return p.buf + off
}

func (p *fileProc) get(off uintptr, n int) []byte {
	b := make([]byte, n)
	if err := p.th.Mem().CopyIn(b, p.buf+off); err != nil {
		p.t.Fatal(err)
	}
	return b
}

// call runs system call nr and returns RAX as a result or an errno.
func (p *fileProc) call(nr uintptr, args ...uintptr) (uintptr, syscall.Errno) {
	r := &p.th.Regs
	var a [6]uintptr
	copy(a[:], args)
	r.RAX, r.RDI, r.RSI, r.RDX, r.R10, r.R8, r.R9 = uint64(nr), uint64(a[0]), uint64(a[1]), uint64(a[2]), uint64(a[3]), uint64(a[4]), uint64(a[5])
	r.RIP = 0x1002
	Dispatch(p.th)
	if v := int64(r.RAX); v < 0 && v > -4096 {
		return 0, syscall.Errno(-v)
	}
	return uintptr(r.RAX), 0
}

func (p *fileProc) must(nr uintptr, args ...uintptr) uintptr {
	p.t.Helper()
	v, e := p.call(nr, args...)
	if e != 0 {
		p.t.Fatalf("syscall %d: %v", nr, e)
	}
	return v
}

func TestFileCalls(t *testing.T) {
	p := newFileProc(t)
	path := p.str(0, "/f")
	fd := p.must(unix.SYS_OPENAT, atFDCWD, path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if fd != 0 {
		t.Fatalf("first fd = %d", fd)
	}
	if v := p.must(unix.SYS_FCNTL, fd, unix.F_GETFD); v != unix.FD_CLOEXEC {
		t.Fatalf("F_GETFD = %d", v)
	}
	msg := p.put(100, []byte("hello, world"))
	if n := p.must(unix.SYS_WRITE, fd, msg, 12); n != 12 {
		t.Fatalf("write = %d", n)
	}
	if off := p.must(unix.SYS_LSEEK, fd, 7, unix.SEEK_SET); off != 7 {
		t.Fatalf("lseek = %d", off)
	}
	if n := p.must(unix.SYS_READ, fd, p.buf+200, 100); n != 5 || string(p.get(200, 5)) != "world" {
		t.Fatalf("read = %d %q", n, p.get(200, 5))
	}
	// readv into two buffers.
	iov := make([]byte, 32)
	binary.LittleEndian.PutUint64(iov[0:], uint64(p.buf+300))
	binary.LittleEndian.PutUint64(iov[8:], 3)
	binary.LittleEndian.PutUint64(iov[16:], uint64(p.buf+400))
	binary.LittleEndian.PutUint64(iov[24:], 20)
	p.must(unix.SYS_LSEEK, fd, 0, unix.SEEK_SET)
	if n := p.must(unix.SYS_READV, fd, p.put(500, iov), 2); n != 12 || string(p.get(300, 3))+string(p.get(400, 9)) != "hello, world" {
		t.Fatalf("readv = %d", n)
	}
	if n := p.must(unix.SYS_PREAD64, fd, p.buf+600, 4, 3); n != 4 || string(p.get(600, 4)) != "lo, " {
		t.Fatalf("pread = %d %q", n, p.get(600, 4))
	}
	if n := p.must(unix.SYS_PREADV, fd, p.buf+500, 2, 7); n != 5 || string(p.get(300, 3))+string(p.get(400, 2)) != "world" {
		t.Fatalf("preadv = %d", n)
	}
	if off := p.must(unix.SYS_LSEEK, fd, 0, unix.SEEK_CUR); off != 12 {
		t.Fatalf("preadv moved the offset to %d", off)
	}
	// fstat through Linux's struct stat.
	p.must(unix.SYS_FSTAT, fd, p.buf+1000)
	var st unix.Stat_t
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st)), p.get(1000, int(unsafe.Sizeof(st))))
	if st.Size != 12 || st.Mode != unix.S_IFREG|0o644 || st.Nlink != 1 || st.Blksize != 4096 {
		t.Fatalf("fstat: %+v", st)
	}
	// dup and the shared offset.
	fd2 := p.must(unix.SYS_DUP, fd)
	p.must(unix.SYS_LSEEK, fd2, 2, unix.SEEK_SET)
	if off := p.must(unix.SYS_LSEEK, fd, 0, unix.SEEK_CUR); off != 2 {
		t.Fatalf("offset after dup's seek = %d", off)
	}
	if v := p.must(unix.SYS_FCNTL, fd2, unix.F_GETFD); v != 0 {
		t.Fatal("dup copied FD_CLOEXEC")
	}
	// x86-64 Linux forces O_LARGEFILE (0x8000; x/sys/unix calls it 0 there).
	if v := p.must(unix.SYS_FCNTL, fd, unix.F_GETFL); v != unix.O_RDWR|0x8000 {
		t.Fatalf("F_GETFL = %#x", v)
	}
	p.must(unix.SYS_CLOSE, fd)
	if _, e := p.call(unix.SYS_CLOSE, fd); e != syscall.EBADF {
		t.Fatalf("double close: %v", e)
	}
	// Directories, getdents64 decoded by x/sys/unix, getcwd.
	p.must(unix.SYS_MKDIRAT, atFDCWD, p.str(0, "/d"), 0o755)
	p.must(unix.SYS_MKDIR, p.str(0, "/d/sub"), 0o755)
	p.must(unix.SYS_CHDIR, p.str(0, "/d/sub"))
	if n := p.must(unix.SYS_GETCWD, p.buf+100, 100); n != 7 || string(p.get(100, 7)) != "/d/sub\x00" {
		t.Fatalf("getcwd = %d %q", n, p.get(100, 7))
	}
	if _, e := p.call(unix.SYS_GETCWD, p.buf+100, 3); e != syscall.ERANGE {
		t.Fatalf("getcwd with a short buffer: %v", e)
	}
	dfd := p.must(unix.SYS_OPEN, p.str(0, ".."), unix.O_RDONLY|unix.O_DIRECTORY)
	n := p.must(unix.SYS_GETDENTS64, dfd, p.buf+1000, 4096)
	names := []string{}
	_, _, names = unix.ParseDirent(p.get(1000, int(n)), -1, names)
	if len(names) != 1 || names[0] != "sub" { // ParseDirent skips . and ..
		t.Fatalf("getdents64 names %q", names)
	}
	if n := p.must(unix.SYS_GETDENTS64, dfd, p.buf+1000, 4096); n != 0 {
		t.Fatalf("getdents64 at the end = %d", n)
	}
	p.must(unix.SYS_LSEEK, dfd, 0, unix.SEEK_SET)
	if _, e := p.call(unix.SYS_GETDENTS64, dfd, p.buf+1000, 10); e != syscall.EINVAL {
		t.Fatalf("getdents64 into 10 bytes: %v", e)
	}
	// newfstatat relative to a directory fd, and AT_EMPTY_PATH.
	p.must(unix.SYS_NEWFSTATAT, dfd, p.str(0, "sub"), p.buf+1000, 0)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st)), p.get(1000, int(unsafe.Sizeof(st))))
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Fatalf("fstatat(dfd, sub) mode %o", st.Mode)
	}
	p.must(unix.SYS_NEWFSTATAT, dfd, p.str(0, ""), p.buf+1000, atEmptyPath)
	if _, e := p.call(unix.SYS_NEWFSTATAT, dfd, p.str(0, ""), p.buf+1000, 0); e != syscall.ENOENT {
		t.Fatalf("empty path without AT_EMPTY_PATH: %v", e)
	}
	if _, e := p.call(unix.SYS_OPENAT, fd2, p.str(0, "x"), unix.O_RDONLY); e != syscall.ENOTDIR {
		t.Fatalf("openat relative to a file: %v", e)
	}
	// unlinkat, renameat, symlink, readlink.
	p.must(unix.SYS_SYMLINKAT, p.str(0, "/f"), atFDCWD, p.str(100, "/l"))
	if n := p.must(unix.SYS_READLINK, p.str(0, "/l"), p.buf+200, 1); n != 1 || p.get(200, 1)[0] != '/' {
		t.Fatalf("readlink truncated = %d", n)
	}
	p.must(unix.SYS_RENAMEAT, atFDCWD, p.str(0, "/l"), atFDCWD, p.str(100, "/l2"))
	p.must(unix.SYS_UNLINKAT, atFDCWD, p.str(0, "/l2"), 0)
	if _, e := p.call(unix.SYS_UNLINKAT, atFDCWD, p.str(0, "/d"), 0); e != syscall.EISDIR {
		t.Fatalf("unlink of a directory: %v", e)
	}
	p.must(unix.SYS_UNLINKAT, atFDCWD, p.str(0, "/d/sub"), atRemovedir)
	if _, e := p.call(unix.SYS_FACCESSAT2, atFDCWD, p.str(0, "/f"), unix.X_OK, 0); e != syscall.EACCES {
		t.Fatalf("X_OK on a 0644 file: %v", e)
	}
	p.must(unix.SYS_FCHMODAT, atFDCWD, p.str(0, "/f"), 0o755)
	p.must(unix.SYS_ACCESS, p.str(0, "/f"), unix.X_OK)
}

// statx is compared with the stat of the same file field by field.
func TestStatx(t *testing.T) {
	p := newFileProc(t)
	fd := p.must(unix.SYS_OPEN, p.str(0, "/f"), unix.O_RDWR|unix.O_CREAT, 0o640)
	p.must(unix.SYS_WRITE, fd, p.put(100, bytes.Repeat([]byte{1}, 5000)), 5000)
	p.must(unix.SYS_STATX, atFDCWD, p.str(0, "/f"), 0, unix.STATX_BASIC_STATS, p.buf+1000)
	var sx unix.Statx_t
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&sx)), unsafe.Sizeof(sx)), p.get(1000, int(unsafe.Sizeof(sx))))
	p.must(unix.SYS_STAT, p.str(0, "/f"), p.buf+2000)
	var st unix.Stat_t
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st)), p.get(2000, int(unsafe.Sizeof(st))))
	if sx.Mask != unix.STATX_BASIC_STATS || sx.Size != 5000 || uint64(sx.Size) != uint64(st.Size) ||
		uint32(sx.Mode) != st.Mode || sx.Ino != st.Ino || uint64(sx.Nlink) != st.Nlink ||
		int64(sx.Blocks) != st.Blocks || sx.Mtime.Sec != st.Mtim.Sec || int64(sx.Mtime.Nsec) != st.Mtim.Nsec ||
		unix.Mkdev(sx.Dev_major, sx.Dev_minor) != st.Dev || sx.Blksize != uint32(st.Blksize) {
		t.Fatalf("statx %+v\nstat %+v", sx, st)
	}
	if unsafe.Sizeof(sx) != statxSize || unsafe.Sizeof(st) != statSize {
		t.Fatalf("sizes: statx %d, stat %d", unsafe.Sizeof(sx), unsafe.Sizeof(st))
	}
}

// Every pointer argument is checked: a bad one is EFAULT, never a panic.
func TestFileCallsEFAULT(t *testing.T) {
	p := newFileProc(t)
	fd := p.must(unix.SYS_OPEN, p.str(0, "/f"), unix.O_RDWR|unix.O_CREAT, 0o644)
	p.must(unix.SYS_WRITE, fd, p.put(100, []byte("data")), 4)
	p.must(unix.SYS_LSEEK, fd, 0, 0)
	dfd := p.must(unix.SYS_OPEN, p.str(0, "/"), unix.O_RDONLY)
	efd := p.must(unix.SYS_EPOLL_CREATE1, 0)
	bad := uintptr(0x10) // unmapped
	eofDir := p.must(unix.SYS_OPEN, p.str(0, "/"), unix.O_RDONLY)
	for p.must(unix.SYS_GETDENTS64, eofDir, p.buf+4096, 4096) > 0 {
	}
	eofFile := p.must(unix.SYS_OPEN, p.str(0, "/f"), unix.O_RDONLY)
	p.must(unix.SYS_LSEEK, eofFile, 0, unix.SEEK_END)
	kernelIov := make([]byte, 16)
	binary.LittleEndian.PutUint64(kernelIov, 0xffff800000001000)
	binary.LittleEndian.PutUint64(kernelIov[8:], 4)
	cases := []struct {
		name string
		nr   uintptr
		args []uintptr
	}{
		{"read", unix.SYS_READ, []uintptr{fd, bad, 4}},
		{"write", unix.SYS_WRITE, []uintptr{fd, bad, 4}},
		{"readv", unix.SYS_READV, []uintptr{fd, bad, 1}},
		{"writev", unix.SYS_WRITEV, []uintptr{fd, bad, 1}},
		{"pread64", unix.SYS_PREAD64, []uintptr{fd, bad, 4, 0}},
		{"pwrite64", unix.SYS_PWRITE64, []uintptr{fd, bad, 4, 0}},
		{"open", unix.SYS_OPEN, []uintptr{bad, 0, 0}},
		{"openat", unix.SYS_OPENAT, []uintptr{atFDCWD, bad, 0, 0}},
		{"stat path", unix.SYS_STAT, []uintptr{bad, p.buf}},
		{"stat buf", unix.SYS_STAT, []uintptr{p.str(0, "/f"), bad}},
		{"lstat", unix.SYS_LSTAT, []uintptr{p.str(0, "/f"), bad}},
		{"fstat", unix.SYS_FSTAT, []uintptr{fd, bad}},
		{"newfstatat", unix.SYS_NEWFSTATAT, []uintptr{atFDCWD, p.str(0, "/f"), bad, 0}},
		{"statx", unix.SYS_STATX, []uintptr{atFDCWD, p.str(0, "/f"), 0, 0x7ff, bad}},
		{"getdents64", unix.SYS_GETDENTS64, []uintptr{dfd, bad, 4096}},
		{"mkdir", unix.SYS_MKDIR, []uintptr{bad, 0o755}},
		{"unlink", unix.SYS_UNLINK, []uintptr{bad}},
		{"rename", unix.SYS_RENAME, []uintptr{p.str(0, "/f"), bad}},
		{"link", unix.SYS_LINK, []uintptr{bad, p.str(0, "/g")}},
		{"symlink", unix.SYS_SYMLINK, []uintptr{bad, p.str(0, "/g")}},
		{"readlink", unix.SYS_READLINK, []uintptr{bad, p.buf, 10}},
		{"chdir", unix.SYS_CHDIR, []uintptr{bad}},
		{"getcwd", unix.SYS_GETCWD, []uintptr{bad, 100}},
		{"access", unix.SYS_ACCESS, []uintptr{bad, 0}},
		{"chmod", unix.SYS_CHMOD, []uintptr{bad, 0o644}},
		{"utimensat", unix.SYS_UTIMENSAT, []uintptr{atFDCWD, p.str(0, "/f"), bad, 0}},
		{"truncate", unix.SYS_TRUNCATE, []uintptr{bad, 0}},
		{"pipe2", unix.SYS_PIPE2, []uintptr{bad, 0}},
		{"poll", unix.SYS_POLL, []uintptr{bad, 1, 0}},
		{"ppoll", unix.SYS_PPOLL, []uintptr{p.buf, 0, bad, 0, 8}},
		{"pselect6", unix.SYS_PSELECT6, []uintptr{1, bad, 0, 0, 0, 0}},
		{"epoll_ctl", unix.SYS_EPOLL_CTL, []uintptr{efd, unix.EPOLL_CTL_ADD, 0, bad}},
		{"preadv", unix.SYS_PREADV, []uintptr{fd, bad, 1, 0}},
		{"pwritev", unix.SYS_PWRITEV, []uintptr{fd, bad, 1, 0}},
		{"preadv2", unix.SYS_PREADV2, []uintptr{fd, bad, 1, 0, 0, 0}},
		// Linux's access_ok: a kernel or non-canonical buffer is EFAULT
		// even where nothing would be copied (the directory and file are at
		// their end).
		{"getdents64 at the end, kernel address", unix.SYS_GETDENTS64, []uintptr{eofDir, 0xffff800000001000, 4096}},
		{"getdents64 at the end, non-canonical", unix.SYS_GETDENTS64, []uintptr{eofDir, 1 << 63, 4096}},
		{"read at EOF, kernel address", unix.SYS_READ, []uintptr{eofFile, 0xffff800000001000, 4}},
		{"readv at EOF, kernel base", unix.SYS_READV, []uintptr{eofFile, p.put(3000, kernelIov), 1}},
		{"ioctl FIONBIO", unix.SYS_IOCTL, []uintptr{fd, fionbio, bad}},
		{"ioctl FIONREAD", unix.SYS_IOCTL, []uintptr{fd, fionread, bad}},
	}
	for _, tc := range cases {
		if _, e := p.call(tc.nr, tc.args...); e != syscall.EFAULT {
			t.Errorf("%s with a bad pointer: %v, want EFAULT", tc.name, e)
		}
	}
	// pipe2 with a bad pointer leaves no descriptors behind.
	if fd := p.must(unix.SYS_DUP, 0); fd != 5 {
		t.Errorf("after a failed pipe2 the next fd is %d, want 5", fd)
	}
}

func TestPipeAndEpollCalls(t *testing.T) {
	p := newFileProc(t)
	p.must(unix.SYS_PIPE2, p.buf, unix.O_NONBLOCK)
	fds := p.get(0, 8)
	r, w := uintptr(binary.LittleEndian.Uint32(fds)), uintptr(binary.LittleEndian.Uint32(fds[4:]))
	if r != 0 || w != 1 {
		t.Fatalf("pipe2 fds %d %d", r, w)
	}
	if _, e := p.call(unix.SYS_READ, r, p.buf+100, 10); e != syscall.EAGAIN {
		t.Fatalf("read of an empty non-blocking pipe: %v", e)
	}
	ep := p.must(unix.SYS_EPOLL_CREATE1, unix.EPOLL_CLOEXEC)
	ev := make([]byte, 12)
	binary.LittleEndian.PutUint32(ev, unix.EPOLLIN|unix.EPOLLET)
	binary.LittleEndian.PutUint64(ev[4:], 0xdeadbeef)
	p.must(unix.SYS_EPOLL_CTL, ep, unix.EPOLL_CTL_ADD, r, p.put(200, ev))
	if _, e := p.call(unix.SYS_EPOLL_CTL, ep, unix.EPOLL_CTL_ADD, r, p.buf+200); e != syscall.EEXIST {
		t.Fatalf("second add: %v", e)
	}
	f := p.must(unix.SYS_OPEN, p.str(300, "/f"), unix.O_RDWR|unix.O_CREAT, 0o644)
	if _, e := p.call(unix.SYS_EPOLL_CTL, ep, unix.EPOLL_CTL_ADD, f, p.buf+200); e != syscall.EPERM {
		t.Fatalf("epoll of a regular file: %v, want EPERM", e)
	}
	if n := p.must(unix.SYS_EPOLL_PWAIT, ep, p.buf+400, 8, 0, 0, 0); n != 0 {
		t.Fatalf("epoll_wait on an empty pipe = %d", n)
	}
	p.must(unix.SYS_WRITE, w, p.put(500, []byte("x")), 1)
	if n := p.must(unix.SYS_EPOLL_WAIT, ep, p.buf+400, 8, 0); n != 1 {
		t.Fatalf("epoll_wait = %d", n)
	}
	got := p.get(400, 12)
	if binary.LittleEndian.Uint32(got) != unix.EPOLLIN || binary.LittleEndian.Uint64(got[4:]) != 0xdeadbeef {
		t.Fatalf("epoll event %x", got)
	}
	// poll: the pipe's read end readable, the write end writable, a bad fd POLLNVAL.
	pfd := make([]byte, 24)
	for i, fd := range []int32{int32(r), int32(w), 99} {
		binary.LittleEndian.PutUint32(pfd[8*i:], uint32(fd))
		binary.LittleEndian.PutUint16(pfd[8*i+4:], unix.POLLIN|unix.POLLOUT)
	}
	if n := p.must(unix.SYS_POLL, p.put(600, pfd), 3, 0); n != 3 {
		t.Fatalf("poll = %d", n)
	}
	out := p.get(600, 24)
	revs := []uint16{binary.LittleEndian.Uint16(out[6:]), binary.LittleEndian.Uint16(out[14:]), binary.LittleEndian.Uint16(out[22:])}
	if revs[0] != unix.POLLIN || revs[1] != unix.POLLOUT || revs[2] != unix.POLLNVAL {
		t.Fatalf("poll revents %#x", revs)
	}
	// A closed read end: the writer gets EPIPE (and SIGPIPE).
	p.must(unix.SYS_CLOSE, r)
	if _, e := p.call(unix.SYS_WRITE, w, p.buf+500, 1); e != syscall.EPIPE {
		t.Fatalf("write with no reader: %v", e)
	}
	if p.th.Pending()&(1<<(sigpipe-1)) == 0 {
		t.Fatal("no SIGPIPE pending after EPIPE")
	}
	// eventfd2: counter semantics through read and write.
	efd := p.must(unix.SYS_EVENTFD2, 5, unix.EFD_NONBLOCK)
	if n := p.must(unix.SYS_READ, efd, p.buf+700, 8); n != 8 || binary.LittleEndian.Uint64(p.get(700, 8)) != 5 {
		t.Fatalf("eventfd read %d", n)
	}
	if _, e := p.call(unix.SYS_EVENTFD2, 0, 0x40); e != syscall.EINVAL {
		t.Fatalf("eventfd2 with a bad flag: %v", e)
	}
}

func TestSendfileAndCopyFileRange(t *testing.T) {
	p := newFileProc(t)
	src := p.must(unix.SYS_OPEN, p.str(0, "/src"), unix.O_RDWR|unix.O_CREAT, 0o644)
	p.must(unix.SYS_WRITE, src, p.put(100, []byte("0123456789")), 10)
	p.must(unix.SYS_PIPE2, p.buf+200, 0)
	r := uintptr(binary.LittleEndian.Uint32(p.get(200, 4)))
	w := uintptr(binary.LittleEndian.Uint32(p.get(204, 4)))
	// sendfile at an explicit offset: the offset is updated, the file's is not.
	off := p.put(300, []byte{2, 0, 0, 0, 0, 0, 0, 0})
	if n := p.must(unix.SYS_SENDFILE, w, src, off, 5); n != 5 {
		t.Fatalf("sendfile = %d", n)
	}
	if got := binary.LittleEndian.Uint64(p.get(300, 8)); got != 7 {
		t.Fatalf("sendfile offset = %d", got)
	}
	if n := p.must(unix.SYS_READ, r, p.buf+400, 100); n != 5 || string(p.get(400, 5)) != "23456" {
		t.Fatalf("pipe got %q", p.get(400, int(n)))
	}
	if _, e := p.call(unix.SYS_SENDFILE, src, r, 0, 5); e != syscall.EINVAL {
		t.Fatalf("sendfile from a pipe: %v", e)
	}
	// copy_file_range with the descriptions' offsets.
	dst := p.must(unix.SYS_OPEN, p.str(0, "/dst"), unix.O_RDWR|unix.O_CREAT, 0o644)
	p.must(unix.SYS_LSEEK, src, 4, unix.SEEK_SET)
	if n := p.must(unix.SYS_COPY_FILE_RANGE, src, 0, dst, 0, 100, 0); n != 6 {
		t.Fatalf("copy_file_range = %d", n)
	}
	if n := p.must(unix.SYS_PREAD64, dst, p.buf+500, 100, 0); string(p.get(500, int(n))) != "456789" {
		t.Fatalf("copied %q", p.get(500, int(n)))
	}
	if _, e := p.call(unix.SYS_COPY_FILE_RANGE, src, 0, w, 0, 1, 0); e != syscall.EINVAL {
		t.Fatalf("copy_file_range to a pipe: %v", e)
	}
	if _, e := p.call(unix.SYS_SENDFILE, w, src, 0x10, 1); e != syscall.EFAULT {
		t.Fatalf("sendfile with a bad offset pointer: %v", e)
	}
}

func TestRenameat2AndLinkat(t *testing.T) {
	p := newFileProc(t)
	for _, name := range []string{"/a", "/b"} {
		fd := p.must(unix.SYS_OPEN, p.str(0, name), unix.O_WRONLY|unix.O_CREAT, 0o644)
		p.must(unix.SYS_WRITE, fd, p.put(100, []byte(name)), 2)
	}
	if _, e := p.call(unix.SYS_RENAMEAT2, atFDCWD, p.str(0, "/a"), atFDCWD, p.str(100, "/b"), unix.RENAME_NOREPLACE); e != syscall.EEXIST {
		t.Fatalf("RENAME_NOREPLACE over a file: %v", e)
	}
	p.must(unix.SYS_RENAMEAT2, atFDCWD, p.str(0, "/a"), atFDCWD, p.str(100, "/b"), unix.RENAME_EXCHANGE)
	fd := p.must(unix.SYS_OPEN, p.str(0, "/a"), unix.O_RDONLY)
	if n := p.must(unix.SYS_READ, fd, p.buf+200, 10); string(p.get(200, int(n))) != "/b" {
		t.Fatalf("after RENAME_EXCHANGE /a holds %q", p.get(200, int(n)))
	}
	for _, flags := range []uintptr{unix.RENAME_WHITEOUT, unix.RENAME_NOREPLACE | unix.RENAME_EXCHANGE} {
		if _, e := p.call(unix.SYS_RENAMEAT2, atFDCWD, p.str(0, "/a"), atFDCWD, p.str(100, "/c"), flags); e != syscall.EINVAL {
			t.Errorf("renameat2 flags %#x: %v, want EINVAL", flags, e)
		}
	}
	// linkat: without AT_SYMLINK_FOLLOW the link itself gets a new name.
	p.must(unix.SYS_SYMLINK, p.str(0, "/a"), p.str(100, "/s"))
	p.must(unix.SYS_LINKAT, atFDCWD, p.str(0, "/s"), atFDCWD, p.str(100, "/s2"), 0)
	p.must(unix.SYS_LINKAT, atFDCWD, p.str(0, "/s"), atFDCWD, p.str(100, "/a2"), unix.AT_SYMLINK_FOLLOW)
	p.must(unix.SYS_LSTAT, p.str(0, "/s2"), p.buf+300)
	if mode := binary.LittleEndian.Uint32(p.get(300+24, 4)); mode&unix.S_IFMT != unix.S_IFLNK {
		t.Errorf("linkat without follow made mode %o", mode)
	}
	p.must(unix.SYS_LSTAT, p.str(0, "/a2"), p.buf+300)
	if mode, nlink := binary.LittleEndian.Uint32(p.get(300+24, 4)), binary.LittleEndian.Uint64(p.get(300+16, 8)); mode&unix.S_IFMT != unix.S_IFREG || nlink != 2 {
		t.Errorf("linkat with AT_SYMLINK_FOLLOW: mode %o nlink %d", mode, nlink)
	}
	if _, e := p.call(unix.SYS_LINKAT, atFDCWD, p.str(0, "/a"), atFDCWD, p.str(100, "/x"), unix.AT_EMPTY_PATH); e != syscall.EINVAL {
		t.Errorf("linkat AT_EMPTY_PATH: %v", e)
	}
}

// ppoll's mask is in force during the wait; a signal it lets in ends the
// wait with EINTR and keeps that mask until the handler has run, as
// rt_sigsuspend does; without one the old mask is back at once.
func TestPpollSigmask(t *testing.T) {
	p := newFileProc(t)
	const usr1 = 10
	blocked := uint64(1) << (usr1 - 1)
	p.th.Sigprocmask(2, &blocked)
	p.put(0, make([]byte, 8)) // the wait's mask: nothing blocked
	ts := p.put(100, make([]byte, 16))
	if _, e := p.call(unix.SYS_PPOLL, 0, 0, ts, p.buf, 8); e != 0 {
		t.Fatalf("ppoll with nothing pending: %v", e)
	}
	if m, _ := p.th.Sigprocmask(0, nil); m != blocked {
		t.Fatalf("mask after a quiet ppoll %#x, want %#x", m, blocked)
	}
	p.th.Signal(usr1) // pending, blocked by the thread's mask
	if _, e := p.call(unix.SYS_PPOLL, 0, 0, 0, p.buf, 8); e != syscall.EINTR {
		t.Fatalf("ppoll that lets a pending signal in: %v, want EINTR", e)
	}
	if m, _ := p.th.Sigprocmask(0, nil); m != 0 {
		t.Fatalf("mask after an interrupted ppoll %#x, want the wait's (0) until the handler", m)
	}
	if _, e := p.call(unix.SYS_PPOLL, 0, 0, ts, p.buf, 4); e != syscall.EINVAL {
		t.Fatalf("ppoll with sigsetsize 4: %v", e)
	}
}
