package virtiotest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"scone/kernel/drivers/pci"
	"scone/kernel/drivers/virtio"
)

// Layout of the model's BAR 4, as QEMU's virtio-pci lays it out.
const (
	BARAddr     = 0xfe000000
	barSize     = 0x4000
	commonOff   = 0x0000
	isrOff      = 0x1000
	deviceOff   = 0x2000
	notifyOff   = 0x3000
	notifyMul   = 4
	IRQ         = 11
	capStart    = 0x40
	maxQueueLen = 256
)

// A Backend is what a device does: its feature bits, its configuration
// bytes, and the handling of each descriptor chain the driver makes
// available. Handle must eventually call c.Complete, from any goroutine
// and in any order.
type Backend interface {
	Features() uint64
	Config() []byte
	NumQueues() int
	Handle(queue int, c *Chain)
}

// A Seg is one descriptor of a chain: Data is its memory, Write whether
// the device may write it.
type Seg struct {
	Data  []byte
	Write bool
}

// A Chain is one available descriptor chain.
type Chain struct {
	Segs []Seg
	q    *queue
	head uint16
	done atomic.Bool
}

// Complete puts the chain on the used ring with written bytes and raises
// the interrupt.
func (c *Chain) Complete(written uint32) {
	if c.done.Swap(true) {
		c.q.d.violate("chain %d of queue %d completed twice", c.head, c.q.index)
		return
	}
	c.q.complete(c.head, written)
}

// Device is the model: pci.Config for its function, the Machine a driver
// is given, and the registers behind BAR 4.
type Device struct {
	*Arena
	PCI     pci.Device
	backend Backend

	// RefuseFeatures makes the device clear FEATURES_OK, as a device does
	// when it cannot work with the driver's choice.
	RefuseFeatures bool
	// Legacy makes the device offer no VERSION_1 and, with NoCaps, no
	// virtio capabilities: a legacy-only device.
	Legacy, NoCaps bool

	mu         sync.Mutex
	status     uint8
	devSel     uint32
	drvSel     uint32
	driverFeat uint64
	isr        uint8
	queueSel   uint16
	queues     []*queue
	violations []string
	configGen  uint8

	irq    chan struct{}
	closed chan struct{}
	once   sync.Once
}

type queue struct {
	d                   *Device
	index               int
	size                uint16
	enabled             bool
	desc, driver, devic uint64
	lastAvail           uint16
	usedIdx             uint16
	kick                chan struct{}
	mu                  sync.Mutex // serialises used-ring writes
}

// New returns a model of a virtio device of the given type and PCI device
// ID, doing what backend does, with arenaSize bytes of memory.
func New(backend Backend, deviceID uint16, arenaSize int) *Device {
	d := &Device{Arena: NewArena(arenaSize), backend: backend,
		irq: make(chan struct{}, 1), closed: make(chan struct{})}
	d.PCI = pci.Device{Addr: pci.Addr{Dev: 4}, Vendor: virtio.Vendor, Device: deviceID,
		BARs:    []pci.BAR{{Index: 4, Is64: true, Addr: BARAddr, Size: barSize}},
		IRQLine: IRQ, IRQPin: 1}
	for i := 0; i < backend.NumQueues(); i++ {
		d.queues = append(d.queues, &queue{d: d, index: i, size: maxQueueLen, kick: make(chan struct{}, 1)})
	}
	return d
}

// Close stops the queue goroutines and makes WaitIRQ fail.
func (d *Device) Close() { d.once.Do(func() { close(d.closed) }) }

// Violations returns what the driver did wrong.
func (d *Device) Violations() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.violations...)
}

// Status returns the device status register.
func (d *Device) Status() uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// DriverFeatures returns what the driver accepted.
func (d *Device) DriverFeatures() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.driverFeat
}

func (d *Device) violate(format string, args ...any) {
	d.mu.Lock()
	d.violations = append(d.violations, fmt.Sprintf(format, args...))
	d.mu.Unlock()
}

// --- pci.Config: the function's configuration space holds only the
// capability list; the rest of what the driver needs is in d.PCI.

// caps are (cfg_type, offset in BAR 4, length).
var caps = [][3]uint32{{1, commonOff, 0x38}, {3, isrOff, 4}, {4, deviceOff, 0x100}, {2, notifyOff, 0x1000}}

func (d *Device) Read32(a pci.Addr, off uint8) uint32 {
	if a != d.PCI.Addr {
		return 0xFFFFFFFF
	}
	switch {
	case off == 0x00:
		return uint32(d.PCI.Device)<<16 | uint32(d.PCI.Vendor)
	case off == 0x04 && d.NoCaps:
		return 0x6
	case off == 0x04:
		return 1<<20 | 0x6 // capability list; memory and bus master
	case off == 0x34:
		return capStart
	case off >= capStart && off < capStart+20*uint8(len(caps)):
		i, field := int(off-capStart)/20, (off-capStart)%20
		next := uint32(capStart + 20*(i+1))
		if i == len(caps)-1 {
			next = 0
		}
		c := caps[i]
		switch field {
		case 0:
			return c[0]<<24 | 20<<16 | next<<8 | 0x09
		case 4:
			return 4 // bar
		case 8:
			return c[1]
		case 12:
			return c[2]
		case 16:
			if c[0] == 2 {
				return notifyMul
			}
		}
	}
	return 0
}

