package virtio

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"

	"scone/kernel/drivers/pci"
)

// Vendor capability (struct virtio_pci_cap): after the ID and next bytes,
// cap_len, cfg_type, bar, id, padding, then offset and length; the notify
// capability adds notify_off_multiplier.
const (
	capVendor       = 0x09
	capCommon       = 1
	capNotify       = 2
	capISR          = 3
	capDevice       = 4
	capOffBar       = 4
	capOffOffset    = 8
	capOffLength    = 12
	capOffNotifyMul = 16
)

// Common configuration registers (struct virtio_pci_common_cfg).
const (
	cDevFeatureSel = 0x00
	cDevFeature    = 0x04
	cDrvFeatureSel = 0x08
	cDrvFeature    = 0x0C
	cMSIXConfig    = 0x10
	cNumQueues     = 0x12
	cStatus        = 0x14
	cConfigGen     = 0x15
	cQueueSelect   = 0x16
	cQueueSize     = 0x18
	cQueueMSIX     = 0x1A
	cQueueEnable   = 0x1C
	cQueueNotify   = 0x1E
	cQueueDesc     = 0x20
	cQueueDriver   = 0x28
	cQueueDevice   = 0x30
	commonLen      = 0x38
)

// resetSpin bounds the wait for a reset to finish (the status reading 0).
const resetSpin = 1 << 20

// Errors from Open and Negotiate.
var (
	ErrNotVirtio  = errors.New("virtio: not a virtio device")
	ErrNoModern   = errors.New("virtio: no virtio 1.x capabilities (legacy-only device)")
	ErrNoVersion1 = errors.New("virtio: device does not offer VERSION_1")
	ErrFeatures   = errors.New("virtio: device refused the negotiated features")
)

// A Device is a virtio PCI function being driven through the modern
// interface.
type Device struct {
	PCI pci.Device
	m   Machine

	common, isr, devcfg window
	notify              window
	notifyMul           uint32

	features uint64 // negotiated
	queues   []*Queue
	handlers []func() // per queue, run on a used-buffer interrupt

	// Interrupts counts wake-ups whose ISR named this device; Spurious
	// those that did not (another device on a shared line).
	Interrupts, Spurious atomic.Uint64
}

// window is a register range inside a mapped BAR.
type window struct {
	r    Regs
	base uintptr
	size uintptr
}

func (w window) read8(off uintptr) uint8       { return w.r.Read8(w.base + off) }
func (w window) read16(off uintptr) uint16     { return w.r.Read16(w.base + off) }
func (w window) read32(off uintptr) uint32     { return w.r.Read32(w.base + off) }
func (w window) write8(off uintptr, v uint8)   { w.r.Write8(w.base+off, v) }
func (w window) write16(off uintptr, v uint16) { w.r.Write16(w.base+off, v) }
func (w window) write32(off uintptr, v uint32) { w.r.Write32(w.base+off, v) }
func (w window) write64(off uintptr, v uint64) {
	// The spec lets 64-bit fields be written as two 32-bit halves.
	w.write32(off, uint32(v))
	w.write32(off+4, uint32(v>>32))
}

// Open finds dev's virtio structures, enables its DMA and resets it,
// leaving it acknowledged (ACKNOWLEDGE|DRIVER) and ready for Negotiate.
func Open(c pci.Config, dev pci.Device, m Machine) (*Device, error) {
	if dev.Vendor != Vendor || dev.Device < transitional || dev.Device > modern+0x3f {
		return nil, fmt.Errorf("%v %s: %w", dev.Addr, dev.ID(), ErrNotVirtio)
	}
	caps, err := pci.Capabilities(c, dev.Addr)
	if err != nil {
		return nil, err
	}
	d := &Device{PCI: dev, m: m}
	mapped := map[int]Regs{}
	found := 0
	for _, cp := range caps {
		if cp.ID != capVendor {
			continue
		}
		head := c.Read32(dev.Addr, cp.Off)
		typ := uint8(head >> 24)
		var w *window
		switch typ {
		case capCommon:
			w = &d.common
		case capNotify:
			w = &d.notify
		case capISR:
			w = &d.isr
		case capDevice:
			w = &d.devcfg
		default:
			continue // PCI config access (5) and vendor types: unused
		}
		if w.r != nil {
			continue // the first of a type is the preferred one
		}
		bar := int(uint8(c.Read32(dev.Addr, cp.Off+capOffBar)))
		off := uintptr(c.Read32(dev.Addr, cp.Off+capOffOffset))
		length := uintptr(c.Read32(dev.Addr, cp.Off+capOffLength))
		r, size, err := mapBAR(m, dev, bar, mapped)
		if err != nil {
			return nil, err
		}
		if off+length > size || off+length < off {
			return nil, fmt.Errorf("virtio: %v: capability type %d at %#x+%#x outside bar%d (%#x bytes)", dev.Addr, typ, off, length, bar, size)
		}
		*w = window{r: r, base: off, size: length}
		if typ == capNotify {
			d.notifyMul = c.Read32(dev.Addr, cp.Off+capOffNotifyMul)
		}
		found |= 1 << typ
	}
	if want := 1<<capCommon | 1<<capNotify | 1<<capISR; found&want != want {
		return nil, fmt.Errorf("%v %s: %w", dev.Addr, dev.ID(), ErrNoModern)
	}
	if d.common.size < commonLen {
		return nil, fmt.Errorf("virtio: %v: common configuration is %d bytes, want %d", dev.Addr, d.common.size, commonLen)
	}
	pci.EnableMaster(c, dev.Addr)
	if err := d.Reset(); err != nil {
		return nil, err
	}
	d.setStatus(StatusAcknowledge)
	d.setStatus(StatusDriver)
	return d, nil
}

