package sys

import (
	"bytes"
	"encoding/binary"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/tty"
)

func TestTTYIoctls(t *testing.T) {
	p := newFileProc(t)
	var out bytes.Buffer
	term := tty.New(&out, nil)
	fd, err := p.th.Proc().Files.Install(file.NewDescription(term.Open(file.Mkdev(5, 1)), file.O_RDWR), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	tfd := uintptr(fd)
	// TCGETS fills Linux's struct termios, as x/sys/unix decodes it.
	p.must(unix.SYS_IOCTL, tfd, unix.TCGETS, p.buf)
	var tm unix.Termios
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&tm)), unsafe.Sizeof(tm)), p.get(0, int(unsafe.Sizeof(tm))))
	if tm.Lflag&unix.ICANON == 0 || tm.Lflag&unix.ECHO == 0 || tm.Cc[unix.VINTR] != 3 || tm.Cc[unix.VMIN] != 1 {
		t.Fatalf("termios %+v", tm)
	}
	// TCSETS into raw mode.
	tm.Lflag &^= unix.ICANON | unix.ECHO
	p.put(100, unsafe.Slice((*byte)(unsafe.Pointer(&tm)), tty.TermiosSize))
	p.must(unix.SYS_IOCTL, tfd, unix.TCSETS, p.buf+100)
	if term.Termios().Lflag&tty.ICANON != 0 {
		t.Fatal("TCSETS did not leave canonical mode")
	}
	// TIOCGWINSZ.
	p.must(unix.SYS_IOCTL, tfd, unix.TIOCGWINSZ, p.buf+200)
	if ws := p.get(200, 4); binary.LittleEndian.Uint16(ws) != 24 || binary.LittleEndian.Uint16(ws[2:]) != 80 {
		t.Fatalf("winsize % x", ws)
	}
	// Job control: not our session's terminal yet.
	if _, e := p.call(unix.SYS_IOCTL, tfd, unix.TIOCGPGRP, p.buf+300); e != syscall.ENOTTY {
		t.Fatalf("TIOCGPGRP without a controlling terminal: %v", e)
	}
	pid := p.th.Proc().PID
	if _, sid := p.th.Proc().Groups(); sid != pid {
		if _, err := p.th.Proc().Setsid(); err != nil {
			t.Fatal(err)
		}
	}
	p.must(unix.SYS_IOCTL, tfd, unix.TIOCSCTTY, 0)
	p.must(unix.SYS_IOCTL, tfd, unix.TIOCGPGRP, p.buf+300)
	if g := binary.LittleEndian.Uint32(p.get(300, 4)); int(g) != pid {
		t.Fatalf("foreground group %d, want %d", g, pid)
	}
	p.put(400, []byte{0x39, 0x30, 0, 0}) // 12345: no such group
	if _, e := p.call(unix.SYS_IOCTL, tfd, unix.TIOCSPGRP, p.buf+400); e != syscall.ESRCH {
		t.Fatalf("TIOCSPGRP to a missing group: %v", e)
	}
	p.must(unix.SYS_IOCTL, tfd, unix.TIOCSPGRP, p.buf+300)
	if _, e := p.call(unix.SYS_IOCTL, tfd, unix.TIOCGPGRP, 0x10); e != syscall.EFAULT {
		t.Fatalf("TIOCGPGRP to a bad pointer: %v", e)
	}
	// FIONREAD counts typed input; a plain file gives ENOTTY for TCGETS.
	term.Input([]byte("abc"))
	p.must(unix.SYS_IOCTL, tfd, fionread, p.buf+500)
	if n := binary.LittleEndian.Uint32(p.get(500, 4)); n != 3 {
		t.Fatalf("FIONREAD = %d", n)
	}
	f := p.must(unix.SYS_OPEN, p.str(600, "/f"), unix.O_RDWR|unix.O_CREAT, 0o644)
	if _, e := p.call(unix.SYS_IOCTL, f, unix.TCGETS, p.buf); e != syscall.ENOTTY {
		t.Fatalf("TCGETS on a file: %v", e)
	}
	// write goes to the terminal with ONLCR.
	p.must(unix.SYS_WRITE, tfd, p.put(700, []byte("hi\n")), 3)
	if out.String() != "hi\r\n" {
		t.Fatalf("terminal output %q", out.String())
	}
}
