package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPty opens a pseudo-terminal pair.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminals: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// A console reads what the shell writes to the terminal.
type console struct {
	t   *testing.T
	out chan []byte
	buf bytes.Buffer
}

// expect reads the terminal until want appears, for at most 10 s.
func (c *console) expect(want string) {
	c.t.Helper()
	if !c.poll(want, 10*time.Second) {
		c.t.Fatalf("no %q within 10 s; saw %q", want, c.buf.String())
	}
}

// poll reads the terminal until want appears (consuming up to it) or d
// passes.
func (c *console) poll(want string, d time.Duration) bool {
	deadline := time.After(d)
	for !bytes.Contains(c.buf.Bytes(), []byte(want)) {
		select {
		case b, ok := <-c.out:
			if !ok {
				c.t.Fatalf("terminal closed waiting for %q; saw %q", want, c.buf.String())
			}
			c.buf.Write(b)
		case <-deadline:
			return false
		}
	}
	i := bytes.Index(c.buf.Bytes(), []byte(want))
	c.buf.Next(i + len(want))
	return true
}

// TestInterrupt runs the shell on a terminal as init does (a new session,
// the terminal controlling): ^C stops the foreground job and not the
// shell, which prompts again; a background job survives the ^C.
func TestInterrupt(t *testing.T) {
	m, s := openPty(t)
	defer m.Close()
	cmd := exec.Command(shBin)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	c := &console{t: t, out: make(chan []byte, 64)}
	go func() {
		defer close(c.out)
		for {
			b := make([]byte, 512)
			n, err := m.Read(b)
			if err != nil {
				return
			}
			c.out <- b[:n]
		}
	}()
	c.expect("$ ")
	m.WriteString("sleep 30 &\n")
	c.expect("$ ")
	// The job's own "ready" proves it owns the terminal (the child takes
	// it before exec), so exactly one ^C must end it.  Repeated ^Cs were
	// racy: the tty flushes on ISIG, and one reaching the shell as the
	// job ended lost "status 130" under load.
	m.WriteString(shBin + " -c 'echo ready; sleep 30'; echo status $?\n")
	c.expect("\nready\r\n")
	m.WriteString("\x03")
	c.expect("status 130")
	c.expect("$ ")
	m.WriteString("jobs\n")
	c.expect("Running")
	m.WriteString("\x03")
	m.WriteString("echo alive\n")
	c.expect("alive")
	m.WriteString("exit 9\n")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the shell did not exit")
	}
	if cmd.ProcessState.ExitCode() != 9 {
		t.Errorf("exit status %d, want 9", cmd.ProcessState.ExitCode())
	}
}
