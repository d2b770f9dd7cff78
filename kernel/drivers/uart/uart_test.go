package uart

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// chip models the parts of a 16550 the driver uses, plus the interrupt
// line and the terminal behind it, as QEMU has them: typed keys queue in
// the terminal (host) and enter the receiver as it has room, one byte
// with the FIFOs off, 16 with them on; a read of the receive register
// makes room. Turning the FIFOs on or off, or the clear-receiver bit,
// empties the receiver. A key raises the line if the receive interrupt
// is enabled (and OUT2 gates it onto the bus).
type chip struct {
	mu      sync.Mutex
	regs    [8]uint8
	dll     uint8
	host    []byte // typed, not yet in the receiver
	rx      []byte // in the receiver
	tx      bytes.Buffer
	txFull  bool          // transmitter never empties
	irq     chan struct{} // one pending edge
	closed  bool
	badRead int // reads of RBR with nothing received
}

// fcrClearRx empties the receive FIFO; the driver never sets it.
const fcrClearRx = 0x02

func newChip() *chip { return &chip{irq: make(chan struct{}, 1)} }

func (c *chip) In8(port uint16) uint8 {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch port - COM1Base {
	case regData:
		if c.regs[regLCR]&lcrDLAB != 0 {
			return c.dll
		}
		if len(c.rx) == 0 {
			c.badRead++
			return 0
		}
		b := c.rx[0]
		c.rx = c.rx[1:]
		c.fill()
		return b
	case regLSR:
		var v uint8
		if len(c.rx) > 0 {
			v |= lsrDataRdy
		}
		if !c.txFull {
			v |= lsrTHREmpty
		}
		return v
	}
	return c.regs[port-COM1Base]
}

func (c *chip) Out8(port uint16, v uint8) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := port - COM1Base
	switch {
	case r == regData && c.regs[regLCR]&lcrDLAB != 0:
		c.dll = v
	case r == regData:
		c.tx.WriteByte(v)
	case r == regFCR:
		if (v^c.regs[regFCR])&fcrEnable != 0 || v&fcrClearRx != 0 {
			c.rx = nil
		}
		c.regs[r] = v &^ (fcrClearRx | fcrClearTx) // the clear bits do not stick
		c.fill()
	default:
		c.regs[r] = v
	}
}

func (c *chip) WaitIRQ(irq int) error {
	if irq != COM1IRQ {
		return errors.New("wrong irq")
	}
	if _, ok := <-c.irq; !ok {
		return errors.New("machine stopped")
	}
	return nil
}

// fill moves typed keys into the receiver while it has room; c.mu is held.
func (c *chip) fill() {
	room := 1
	if c.regs[regFCR]&fcrEnable != 0 {
		room = 16
	}
	for len(c.rx) < room && len(c.host) > 0 {
		c.rx = append(c.rx, c.host[0])
		c.host = c.host[1:]
	}
}

// typeKeys delivers keystrokes and raises the interrupt if it is enabled.
func (c *chip) typeKeys(s string) {
	c.mu.Lock()
	c.host = append(c.host, s...)
	c.fill()
	raise := c.regs[regIER]&ierRxAvail != 0 && c.regs[regMCR]&mcrOUT2 != 0
	c.mu.Unlock()
	if raise {
		select {
		case c.irq <- struct{}{}:
		default: // an edge is already pending
		}
	}
}

func readN(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 16)
		for b.Len() < n {
			k, err := r.Read(buf)
			b.Write(buf[:k])
			if err != nil {
				break
			}
		}
		got <- b.String()
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("no %d bytes of input within 10s", n)
		return ""
	}
}

func TestInit(t *testing.T) {
	c := newChip()
	New(c, COM1Base, COM1IRQ)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.regs[regLCR] != lcr8N1 || c.dll != divisor115200 {
		t.Errorf("LCR = %#x, divisor = %d; want 8N1 at 115200", c.regs[regLCR], c.dll)
	}
	if c.regs[regMCR]&mcrOUT2 == 0 || c.regs[regIER] != ierRxAvail {
		t.Errorf("MCR = %#x, IER = %#x: receive interrupt not enabled", c.regs[regMCR], c.regs[regIER])
	}
}

func TestInput(t *testing.T) {
	c := newChip()
	// Typed during boot: the receiver holds the first key with its FIFOs
	// still off, the terminal the rest. Turning the FIFOs on would lose it.
	c.typeKeys("early")
	p := New(c, COM1Base, COM1IRQ)
	if got := readN(t, p, 5); got != "early" {
		t.Errorf("read %q, want the keys typed before New", got)
	}
	for _, s := range []string{"h", "elp\r", "mem\r"} {
		c.typeKeys(s)
		if got := readN(t, p, len(s)); got != s {
			t.Errorf("read %q, want %q", got, s)
		}
	}
	if c.badRead != 0 {
		t.Errorf("%d reads of an empty receive register", c.badRead)
	}
}

func TestInputOverflowCounted(t *testing.T) {
	c := newChip()
	p := New(c, COM1Base, COM1IRQ)
	c.typeKeys(string(make([]byte, inputBuffer+10)))
	deadline := time.Now().Add(10 * time.Second)
	for p.Dropped.Load() != 10 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if d := p.Dropped.Load(); d != 10 {
		t.Errorf("Dropped = %d, want 10", d)
	}
}

func TestReadAfterStop(t *testing.T) {
	c := newChip()
	p := New(c, COM1Base, COM1IRQ)
	c.typeKeys("x")
	if got := readN(t, p, 1); got != "x" {
		t.Fatalf("read %q", got)
	}
	close(c.irq)
	n, err := p.Read(make([]byte, 4))
	if n != 0 || !errors.Is(err, ErrClosed) {
		t.Errorf("Read after stop = %d, %v; want ErrClosed", n, err)
	}
}

func TestWrite(t *testing.T) {
	tests := []struct{ in, out string }{
		{"scone> ", "scone> "},
		{"a\nb\n", "a\r\nb\r\n"},
		{"", ""},
	}
	for _, tt := range tests {
		c := newChip()
		p := New(c, COM1Base, COM1IRQ)
		if n, err := p.Write([]byte(tt.in)); n != len(tt.in) || err != nil {
			t.Errorf("Write(%q) = %d, %v", tt.in, n, err)
		}
		if got := c.tx.String(); got != tt.out {
			t.Errorf("Write(%q) sent %q, want %q", tt.in, got, tt.out)
		}
	}
}

func TestWriteWedgedTransmitter(t *testing.T) {
	c := newChip()
	p := New(c, COM1Base, COM1IRQ)
	c.mu.Lock()
	c.txFull = true
	c.mu.Unlock()
	p.Write([]byte("ab"))
	if p.Lost.Load() != 2 || c.tx.Len() != 0 {
		t.Errorf("Lost = %d, sent %q; want 2 lost, none sent", p.Lost.Load(), c.tx.String())
	}
}
