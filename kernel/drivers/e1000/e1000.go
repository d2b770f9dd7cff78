// Package e1000 drives Intel's 82540EM gigabit Ethernet controller
// (PCI 8086:100e), the NIC QEMU emulates by default, as a link.Endpoint.
//
// Both directions use rings of 256 descriptors in DMA memory, each with
// its own 2 KiB buffer. One goroutine serves the device: it blocks until
// the interrupt line fires, then, with the device's interrupts masked,
// takes every received frame that is ready (at most rxBudget per round,
// yielding between rounds so that a flood cannot starve the rest of the
// kernel), reclaims finished transmit descriptors and refills the ring
// from a bounded software queue, and finally unmasks and waits again.
// Interrupt throttling (ITR) bounds how often the line fires.
//
// Transmit checksums are offloaded: each TCP or UDP frame goes out behind
// a context descriptor naming where the checksum lives, with the
// pseudo-header sum seeded in the field, and the device fills it in.
// Received frames whose checksums the device found wrong are dropped and
// counted.
//
// The registers and the interrupt are reached through small interfaces so
// the ring logic is tested on the host against a model of the device.
package e1000

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

// PCI identity of the 82540EM.
const (
	VendorID = 0x8086
	DeviceID = 0x100e
)

// Regs is the device's memory BAR (machine.MMIO): single 32-bit accesses.
type Regs interface {
	Read32(off uintptr) uint32
	Write32(off uintptr, v uint32)
}

// DMA is physically contiguous memory: Mem as the kernel sees it, Phys as
// the device does.
type DMA struct {
	Mem  []byte
	Phys uint64
}

// Machine is what the driver needs besides its registers: DMA memory and
// a way to block until the interrupt line fires.
type Machine interface {
	AllocDMA(size int) (DMA, error)
	WaitIRQ(irq int) error
}

const (
	ringSize = 256  // descriptors per ring (a multiple of 8)
	bufSize  = 2048 // bytes per descriptor buffer
	descSize = 16
	// swqSize bounds the frames waiting for a full transmit ring.
	swqSize = 256
	// rxBudget bounds the frames taken per round before yielding.
	rxBudget = 64
	// maxFrame is the largest frame without FCS: a 1500-byte MTU.
	maxFrame = 1514
	mtu      = 1500
)

// spinLimit bounds every wait for the device (reset, EEPROM), so that a
// wedged device is an error, never a hung kernel.
const spinLimit = 100000

// Device is one initialised 82540EM.
type Device struct {
	regs Regs
	m    Machine
	irq  int
	mac  tcpip.MAC

	disp atomic.Pointer[dispatcher]
	link atomic.Bool

	rxRing, rxBufs DMA
	rxNext         int // next descriptor the device will fill

	txMu     sync.Mutex
	txRing   DMA
	txBufs   DMA
	txTail   int             // next free descriptor (what TDT is set to)
	txClean  int             // oldest descriptor not yet reclaimed
	txCtx    uint64          // the offsets of the last context descriptor
	swq      [swqSize][]byte // frames waiting for room in the ring
	swqHead  int
	swqLen   int
	swqStore []byte

	lastMPC   uint32 // the missed-packets counter when last read
	mpcClears bool   // the counter was seen to clear on read

	stop chan struct{}
	done chan struct{}

	stats Stats
}

type dispatcher struct{ d link.Dispatcher }

// Errors from New.
var (
	ErrReset = errors.New("e1000: device did not come out of reset")
	ErrNoMAC = errors.New("e1000: no MAC address in EEPROM or RAL0")
)

// New resets the device, reads its MAC, sets up both rings and starts the
// goroutine that serves interrupt line irq.
func New(regs Regs, m Machine, irq int) (*Device, error) {
	d := &Device{regs: regs, m: m, irq: irq, stop: make(chan struct{}), done: make(chan struct{})}
	if err := d.reset(); err != nil {
		return nil, err
	}
	mac, err := d.readMAC()
	if err != nil {
		return nil, err
	}
	d.mac = mac
	if err := d.initRx(); err != nil {
		return nil, err
	}
	if err := d.initTx(); err != nil {
		return nil, err
	}
	d.link.Store(regs.Read32(regSTATUS)&statusLU != 0)
	regs.Write32(regITR, itrInterval)
	regs.Read32(regICR)
	regs.Write32(regIMS, intEnabled)
	go d.serve()
	return d, nil
}

