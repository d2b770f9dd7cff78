// Package tty is the terminal line discipline over the serial console:
// canonical line editing (erase, kill, word erase, end of file), echo,
// the signal characters (^C SIGINT and ^\ SIGQUIT to the foreground
// process group) and raw mode, as Linux's n_tty does. The device below is
// any byte stream (the UART driver, or a model of it in tests).
package tty

import (
	"context"
	"io"
	"sync"
	"syscall"
	"time"

	"scone/kernel/net/waiter"
)

// Signal numbers the discipline sends.
const (
	SIGHUP   = 1
	SIGINT   = 2
	SIGQUIT  = 3
	SIGCONT  = 18
	SIGTSTP  = 20
	SIGTTIN  = 21
	SIGTTOU  = 22
	SIGWINCH = 28
)

// lineMax is the longest line canonical mode keeps (N_TTY_BUF_SIZE - 1);
// more is dropped, as Linux does.
const lineMax = 4095

// inputMax bounds input waiting for a reader.
const inputMax = 1 << 16

// TTY is a terminal: input from the device goes through Input, output
// from programs through Write.
type TTY struct {
	out    io.Writer
	signal func(pgid, sig int)

	mu      sync.Mutex
	termios Termios
	winsize Winsize
	line    []byte // the canonical line being edited
	avail   []byte // input a read may take
	marks   []int  // canonical: ends of lines in avail (an EOF is an empty line)
	fg      int    // foreground process group
	sid     int    // the session it controls, 0 for none
	q       waiter.Queue
	outMu   sync.Mutex // keeps each write's bytes together
}

// New returns a terminal writing to out (raw: output processing happens
// here) and delivering signals through signal.
func New(out io.Writer, signal func(pgid, sig int)) *TTY {
	return &TTY{out: out, signal: signal, termios: DefaultTermios(), winsize: Winsize{Row: 24, Col: 80}}
}

// Run feeds the terminal from the device until it fails.
func (t *TTY) Run(in io.Reader) error {
	buf := make([]byte, 256)
	for {
		n, err := in.Read(buf)
		t.Input(buf[:n])
		if err != nil {
			return err
		}
	}
}

// Input runs bytes from the device through the line discipline.
func (t *TTY) Input(b []byte) {
	var echo []byte
	var sigs []int
	t.mu.Lock()
	for _, c := range b {
		echo, sigs = t.receive(c, echo, sigs)
	}
	fg := t.fg
	t.mu.Unlock()
	if len(echo) > 0 {
		t.output(echo)
	}
	for _, s := range sigs {
		if fg > 0 && t.signal != nil {
			t.signal(fg, s)
		}
	}
	t.q.Notify(waiter.EventIn)
}

// receive handles one input byte; t.mu is held. It returns the echo and
// signals to send so that they happen outside the lock.
func (t *TTY) receive(c byte, echo []byte, sigs []int) ([]byte, []int) {
	tm := &t.termios
	if tm.Iflag&ISTRIP != 0 {
		c &= 0x7f
	}
	switch {
	case c == '\r' && tm.Iflag&IGNCR != 0:
		return echo, sigs
	case c == '\r' && tm.Iflag&ICRNL != 0:
		c = '\n'
	case c == '\n' && tm.Iflag&INLCR != 0:
		c = '\r'
	}
	if tm.Lflag&ISIG != 0 {
		sig := 0
		switch c {
		case tm.CC[VINTR]:
			sig = SIGINT
		case tm.CC[VQUIT]:
			sig = SIGQUIT
		case tm.CC[VSUSP]:
			sig = SIGTSTP
		}
		if sig != 0 && c != 0 {
			if tm.Lflag&NOFLSH == 0 {
				t.line, t.avail, t.marks = t.line[:0], t.avail[:0], t.marks[:0]
			}
			return t.echoChar(echo, c), append(sigs, sig)
		}
	}
	if tm.Lflag&ICANON == 0 {
		if len(t.avail) < inputMax {
			t.avail = append(t.avail, c)
		}
		return t.echoChar(echo, c), sigs
	}
	switch {
	case c == tm.CC[VERASE] && c != 0:
		if n := len(t.line); n > 0 {
			t.line = t.line[:n-1]
			echo = t.rubout(echo)
		}
		return echo, sigs
	case c == tm.CC[VWERASE] && c != 0 && tm.Lflag&IEXTEN != 0:
		for len(t.line) > 0 && isSpace(t.line[len(t.line)-1]) {
			t.line = t.line[:len(t.line)-1]
			echo = t.rubout(echo)
		}
		for len(t.line) > 0 && !isSpace(t.line[len(t.line)-1]) {
			t.line = t.line[:len(t.line)-1]
			echo = t.rubout(echo)
		}
		return echo, sigs
	case c == tm.CC[VKILL] && c != 0:
		for len(t.line) > 0 {
			t.line = t.line[:len(t.line)-1]
			echo = t.rubout(echo)
		}
		return echo, sigs
	case c == tm.CC[VEOF] && c != 0:
		// The line so far becomes readable without a newline; on an empty
		// line, a read returns 0: end of file.
		t.finish()
		return echo, sigs
	case c == '\n' || (c == tm.CC[VEOL] && c != 0) || (c == tm.CC[VEOL2] && c != 0):
		t.line = append(t.line, c)
		t.finish()
		if tm.Lflag&(ECHO|ECHONL) != 0 {
			echo = append(echo, '\n')
		}
		return echo, sigs
	}
	if len(t.line) < lineMax {
		t.line = append(t.line, c)
		echo = t.echoChar(echo, c)
	}
	return echo, sigs
}