func (d *Device) Write32(a pci.Addr, off uint8, v uint32) {}

// offered is the feature bits the device offers (d.mu held or no writer).
func (d *Device) offered() uint64 {
	if d.Legacy {
		return d.backend.Features() &^ virtio.FeatureVersion1
	}
	return d.backend.Features() | virtio.FeatureVersion1
}

// --- virtio.Machine

func (d *Device) MapMMIO(phys, size uintptr) (virtio.Regs, error) {
	if phys != BARAddr || size != barSize {
		return nil, fmt.Errorf("virtiotest: no device registers at %#x+%#x", phys, size)
	}
	return regs{d}, nil
}

// ErrClosed is returned by WaitIRQ once the device is closed.
var ErrClosed = errors.New("virtiotest: device closed")

func (d *Device) WaitIRQ(irq int) error {
	if irq != IRQ {
		return fmt.Errorf("virtiotest: wait for IRQ %d, the device uses %d", irq, IRQ)
	}
	select {
	case <-d.irq:
		return nil
	case <-d.closed:
		return ErrClosed
	}
}

func (d *Device) raise() {
	select {
	case d.irq <- struct{}{}:
	default:
	}
}

// ChangeConfig bumps the configuration generation (as a device does when
// its configuration changes) and raises a configuration interrupt.
func (d *Device) ChangeConfig() {
	d.mu.Lock()
	d.configGen++
	d.isr |= 2
	d.mu.Unlock()
	d.raise()
}

// regs is BAR 4.
type regs struct{ d *Device }

func (r regs) Read8(off uintptr) uint8 { return uint8(r.read(off, 1)) }
func (r regs) Read16(off uintptr) uint16 {
	return uint16(r.read(off, 2))
}
func (r regs) Read32(off uintptr) uint32     { return r.read(off, 4) }
func (r regs) Write8(off uintptr, v uint8)   { r.write(off, 1, uint32(v)) }
func (r regs) Write16(off uintptr, v uint16) { r.write(off, 2, uint32(v)) }
func (r regs) Write32(off uintptr, v uint32) { r.write(off, 4, v) }
func (d *Device) sel() *queue {
	if int(d.queueSel) < len(d.queues) {
		return d.queues[d.queueSel]
	}
	return nil
}

func (r regs) read(off uintptr, n int) uint32 {
	d := r.d
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case off >= deviceOff && off < deviceOff+0x100:
		cfg := d.backend.Config()
		var v uint32
		for i := 0; i < n; i++ {
			if o := int(off-deviceOff) + i; o < len(cfg) {
				v |= uint32(cfg[o]) << (8 * i)
			}
		}
		return v
	case off == isrOff:
		v := d.isr
		d.isr = 0
		return uint32(v)
	}
	q := d.sel()
	switch off {
	case 0x04:
		f := d.offered()
		if d.devSel == 1 {
			return uint32(f >> 32)
		}
		if d.devSel == 0 {
			return uint32(f)
		}
		return 0
	case 0x12:
		return uint32(len(d.queues))
	case 0x14:
		return uint32(d.status)
	case 0x15:
		return uint32(d.configGen)
	case 0x16:
		return uint32(d.queueSel)
	case 0x18:
		if q != nil {
			return uint32(q.size)
		}
		return 0
	case 0x1C:
		if q != nil && q.enabled {
			return 1
		}
		return 0
	case 0x1E:
		if q != nil {
			return uint32(q.index)
		}
	}
	return 0
}

