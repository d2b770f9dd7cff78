// Package virtio is the virtio 1.x PCI transport: it finds a device's
// configuration structures through its vendor capabilities (common,
// notify, ISR and device-specific), resets it, negotiates features
// (VERSION_1 is required: only the modern interface is driven), sets up
// split virtqueues and takes its INTx interrupts, acknowledged by reading
// the ISR register. QEMU's transitional devices (1af4:1000 network,
// 1af4:1001 block) carry the same capabilities as the modern-only ones
// (1af4:1041, 1af4:1042), so one path drives both.
//
// The hardware is reached through the Machine and Regs interfaces (the
// machine layer's MapMMIO, AllocDMA and WaitIRQ) and pci.Config, so the
// transport and the queues are tested on the host against the device
// model in package virtiotest. The device drivers (virtioblk, virtionet)
// build on Device and Queue.
package virtio

// Regs is a window of device registers. Every access is one load or store
// of the given width (machine.MMIO).
type Regs interface {
	Read8(off uintptr) uint8
	Read16(off uintptr) uint16
	Read32(off uintptr) uint32
	Write8(off uintptr, v uint8)
	Write16(off uintptr, v uint16)
	Write32(off uintptr, v uint32)
}

// DMA is memory the device can reach: Mem as the driver sees it, Phys the
// address the device is given.
type DMA struct {
	Mem  []byte
	Phys uint64
}

// Machine is what the transport needs from the machine layer.
type Machine interface {
	// MapMMIO maps size bytes of device registers at phys.
	MapMMIO(phys, size uintptr) (Regs, error)
	// AllocDMA returns size bytes of zeroed, physically contiguous,
	// page-aligned memory that is never freed.
	AllocDMA(size int) (DMA, error)
	// WaitIRQ blocks until interrupt line irq fires.
	WaitIRQ(irq int) error
}

// PCI identity of virtio devices: vendor 0x1af4, device 0x1000 + (type - 1)
// for transitional devices and 0x1040 + type for modern-only ones.
const (
	Vendor       = 0x1af4
	TypeNet      = 1
	TypeBlock    = 2
	transitional = 0x1000
	modern       = 0x1040
)

// DeviceIDs returns the transitional and the modern PCI device IDs of a
// virtio device type.
func DeviceIDs(typ int) (transitionalID, modernID uint16) {
	return uint16(transitional + typ - 1), uint16(modern + typ)
}

// Device status bits (virtio 1.x section 2.1).
const (
	StatusAcknowledge = 1
	StatusDriver      = 2
	StatusDriverOK    = 4
	StatusFeaturesOK  = 8
	StatusNeedsReset  = 64
	StatusFailed      = 128
)

// Feature bits common to every device type (section 6).
const (
	FeatureRingIndirect = 1 << 28
	FeatureRingEventIdx = 1 << 29
	FeatureVersion1     = 1 << 32
	FeatureAccessPlat   = 1 << 33
)

// ISR status bits: reading the register returns them and clears them,
// which also lowers the INTx line.
const (
	isrQueue  = 1 << 0
	isrConfig = 1 << 1
)