// finish moves the edited line to the readable input as one line.
func (t *TTY) finish() {
	if len(t.avail)+len(t.line) <= inputMax {
		t.avail = append(t.avail, t.line...)
		t.marks = append(t.marks, len(t.avail))
	}
	t.line = t.line[:0]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// echoChar echoes an input byte under ECHO, control characters as ^X
// under ECHOCTL (but tab and newline as themselves).
func (t *TTY) echoChar(echo []byte, c byte) []byte {
	tm := &t.termios
	if tm.Lflag&ECHO == 0 {
		return echo
	}
	if tm.Lflag&ECHOCTL != 0 && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n' {
		return append(echo, '^', c^0x40)
	}
	return append(echo, c)
}

// rubout erases one echoed character on the screen (ECHOE).
func (t *TTY) rubout(echo []byte) []byte {
	if t.termios.Lflag&ECHO == 0 || t.termios.Lflag&ECHOE == 0 {
		return echo
	}
	return append(echo, '\b', ' ', '\b')
}

// output writes program output or echo, with ONLCR under OPOST.
func (t *TTY) output(b []byte) {
	t.mu.Lock()
	post := t.termios.Oflag&OPOST != 0 && t.termios.Oflag&ONLCR != 0
	t.mu.Unlock()
	if post {
		nb := make([]byte, 0, len(b)+8)
		for _, c := range b {
			if c == '\n' {
				nb = append(nb, '\r')
			}
			nb = append(nb, c)
		}
		b = nb
	}
	t.outMu.Lock()
	t.out.Write(b)
	t.outMu.Unlock()
}

// Write is program output.
func (t *TTY) Write(ctx context.Context, b []byte, nonblock bool) (int, error) {
	t.output(b)
	return len(b), nil
}

// readable returns how many bytes a read may take now, and whether an
// end of file (an empty canonical line) is next; t.mu is held.
func (t *TTY) readable() (n int, eof bool) {
	if t.termios.Lflag&ICANON == 0 {
		return len(t.avail), false
	}
	if len(t.marks) == 0 {
		return 0, false
	}
	return t.marks[0], t.marks[0] == 0
}

// take removes n bytes of input (and a line mark they end); t.mu is held.
func (t *TTY) take(p []byte) int {
	n, _ := t.readable()
	n = min(n, len(p))
	copy(p, t.avail[:n])
	t.avail = append(t.avail[:0], t.avail[n:]...)
	if len(t.marks) > 0 {
		whole := t.marks[0] == n
		for i := range t.marks {
			t.marks[i] -= n
		}
		if whole {
			t.marks = t.marks[1:]
		}
	}
	return n
}

