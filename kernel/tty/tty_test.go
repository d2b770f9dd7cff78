package tty

import (
	"bytes"
	"context"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"
)

// screen records what the terminal writes to the device.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(b)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// keyboard is a model of the UART's receive side: an io.Reader of typed keys.
type keyboard struct{ ch chan []byte }

func (k keyboard) Read(b []byte) (int, error) {
	keys, ok := <-k.ch
	if !ok {
		return 0, io.EOF
	}
	return copy(b, keys), nil
}

type sent struct{ pgid, sig int }

func newTTY(t *testing.T) (*TTY, *screen, keyboard, *[]sent) {
	scr := &screen{}
	var mu sync.Mutex
	var sigs []sent
	tt := New(scr, func(pgid, sig int) { mu.Lock(); sigs = append(sigs, sent{pgid, sig}); mu.Unlock() })
	kb := keyboard{make(chan []byte)}
	done := make(chan struct{})
	go func() { tt.Run(kb); close(done) }()
	t.Cleanup(func() { close(kb.ch); <-done })
	return tt, scr, kb, &sigs
}

// typeKeys types s and waits until the discipline has taken it (the
// reader goroutine is back waiting for the next key).
func (k keyboard) typeKeys(s string) {
	k.ch <- []byte(s)
	k.ch <- nil // a second send returns once the first was processed
}

func read(t *testing.T, tt *TTY, n int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := make([]byte, n)
	got, err := tt.Read(ctx, b, false)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b[:got])
}

func TestCanonical(t *testing.T) {
	cases := []struct {
		name, keys string
		reads      []string // successive reads of up to 100 bytes
		echo       string
	}{
		{"line", "hello\r", []string{"hello\n"}, "hello\r\n"},
		{"backspace", "helx\x7flo\r", []string{"hello\n"}, "helx\b \blo\r\n"},
		{"backspace at start", "\x7fa\n", []string{"a\n"}, "a\r\n"},
		{"kill line", "junk\x15ok\r", []string{"ok\n"}, "junk\b \b\b \b\b \b\b \bok\r\n"},
		{"word erase", "one two\x17three\r", []string{"one three\n"}, "one two\b \b\b \b\b \bthree\r\n"},
		{"one line per read", "a\rb\r", []string{"a\n", "b\n"}, "a\r\nb\r\n"},
		{"^D sends the line", "abc\x04", []string{"abc"}, "abc"},
		{"^D on an empty line is EOF", "\x04x\r", []string{"", "x\n"}, "x\r\n"},
		{"control echoed as ^X", "a\x01\r", []string{"a\x01\n"}, "a^A\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tt, scr, kb, _ := newTTY(t)
			kb.typeKeys(tc.keys)
			for _, want := range tc.reads {
				if got := read(t, tt, 100); got != want {
					t.Errorf("read %q, want %q", got, want)
				}
			}
			if got := scr.String(); got != tc.echo {
				t.Errorf("echo %q, want %q", got, tc.echo)
			}
		})
	}
}

func TestShortReadsOfALine(t *testing.T) {
	tt, _, kb, _ := newTTY(t)
	kb.typeKeys("abcdef\r")
	if a, b := read(t, tt, 4), read(t, tt, 100); a != "abcd" || b != "ef\n" {
		t.Fatalf("reads %q %q", a, b)
	}
}

