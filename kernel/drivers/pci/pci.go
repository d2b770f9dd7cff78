// Package pci finds the devices on the PCI bus: it walks configuration
// space, decodes each function's identity, class, base address registers
// (BARs) and interrupt line, and prints the table the kernel shows at boot.
//
// Configuration space is reached through the Config interface, so that the
// walk is tested on the host against a fake; Mech1 implements it with
// configuration mechanism #1 (I/O ports 0xCF8 and 0xCFC), which QEMU's
// i440FX and Q35 machines both provide.
package pci

import "fmt"

// Addr names one PCI function: bus, device (slot) and function number.
type Addr struct {
	Bus  uint8
	Dev  uint8 // 0..31
	Func uint8 // 0..7
}

// String formats a as bus:dev.fn, the way lspci does.
func (a Addr) String() string {
	return fmt.Sprintf("%02x:%02x.%x", a.Bus, a.Dev, a.Func)
}

// Config reads and writes the 256-byte configuration space of a function.
// Offsets are 4-byte aligned; a function that is absent reads as all ones.
type Config interface {
	Read32(a Addr, off uint8) uint32
	Write32(a Addr, off uint8, v uint32)
}

// Registers of the common configuration header (offsets in bytes).
const (
	regID        = 0x00 // vendor (low 16 bits), device (high 16)
	regCommand   = 0x04 // command (low 16 bits), status (high 16)
	regClass     = 0x08 // revision, prog-if, subclass, class (low to high)
	regHeader    = 0x0C // header type in bits 16..23
	regBAR0      = 0x10
	regInterrupt = 0x3C // interrupt line (low byte), pin (next byte)
)

// Command register bits that make a function decode its BARs.
const (
	cmdIO  = 1 << 0
	cmdMem = 1 << 1
)

// A Device is one PCI function as found by Scan.
type Device struct {
	Addr
	Vendor, Device uint16
	Class          uint8 // base class, e.g. 0x02 network
	Subclass       uint8 // e.g. 0x00 ethernet
	ProgIF         uint8
	Revision       uint8
	Header         uint8 // header type without the multi-function bit
	BARs           []BAR // only the BARs that are implemented
	IRQLine        uint8 // the interrupt line firmware routed, 0xFF if none
	IRQPin         uint8 // 0 none, 1..4 INTA#..INTD#
	Errs           []error
}

// ID formats the device's identity as vendor:device in hex.
func (d *Device) ID() string {
	return fmt.Sprintf("%04x:%04x", d.Vendor, d.Device)
}

// Scan walks every bus, device and function and returns the functions that
// are present, in address order. It probes BAR sizes, which briefly turns
// off each function's decoding; run it before drivers start.
//
// Every bus number is tried rather than following bridges: 8,192 reads of
// an absent vendor ID cost little, and a misprogrammed bridge cannot hide
// a device.
func Scan(c Config) []Device {
	var devs []Device
	for bus := 0; bus < 256; bus++ {
		for dev := uint8(0); dev < 32; dev++ {
			a := Addr{Bus: uint8(bus), Dev: dev}
			if vendor(c, a) == 0xFFFF {
				continue
			}
			nfunc := uint8(1)
			if c.Read32(a, regHeader)>>16&0x80 != 0 {
				nfunc = 8 // multi-function device
			}
			for fn := uint8(0); fn < nfunc; fn++ {
				a.Func = fn
				if vendor(c, a) == 0xFFFF {
					continue
				}
				devs = append(devs, probe(c, a))
			}
		}
	}
	return devs
}

func vendor(c Config, a Addr) uint16 { return uint16(c.Read32(a, regID)) }

// probe decodes the function at a.
func probe(c Config, a Addr) Device {
	id := c.Read32(a, regID)
	class := c.Read32(a, regClass)
	intr := c.Read32(a, regInterrupt)
	d := Device{
		Addr:     a,
		Vendor:   uint16(id),
		Device:   uint16(id >> 16),
		Revision: uint8(class),
		ProgIF:   uint8(class >> 8),
		Subclass: uint8(class >> 16),
		Class:    uint8(class >> 24),
		Header:   uint8(c.Read32(a, regHeader)>>16) & 0x7F,
		IRQLine:  uint8(intr),
		IRQPin:   uint8(intr >> 8),
	}
	d.BARs, d.Errs = probeBARs(c, a, barCount(d.Header))
	return d
}

// barCount is how many BARs a header type has: six for an ordinary
// function, two for a PCI-to-PCI bridge, none for anything else.
func barCount(header uint8) int {
	switch header {
	case 0:
		return 6
	case 1:
		return 2
	}
	return 0
}