// Read returns input: in canonical mode at most one line (an empty line
// from ^D is end of file, 0); in raw mode following VMIN and VTIME.
func (t *TTY) Read(ctx context.Context, p []byte, nonblock bool) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	e, ch := waiter.NewChannelEntry(waiter.EventIn)
	t.q.Register(e)
	defer t.q.Unregister(e)
	var timer <-chan time.Time
	for {
		t.mu.Lock()
		n, eof := t.readable()
		canon := t.termios.Lflag&ICANON != 0
		vmin, vtime := int(t.termios.CC[VMIN]), time.Duration(t.termios.CC[VTIME])*100*time.Millisecond
		switch {
		case canon && (n > 0 || eof):
			got := t.take(p)
			t.mu.Unlock()
			return got, nil
		case !canon && (n >= max(min(vmin, len(p)), 1) || vmin == 0 && vtime == 0):
			got := t.take(p)
			t.mu.Unlock()
			return got, nil
		}
		t.mu.Unlock()
		if nonblock {
			return 0, syscall.EAGAIN
		}
		if !canon && vtime > 0 && timer == nil && (vmin == 0 || n > 0) {
			// VTIME: a timeout for the read (VMIN 0) or, once input has
			// begun, between bytes.
			tm := time.NewTimer(vtime)
			defer tm.Stop()
			timer = tm.C
		}
		select {
		case <-ch:
		case <-timer:
			t.mu.Lock()
			got := t.take(p)
			t.mu.Unlock()
			return got, nil
		case <-ctx.Done():
			return 0, syscall.EINTR
		}
	}
}

// Readiness is readable when a read would not block, always writable.
func (t *TTY) Readiness(mask waiter.Events) waiter.Events {
	t.mu.Lock()
	n, eof := t.readable()
	t.mu.Unlock()
	ev := waiter.EventOut
	if n > 0 || eof {
		ev |= waiter.EventIn
	}
	return ev & mask
}

// Waiter returns the queue readiness changes are announced on.
func (t *TTY) Waiter() *waiter.Queue { return &t.q }

// Buffered is FIONREAD: the bytes a read could take.
func (t *TTY) Buffered() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, _ := t.readable()
	return n
}

// Termios returns the settings (TCGETS).
func (t *TTY) Termios() Termios {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.termios
}

// SetTermios changes the settings (TCSETS); flush drops pending input
// (TCSETSF). Leaving canonical mode makes the line being edited readable,
// as Linux does.
func (t *TTY) SetTermios(tm Termios, flush bool) {
	t.mu.Lock()
	wasCanon := t.termios.Lflag&ICANON != 0
	t.termios = tm
	if flush {
		t.line, t.avail, t.marks = t.line[:0], t.avail[:0], t.marks[:0]
	}
	if wasCanon && tm.Lflag&ICANON == 0 {
		t.avail = append(t.avail, t.line...)
		t.line, t.marks = t.line[:0], t.marks[:0]
	}
	t.mu.Unlock()
	t.q.Notify(waiter.EventIn)
}

// Flush drops pending input (TCFLSH with TCIFLUSH or TCIOFLUSH).
func (t *TTY) Flush() {
	t.mu.Lock()
	t.line, t.avail, t.marks = t.line[:0], t.avail[:0], t.marks[:0]
	t.mu.Unlock()
}

// Winsize returns the window size (TIOCGWINSZ).
func (t *TTY) Winsize() Winsize {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.winsize
}

// SetWinsize sets it (TIOCSWINSZ); a change sends SIGWINCH to the
// foreground process group, as Linux's tty_do_resize.
func (t *TTY) SetWinsize(w Winsize) {
	t.mu.Lock()
	changed, fg := t.winsize != w, t.fg
	t.winsize = w
	t.mu.Unlock()
	if changed && fg > 0 && t.signal != nil {
		t.signal(fg, SIGWINCH)
	}
}

// Foreground returns the foreground process group (TIOCGPGRP).
func (t *TTY) Foreground() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fg
}

// SetForeground makes pgid the foreground process group (TIOCSPGRP).
func (t *TTY) SetForeground(pgid int) {
	t.mu.Lock()
	t.fg = pgid
	t.mu.Unlock()
}

// Session returns the session the terminal controls, 0 for none.
func (t *TTY) Session() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sid
}

// SetSession makes the terminal the controlling terminal of session sid
// with foreground group pgid (TIOCSCTTY), or of none (sid 0, TIOCNOTTY).
func (t *TTY) SetSession(sid, pgid int) {
	t.mu.Lock()
	t.sid, t.fg = sid, pgid
	t.mu.Unlock()
}

// LeaderExited is told that the leader of session sid has exited. If
// the terminal is that session's, it loses its session and the
// foreground group gets SIGHUP and then SIGCONT, as Linux's
// disassociate_ctty does for a controlling process.
func (t *TTY) LeaderExited(sid int) {
	t.mu.Lock()
	fg := t.fg
	mine := sid != 0 && t.sid == sid
	if mine {
		t.sid, t.fg = 0, 0
	}
	t.mu.Unlock()
	if mine && fg > 0 && t.signal != nil {
		t.signal(fg, SIGHUP)
		t.signal(fg, SIGCONT)
	}
}
