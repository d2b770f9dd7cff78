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

// TestTTYBackground: a read of the controlling terminal from a
// background group is EIO when SIGTTIN cannot stop it (ignored, or the
// group is orphaned, as this test's lone process is); a write passes
// unless TOSTOP, and then is EIO from an orphaned group but passes with
// SIGTTOU blocked; the foreground group reads and writes as ever.
func TestTTYBackground(t *testing.T) {
	p := newFileProc(t)
	var out bytes.Buffer
	term := tty.New(&out, nil)
	fd, err := p.th.Proc().Files.Install(file.NewDescription(term.Open(file.Mkdev(5, 1)), file.O_RDWR), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	tfd := uintptr(fd)
	if _, sid := p.th.Proc().Groups(); sid != p.th.Proc().PID {
		if _, err := p.th.Proc().Setsid(); err != nil {
			t.Fatal(err)
		}
	}
	p.must(unix.SYS_IOCTL, tfd, unix.TIOCSCTTY, 0)
	msg := p.put(0, []byte("hi\n"))
	term.Input([]byte("line\r"))
	if n := p.must(unix.SYS_READ, tfd, p.buf+64, 16); n != 5 {
		t.Fatalf("foreground read = %d", n)
	}
	term.SetForeground(99999) // another group holds the terminal
	term.Input([]byte("more\r"))
	if _, e := p.call(unix.SYS_READ, tfd, p.buf+64, 16); e != unix.EIO {
		t.Errorf("background read from an orphaned group: %v, want EIO", e)
	}
	if n, e := p.call(unix.SYS_WRITE, tfd, msg, 3); n != 3 || e != 0 {
		t.Errorf("background write without TOSTOP: %d, %v", n, e)
	}
	tm := term.Termios()
	tm.Lflag |= tty.TOSTOP
	term.SetTermios(tm, false)
	if _, e := p.call(unix.SYS_WRITE, tfd, msg, 3); e != unix.EIO {
		t.Errorf("background write under TOSTOP from an orphaned group: %v, want EIO", e)
	}
	p.put(128, []byte{0, 0, 0x20, 0, 0, 0, 0, 0}) // bit 21: SIGTTOU (22)
	p.must(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, p.buf+128, 0, 8)
	if n, e := p.call(unix.SYS_WRITE, tfd, msg, 3); n != 3 || e != 0 {
		t.Errorf("background write under TOSTOP with SIGTTOU blocked: %d, %v", n, e)
	}
	if out.String() != "line\r\nmore\r\nhi\r\nhi\r\n" { // echoes and the two writes that passed
		t.Errorf("terminal output %q", out.String())
	}
}