// reset puts the device in its power-on state, masks its interrupts and
// brings the link up.
func (d *Device) reset() error {
	d.regs.Write32(regIMC, ^uint32(0))
	d.regs.Write32(regCTRL, d.regs.Read32(regCTRL)|ctrlRST)
	for i := 0; d.regs.Read32(regCTRL)&ctrlRST != 0; i++ {
		if i == spinLimit {
			return ErrReset
		}
	}
	d.regs.Write32(regIMC, ^uint32(0))
	d.regs.Read32(regICR)
	d.regs.Write32(regCTRL, d.regs.Read32(regCTRL)|ctrlSLU|ctrlASDE)
	for i := 0; i < 128; i++ {
		d.regs.Write32(regMTA+uintptr(4*i), 0)
	}
	return nil
}

// readMAC takes the address from EEPROM words 0-2, or, if the EEPROM does
// not answer, from receive address 0 (which firmware may have set), and
// programs it into receive address 0.
func (d *Device) readMAC() (tcpip.MAC, error) {
	var mac tcpip.MAC
	ok := true
	for w := 0; w < 3 && ok; w++ {
		var v uint16
		v, ok = d.eepromRead(uint8(w))
		mac[2*w], mac[2*w+1] = byte(v), byte(v>>8)
	}
	if !ok {
		lo, hi := d.regs.Read32(regRAL0), d.regs.Read32(regRAH0)
		mac = tcpip.MAC{byte(lo), byte(lo >> 8), byte(lo >> 16), byte(lo >> 24), byte(hi), byte(hi >> 8)}
	}
	if mac == (tcpip.MAC{}) || mac == (tcpip.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) || mac[0]&1 != 0 {
		return mac, ErrNoMAC
	}
	d.regs.Write32(regRAL0, uint32(mac[0])|uint32(mac[1])<<8|uint32(mac[2])<<16|uint32(mac[3])<<24)
	d.regs.Write32(regRAH0, uint32(mac[4])|uint32(mac[5])<<8|rahAV)
	return mac, nil
}

// eepromRead reads one 16-bit EEPROM word through EERD.
func (d *Device) eepromRead(addr uint8) (uint16, bool) {
	d.regs.Write32(regEERD, uint32(addr)<<8|eerdStart)
	for i := 0; i < spinLimit; i++ {
		if v := d.regs.Read32(regEERD); v&eerdDone != 0 {
			return uint16(v >> 16), true
		}
	}
	return 0, false
}

// MAC returns the device's hardware address.
func (d *Device) MAC() tcpip.MAC { return d.mac }

// MTU is Ethernet's 1500 bytes (jumbo frames are not enabled).
func (d *Device) MTU() int { return mtu }

// Attach sets where received frames go.
func (d *Device) Attach(disp link.Dispatcher) { d.disp.Store(&dispatcher{disp}) }

// TxChecksumOffload implements link.ChecksumOffloader: the device fills
// in TCP and UDP checksums (context descriptors).
func (d *Device) TxChecksumOffload() bool { return true }

// LinkUp reports the link status the device last gave.
func (d *Device) LinkUp() bool { return d.link.Load() }

// Driver names the driver, for the console.
func (d *Device) Driver() string { return "e1000 (82540EM)" }

// Close masks the device's interrupts, stops receiving and transmitting and
// ends the serving goroutine once its interrupt wait returns.
func (d *Device) Close() {
	select {
	case <-d.stop:
		return
	default:
	}
	close(d.stop)
	d.regs.Write32(regIMC, ^uint32(0))
	d.regs.Write32(regRCTL, 0)
	d.regs.Write32(regTCTL, 0)
}

// String describes the device for the boot log.
func (d *Device) String() string {
	state := "down"
	if d.LinkUp() {
		state = "up"
	}
	return fmt.Sprintf("e1000: mac %s, irq %d, link %s, %d+%d descriptors", d.mac, d.irq, state, ringSize, ringSize)
}
