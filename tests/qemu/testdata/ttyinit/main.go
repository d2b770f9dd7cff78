// Command ttyinit is /bin/init for tests/qemu's terminal test
// (tty_test.go): through the real serial port it reads an edited line in
// canonical mode, takes the console as its controlling terminal and gets
// SIGINT from ^C, then reads raw bytes after TCSETS, and reports each step
// on the console. It exits 42 when all went as Linux would have it.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func fail(format string, a ...any) {
	fmt.Printf("ttyinit: FAIL "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	// The kernel gave init fds 0-2 on /dev/console.
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err != nil {
		fail("TCGETS on fd 0: %v", err)
	}
	// Canonical mode: the test types "helx", DEL, "lo", "wor", ^U, "world", CR.
	fmt.Print("line> ")
	buf := make([]byte, 100)
	n, err := os.Stdin.Read(buf)
	if err != nil || string(buf[:n]) != "hello\n" {
		fail("first line %q, %v", buf[:n], err)
	}
	n, err = os.Stdin.Read(buf)
	if err != nil || string(buf[:n]) != "world\n" {
		fail("second line %q, %v", buf[:n], err)
	}
	fmt.Println("lines ok")
	// ^D on an empty line: a read of 0 bytes.
	fmt.Print("eof> ")
	if n, err = os.Stdin.Read(buf); n != 0 {
		fail("after ^D read %q, %v", buf[:n], err)
	}
	fmt.Println("eof ok")
	// Job control: init is a session leader (pid 1); take the terminal.
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		fail("TIOCSCTTY: %v", err)
	}
	pgrp, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	if err != nil || pgrp != os.Getpid() {
		fail("TIOCGPGRP = %d, %v", pgrp, err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT)
	fmt.Print("intr> ")
	select {
	case <-sigs:
	case <-time.After(30 * time.Second):
		fail("no SIGINT from ^C")
	}
	fmt.Println("sigint ok")
	// Raw mode: no echo, no line editing, no CR->NL; VMIN 3.
	t, _ := unix.IoctlGetTermios(0, unix.TCGETS)
	t.Lflag &^= unix.ICANON | unix.ECHO | unix.ISIG
	t.Iflag &^= unix.ICRNL
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 3, 0
	if err := unix.IoctlSetTermios(0, unix.TCSETS, t); err != nil {
		fail("TCSETS: %v", err)
	}
	fmt.Print("raw> ")
	got := []byte{}
	for len(got) < 3 {
		n, err := os.Stdin.Read(buf)
		if err != nil {
			fail("raw read: %v", err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "a\x7f\r" {
		fail("raw bytes %q", got)
	}
	fmt.Println("raw ok")
	ws, err := unix.IoctlGetWinsize(0, unix.TIOCGWINSZ)
	if err != nil || ws.Row == 0 || ws.Col == 0 {
		fail("TIOCGWINSZ %+v, %v", ws, err)
	}
	os.Exit(42)
}