func (r regs) write(off uintptr, n int, v uint32) {
	d := r.d
	if off >= notifyOff && off < notifyOff+0x1000 {
		d.notify(int(off-notifyOff)/notifyMul, v)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	q := d.sel()
	set64 := func(p *uint64, high bool) {
		if high {
			*p = *p&0xFFFFFFFF | uint64(v)<<32
		} else {
			*p = *p&^0xFFFFFFFF | uint64(v)
		}
	}
	switch off {
	case 0x00:
		d.devSel = v
	case 0x08:
		d.drvSel = v
	case 0x0C:
		if d.status&virtio.StatusFeaturesOK != 0 {
			d.violations = append(d.violations, "features written after FEATURES_OK")
		}
		set64(&d.driverFeat, d.drvSel == 1)
	case 0x14:
		d.setStatus(uint8(v))
	case 0x16:
		d.queueSel = uint16(v)
	case 0x18:
		if q != nil {
			if v == 0 || v > maxQueueLen || v&(v-1) != 0 {
				d.violations = append(d.violations, fmt.Sprintf("queue %d size %d", q.index, v))
			}
			q.size = uint16(v)
		}
	case 0x1A:
	case 0x1C:
		if q != nil && v == 1 {
			if q.desc == 0 || q.driver == 0 || q.devic == 0 {
				d.violations = append(d.violations, fmt.Sprintf("queue %d enabled without addresses", q.index))
			}
			q.enabled = true
			go q.serve()
		}
	case 0x20, 0x24:
		if q != nil {
			set64(&q.desc, off == 0x24)
		}
	case 0x28, 0x2C:
		if q != nil {
			set64(&q.driver, off == 0x2C)
		}
	case 0x30, 0x34:
		if q != nil {
			set64(&q.devic, off == 0x34)
		}
	default:
		d.violations = append(d.violations, fmt.Sprintf("write of %#x to register %#x", v, off))
	}
}

// setStatus checks the driver's status sequence (d.mu held).
func (d *Device) setStatus(v uint8) {
	if v == 0 {
		d.status, d.driverFeat, d.isr = 0, 0, 0
		for _, q := range d.queues {
			if q.enabled {
				d.violations = append(d.violations, "reset with running queues is not modelled")
			}
		}
		return
	}
	if v&d.status != d.status {
		d.violations = append(d.violations, fmt.Sprintf("status bits cleared: %#x -> %#x", d.status, v))
	}
	added := v &^ d.status
	if added&virtio.StatusFeaturesOK != 0 {
		offered := d.offered()
		if d.driverFeat&^offered != 0 {
			d.violations = append(d.violations, fmt.Sprintf("driver accepted unoffered features %#x", d.driverFeat&^offered))
		}
		if d.driverFeat&virtio.FeatureVersion1 == 0 {
			d.violations = append(d.violations, "driver did not accept VERSION_1")
		}
		if d.RefuseFeatures {
			v &^= virtio.StatusFeaturesOK
		}
	}
	if added&virtio.StatusDriverOK != 0 && d.status&virtio.StatusFeaturesOK == 0 {
		d.violations = append(d.violations, "DRIVER_OK before FEATURES_OK")
	}
	d.status = v
}

func (d *Device) notify(index int, v uint32) {
	if index >= len(d.queues) || uint32(index) != v {
		d.violate("notify at slot %d with value %d", index, v)
		return
	}
	d.mu.Lock()
	ok := d.status&virtio.StatusDriverOK != 0
	d.mu.Unlock()
	if !ok {
		d.violate("queue %d notified before DRIVER_OK", index)
	}
	select {
	case d.queues[index].kick <- struct{}{}:
	default:
	}
}

// word returns the 32-bit word at phys (the rings' flags and idx).
func (d *Device) word(phys uint64) *uint32 {
	b, err := d.Bytes(phys, 4)
	if err != nil {
		panic(err)
	}
	return (*uint32)(unsafe.Pointer(&b[0]))
}

// serve hands each chain the driver makes available to the backend.
func (q *queue) serve() {
	d := q.d
	for {
		select {
		case <-q.kick:
		case <-d.closed:
			return
		}
		for {
			idx := uint16(atomic.LoadUint32(d.word(q.driver)) >> 16)
			if q.lastAvail == idx {
				break
			}
			ring, _ := d.Bytes(q.driver+4+2*uint64(q.lastAvail%q.size), 2)
			head := binary.LittleEndian.Uint16(ring)
			q.lastAvail++
			c, err := q.chain(head)
			if err != nil {
				d.violate("queue %d: %v", q.index, err)
				continue
			}
			d.backend.Handle(q.index, c)
		}
	}
}

// chain reads the descriptor chain at head, checking it.
func (q *queue) chain(head uint16) (*Chain, error) {
	c := &Chain{q: q, head: head}
	i := head
	sawWrite := false
	for n := 0; ; n++ {
		if i >= q.size || n == int(q.size) {
			return nil, fmt.Errorf("chain at %d: bad index %d or loop", head, i)
		}
		e, err := q.d.Bytes(q.desc+16*uint64(i), 16)
		if err != nil {
			return nil, err
		}
		addr := binary.LittleEndian.Uint64(e[0:])
		n := binary.LittleEndian.Uint32(e[8:])
		flags := binary.LittleEndian.Uint16(e[12:])
		data, err := q.d.Bytes(addr, n)
		if err != nil {
			return nil, fmt.Errorf("chain at %d: %w", head, err)
		}
		w := flags&2 != 0
		if !w && sawWrite {
			return nil, fmt.Errorf("chain at %d: device-readable buffer after a writable one", head)
		}
		sawWrite = sawWrite || w
		c.Segs = append(c.Segs, Seg{Data: data, Write: w})
		if flags&1 == 0 {
			return c, nil
		}
		i = binary.LittleEndian.Uint16(e[14:])
	}
}

// complete writes a used entry, publishes it and interrupts.
func (q *queue) complete(head uint16, written uint32) {
	q.mu.Lock()
	e, _ := q.d.Bytes(q.devic+4+8*uint64(q.usedIdx%q.size), 8)
	binary.LittleEndian.PutUint32(e[0:], uint32(head))
	binary.LittleEndian.PutUint32(e[4:], written)
	q.usedIdx++
	atomic.StoreUint32(q.d.word(q.devic), uint32(q.usedIdx)<<16)
	q.mu.Unlock()
	q.d.mu.Lock()
	q.d.isr |= 1
	q.d.mu.Unlock()
	q.d.raise()
}