func TestSignals(t *testing.T) {
	tt, scr, kb, sigs := newTTY(t)
	tt.SetSession(1, 7)
	kb.typeKeys("partial\x03")
	kb.typeKeys("\x1c")
	kb.typeKeys("\x1a") // ^Z: SIGTSTP
	if len(*sigs) != 3 || (*sigs)[0] != (sent{7, SIGINT}) || (*sigs)[1] != (sent{7, SIGQUIT}) || (*sigs)[2] != (sent{7, SIGTSTP}) {
		t.Fatalf("signals %v", *sigs)
	}
	if got := scr.String(); got != "partial^C^\\^Z" {
		t.Fatalf("echo %q", got)
	}
	// A new window size is SIGWINCH to the foreground group; the same
	// size again is not.
	tt.SetWinsize(Winsize{Row: 50, Col: 132})
	tt.SetWinsize(Winsize{Row: 50, Col: 132})
	if len(*sigs) != 4 || (*sigs)[3] != (sent{7, SIGWINCH}) {
		t.Fatalf("after TIOCSWINSZ twice: signals %v", *sigs)
	}
	// The exit of another session's leader changes nothing; the
	// controlling process's exit hangs the terminal up on its session.
	tt.LeaderExited(2)
	tt.LeaderExited(1)
	if len(*sigs) != 6 || (*sigs)[4] != (sent{7, SIGHUP}) || (*sigs)[5] != (sent{7, SIGCONT}) || tt.Session() != 0 {
		t.Fatalf("after the leader's exit: signals %v, session %d", *sigs, tt.Session())
	}
	tt.SetSession(1, 7)
	*sigs = (*sigs)[:2]
	// ^C flushed the partial line.
	kb.typeKeys("x\r")
	if got := read(t, tt, 100); got != "x\n" {
		t.Fatalf("after ^C read %q", got)
	}
	// With ISIG off, ^C is data.
	tm := tt.Termios()
	tm.Lflag &^= ISIG
	tt.SetTermios(tm, false)
	kb.typeKeys("\x03\r")
	if got := read(t, tt, 100); got != "\x03\n" || len(*sigs) != 2 {
		t.Fatalf("^C without ISIG: %q, signals %v", got, *sigs)
	}
}

func TestRawMode(t *testing.T) {
	tt, scr, kb, _ := newTTY(t)
	kb.typeKeys("ab") // an unfinished canonical line...
	tm := tt.Termios()
	tm.Lflag &^= ICANON | ECHO
	tm.Iflag &^= ICRNL
	tm.Oflag &^= OPOST
	tm.CC[VMIN], tm.CC[VTIME] = 1, 0
	tt.SetTermios(tm, false)
	if got := read(t, tt, 100); got != "ab" { // ...is readable in raw mode
		t.Fatalf("raw read %q", got)
	}
	kb.typeKeys("\r\x7f")
	if got := read(t, tt, 100); got != "\r\x7f" {
		t.Fatalf("raw read %q", got)
	}
	before := scr.String()
	tt.Write(context.Background(), []byte("x\ny"), false)
	if got := scr.String()[len(before):]; got != "x\ny" {
		t.Fatalf("output without OPOST %q", got)
	}
	// VMIN 3: a read waits for three bytes.
	tm.CC[VMIN] = 3
	tt.SetTermios(tm, false)
	got := make(chan string)
	go func() { got <- read(t, tt, 100) }()
	kb.typeKeys("12")
	select {
	case s := <-got:
		t.Fatalf("VMIN 3 returned %q early", s)
	case <-time.After(20 * time.Millisecond):
	}
	kb.typeKeys("3")
	if s := <-got; s != "123" {
		t.Fatalf("VMIN 3 read %q", s)
	}
	// VMIN 0, VTIME 1: at most 0.1 s, then 0 bytes.
	tm.CC[VMIN], tm.CC[VTIME] = 0, 1
	tt.SetTermios(tm, false)
	start := time.Now()
	if s := read(t, tt, 10); s != "" || time.Since(start) < 90*time.Millisecond {
		t.Fatalf("VTIME read %q after %v", s, time.Since(start))
	}
	// Non-blocking with nothing typed.
	if _, err := tt.Read(context.Background(), make([]byte, 1), true); err != syscall.EAGAIN {
		t.Fatalf("non-blocking read: %v", err)
	}
}

func TestTermiosLayout(t *testing.T) {
	tm := DefaultTermios()
	b := tm.Marshal()
	if len(b) != TermiosSize || Unmarshal(b) != tm {
		t.Fatal("termios does not round-trip")
	}
	// Linux's stty sane values: iflag ICRNL|IXON|IUTF8 = 0x4500, lflag 0x8a3b; VMIN at c_cc[6] = byte 23.
	if b[0] != 0x00 || b[1] != 0x45 || b[12] != 0x3b || b[13] != 0x8a || b[17+VMIN] != 1 || b[17+VINTR] != 3 {
		t.Fatalf("termios bytes % x", b)
	}
}

func TestInterruptedRead(t *testing.T) {
	tt, _, _, _ := newTTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(5 * time.Millisecond); cancel() }()
	if _, err := tt.Read(ctx, make([]byte, 1), false); err != syscall.EINTR {
		t.Fatalf("read interrupted by a signal: %v", err)
	}
}