// mapBAR maps BAR index bar of dev once, returning its registers and size.
func mapBAR(m Machine, dev pci.Device, bar int, mapped map[int]Regs) (Regs, uintptr, error) {
	for _, b := range dev.BARs {
		if b.Index != bar {
			continue
		}
		if b.IO {
			return nil, 0, fmt.Errorf("virtio: %v: bar%d is I/O space; want memory", dev.Addr, bar)
		}
		if r, ok := mapped[bar]; ok {
			return r, uintptr(b.Size), nil
		}
		r, err := m.MapMMIO(uintptr(b.Addr), uintptr(b.Size))
		if err != nil {
			return nil, 0, err
		}
		mapped[bar] = r
		return r, uintptr(b.Size), nil
	}
	return nil, 0, fmt.Errorf("virtio: %v: capability names bar%d, which is not implemented", dev.Addr, bar)
}

// Reset writes 0 to the status and waits for the device to read back 0.
func (d *Device) Reset() error {
	d.common.write8(cStatus, 0)
	for i := 0; i < resetSpin; i++ {
		if d.common.read8(cStatus) == 0 {
			return nil
		}
	}
	return fmt.Errorf("virtio: %v: device did not finish its reset", d.PCI.Addr)
}

func (d *Device) setStatus(bits uint8) {
	d.common.write8(cStatus, d.common.read8(cStatus)|bits)
}

// Status returns the device status register.
func (d *Device) Status() uint8 { return d.common.read8(cStatus) }

// Fail marks the device FAILED: the driver gave up on it.
func (d *Device) Fail() { d.setStatus(StatusFailed) }

// Offered returns the 64 feature bits the device offers.
func (d *Device) Offered() uint64 {
	d.common.write32(cDevFeatureSel, 0)
	lo := d.common.read32(cDevFeature)
	d.common.write32(cDevFeatureSel, 1)
	hi := d.common.read32(cDevFeature)
	return uint64(hi)<<32 | uint64(lo)
}

// Negotiate accepts the features in want that the device offers, plus
// VERSION_1, which it must offer, and sets FEATURES_OK. It returns the
// features agreed on.
func (d *Device) Negotiate(want uint64) (uint64, error) {
	offered := d.Offered()
	if offered&FeatureVersion1 == 0 {
		d.Fail()
		return 0, fmt.Errorf("%v %s: %w (offers %#x)", d.PCI.Addr, d.PCI.ID(), ErrNoVersion1, offered)
	}
	f := offered & (want | FeatureVersion1)
	d.common.write32(cDrvFeatureSel, 0)
	d.common.write32(cDrvFeature, uint32(f))
	d.common.write32(cDrvFeatureSel, 1)
	d.common.write32(cDrvFeature, uint32(f>>32))
	d.setStatus(StatusFeaturesOK)
	if d.Status()&StatusFeaturesOK == 0 {
		d.Fail()
		return 0, fmt.Errorf("%v %s: %w (%#x)", d.PCI.Addr, d.PCI.ID(), ErrFeatures, f)
	}
	d.features = f
	return f, nil
}

// Features returns the negotiated features.
func (d *Device) Features() uint64 { return d.features }

// NumQueues returns how many virtqueues the device has.
func (d *Device) NumQueues() int { return int(d.common.read16(cNumQueues)) }

