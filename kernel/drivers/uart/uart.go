// Package uart drives a 16550-compatible serial port, the PC's COM1: the
// kernel console until user space exists. Output is polled (the transmit
// FIFO drains at line rate and a console writes little); input arrives by
// interrupt, on a goroutine that blocks until the line fires and then
// drains the receive FIFO into a buffer that Read takes keystrokes from.
//
// The port and interrupt are reached through the Machine interface so that
// the driver is tested on the host against a model of the chip.
package uart

import (
	"errors"
	"sync"
	"sync/atomic"
)

// Machine is what the driver needs from the machine layer: byte-wide port
// I/O and a way to block the calling goroutine until an interrupt line
// fires (machine.In8, machine.Out8 and machine.WaitIRQ).
type Machine interface {
	In8(port uint16) uint8
	Out8(port uint16, v uint8)
	WaitIRQ(irq int) error
}

// COM1 is the first serial port of a PC: its I/O base and interrupt line.
const (
	COM1Base = 0x3F8
	COM1IRQ  = 4
)

// Registers, as offsets from the base port. With the divisor latch access
// bit (DLAB) set in LCR, offsets 0 and 1 are the baud-rate divisor instead.
const (
	regData   = 0 // RBR on read, THR on write
	regIER    = 1 // interrupt enable
	regFCR    = 2 // FIFO control (write); IIR on read
	regLCR    = 3 // line control
	regMCR    = 4 // modem control
	regLSR    = 5 // line status
	regDivLow = 0 // with DLAB
	regDivHi  = 1 // with DLAB
)

const (
	ierRxAvail  = 1 << 0 // interrupt when received data is available
	lcr8N1      = 0x03   // 8 data bits, no parity, 1 stop bit
	lcrDLAB     = 0x80
	fcrEnable   = 0x01
	fcrClearTx  = 0x04 // empty the transmit FIFO (the receive FIFO is kept)
	fcrTrig14   = 0xC0 // interrupt at 14 bytes, or on the FIFO timeout
	mcrDTR      = 0x01
	mcrRTS      = 0x02
	mcrOUT2     = 0x08 // on a PC, gates the chip's interrupt onto the bus
	lsrDataRdy  = 0x01
	lsrTHREmpty = 0x20
)

// divisor115200 is the divisor of the 1.8432 MHz clock for 115,200 baud.
const divisor115200 = 1

// inputBuffer is how many keystrokes wait for a reader before more are
// dropped (and counted).
const inputBuffer = 4096

// txSpin bounds the wait for the transmitter, so that a missing or wedged
// chip costs output, never a hung kernel.
const txSpin = 1 << 20

// ErrClosed is returned by Read once input has stopped.
var ErrClosed = errors.New("uart: input stopped")

// A Port is an initialised 16550. Its Write is safe for concurrent use and
// keeps each call's bytes together; Read is meant for one reader.
type Port struct {
	m    Machine
	base uint16
	irq  int

	wmu sync.Mutex

	in      chan byte
	stopped chan struct{} // closed when the input goroutine ends
	err     error         // why it ended; read after stopped is closed
	Dropped atomic.Uint64 // keystrokes lost because nobody read them
	Lost    atomic.Uint64 // transmit bytes lost to a wedged transmitter
}

// New programs the chip at base (115200 8N1, FIFOs on, receive interrupt
// on) and starts the goroutine that takes input on irq.
func New(m Machine, base uint16, irq int) *Port {
	p := &Port{m: m, base: base, irq: irq,
		in: make(chan byte, inputBuffer), stopped: make(chan struct{})}
	m.Out8(base+regIER, 0) // quiet while programming
	m.Out8(base+regLCR, lcrDLAB)
	m.Out8(base+regDivLow, divisor115200&0xFF)
	m.Out8(base+regDivHi, divisor115200>>8)
	m.Out8(base+regLCR, lcr8N1)
	// A key typed during boot waits in the receive register (the FIFOs
	// are off until now), the rest in the terminal until there is room.
	// Turning the FIFOs on empties the receiver, on a 16550 as in QEMU,
	// so take the waiting keys first: each read makes room for the next.
	// (A key landing between the last read and the write below is still
	// lost; the window is one port read and one write, once per boot.)
	p.drain()
	m.Out8(base+regFCR, fcrEnable|fcrClearTx|fcrTrig14)
	m.Out8(base+regMCR, mcrDTR|mcrRTS|mcrOUT2)
	m.Out8(base+regIER, ierRxAvail)
	go p.receive()
	return p
}

// receive moves input from the chip to p.in. It drains before the first
// wait, since keys typed during boot raised their interrupt before anyone
// waited, and drains fully after every interrupt, since the line is edge
// triggered: a byte left behind would never interrupt again.
func (p *Port) receive() {
	defer close(p.stopped)
	for {
		if !p.drain() {
			continue // a long burst: the receiver is still not empty
		}
		if err := p.m.WaitIRQ(p.irq); err != nil {
			p.err = err
			return
		}
	}
}

// drain moves the bytes the receiver holds to p.in, counting those that
// find the buffer full, and reports whether the receiver is empty. It
// stops after inputBuffer bytes, so that New cannot hang on a chip that
// always reports data.
func (p *Port) drain() bool {
	for i := 0; i < inputBuffer; i++ {
		if p.m.In8(p.base+regLSR)&lsrDataRdy == 0 {
			return true
		}
		b := p.m.In8(p.base + regData)
		select {
		case p.in <- b:
		default:
			p.Dropped.Add(1)
		}
	}
	return false
}

// Read blocks until at least one keystroke has arrived and returns those
// waiting, up to len(p). After input stops it returns what is left, then
// the reason.
func (p *Port) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	select {
	case b[0] = <-p.in:
	case <-p.stopped:
		select {
		case b[0] = <-p.in:
		default:
			return 0, p.stopErr()
		}
	}
	n := 1
	for n < len(b) {
		select {
		case b[n] = <-p.in:
			n++
		default:
			return n, nil
		}
	}
	return n, nil
}

func (p *Port) stopErr() error {
	if p.err != nil {
		return errors.Join(ErrClosed, p.err)
	}
	return ErrClosed
}

// Write sends b, turning each "\n" into "\r\n" as a terminal expects.
func (p *Port) Write(b []byte) (int, error) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	for _, c := range b {
		if c == '\n' {
			p.put('\r')
		}
		p.put(c)
	}
	return len(b), nil
}

// WriteRaw sends b as it is: for a terminal line discipline that does its
// own output processing (kernel/tty).
func (p *Port) WriteRaw(b []byte) (int, error) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	for _, c := range b {
		p.put(c)
	}
	return len(b), nil
}

// put waits, boundedly, for room in the transmitter and sends c.
func (p *Port) put(c byte) {
	for i := 0; p.m.In8(p.base+regLSR)&lsrTHREmpty == 0; i++ {
		if i == txSpin {
			p.Lost.Add(1)
			return
		}
	}
	p.m.Out8(p.base+regData, c)
}