// SetupQueue allocates and enables virtqueue index with at most max
// entries (the device's own maximum if smaller), after Negotiate and before
// Start. onInterrupt, if not nil, runs on the interrupt goroutine whenever
// the device signals used buffers.
func (d *Device) SetupQueue(index, max int, onInterrupt func()) (*Queue, error) {
	if index >= d.NumQueues() {
		return nil, fmt.Errorf("virtio: %v: queue %d of %d", d.PCI.Addr, index, d.NumQueues())
	}
	d.common.write16(cQueueSelect, uint16(index))
	size := int(d.common.read16(cQueueSize))
	if size == 0 {
		return nil, fmt.Errorf("virtio: %v: queue %d is not available", d.PCI.Addr, index)
	}
	for size > max {
		size /= 2 // stays a power of two when the device's is one
	}
	if size&(size-1) != 0 {
		size = 1 << (bitsLen(size) - 1)
	}
	mem, err := d.m.AllocDMA(QueueBytes(size))
	if err != nil {
		return nil, err
	}
	off := uintptr(d.common.read16(cQueueNotify)) * uintptr(d.notifyMul)
	if off+2 > d.notify.size {
		return nil, fmt.Errorf("virtio: %v: queue %d notifies at %#x, outside the %#x-byte window", d.PCI.Addr, index, off, d.notify.size)
	}
	notify, qi := d.notify, uint16(index)
	q, err := NewQueue(qi, size, mem, func() { notify.write16(off, qi) })
	if err != nil {
		return nil, err
	}
	desc, driver, device := q.Addresses()
	d.common.write16(cQueueSize, uint16(size))
	d.common.write16(cQueueMSIX, 0xFFFF) // no MSI-X vector: INTx and the ISR
	d.common.write64(cQueueDesc, desc)
	d.common.write64(cQueueDriver, driver)
	d.common.write64(cQueueDevice, device)
	d.common.write16(cQueueEnable, 1)
	for len(d.queues) <= index {
		d.queues = append(d.queues, nil)
		d.handlers = append(d.handlers, nil)
	}
	d.queues[index], d.handlers[index] = q, onInterrupt
	return q, nil
}

func bitsLen(n int) int {
	b := 0
	for ; n > 0; n >>= 1 {
		b++
	}
	return b
}

// ConfigRegs returns the device-specific configuration window.
func (d *Device) ConfigRegs() (Regs, uintptr, error) {
	if d.devcfg.r == nil {
		return nil, 0, fmt.Errorf("virtio: %v: no device configuration", d.PCI.Addr)
	}
	return offsetRegs{d.devcfg}, d.devcfg.size, nil
}

// ReadConfig runs read on the device configuration until the device's
// configuration generation is the same before and after, so that a
// multi-field value is never torn by a change in between.
func (d *Device) ReadConfig(read func(r Regs)) error {
	r, _, err := d.ConfigRegs()
	if err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		gen := d.common.read8(cConfigGen)
		read(r)
		if d.common.read8(cConfigGen) == gen {
			return nil
		}
	}
	return fmt.Errorf("virtio: %v: configuration keeps changing", d.PCI.Addr)
}

// offsetRegs presents a window as registers starting at 0.
type offsetRegs struct{ w window }

func (o offsetRegs) Read8(off uintptr) uint8       { return o.w.read8(off) }
func (o offsetRegs) Read16(off uintptr) uint16     { return o.w.read16(off) }
func (o offsetRegs) Read32(off uintptr) uint32     { return o.w.read32(off) }
func (o offsetRegs) Write8(off uintptr, v uint8)   { o.w.write8(off, v) }
func (o offsetRegs) Write16(off uintptr, v uint16) { o.w.write16(off, v) }
func (o offsetRegs) Write32(off uintptr, v uint32) { o.w.write32(off, v) }

// Start sets DRIVER_OK and starts the goroutine that takes the device's
// interrupts on its PCI interrupt line.
func (d *Device) Start() error {
	irq := int(d.PCI.IRQLine)
	if d.PCI.IRQPin == 0 || irq == 0 || irq >= 16 {
		d.Fail()
		return fmt.Errorf("virtio: %v: no usable INTx line (pin %d, line %d)", d.PCI.Addr, d.PCI.IRQPin, d.PCI.IRQLine)
	}
	d.setStatus(StatusDriverOK)
	go d.interrupts(irq)
	return nil
}

// interrupts waits for the line, reads the ISR (which acknowledges the
// interrupt and lowers the line) and runs the queues' handlers. Handlers
// run after the ISR read, so a completion that lands while they run raises
// the line again rather than being lost.
func (d *Device) interrupts(irq int) {
	for {
		if err := d.m.WaitIRQ(irq); err != nil {
			fmt.Printf("virtio: %v: interrupts stopped: %v\n", d.PCI.Addr, err)
			return
		}
		isr := d.isr.read8(0)
		if isr&(isrQueue|isrConfig) == 0 {
			d.Spurious.Add(1)
			continue
		}
		d.Interrupts.Add(1)
		if isr&isrQueue != 0 {
			for _, h := range d.handlers {
				if h != nil {
					h()
				}
			}
		}
		// Let the goroutines the handlers woke run before this one
		// blocks in WaitIRQ: a goroutine blocked in a system call keeps
		// its P until the runtime's sysmon takes it back, which on one
		// CPU left each woken caller waiting a sysmon tick (about 2 ms a
		// disk request under TCG).
		runtime.Gosched()
	}
}
