package pci

import (
	"fmt"
	"io"
	"strings"
)

// classNames names the classes a QEMU PC shows and those drivers look for.
var classNames = map[[2]uint8]string{
	{0x01, 0x00}: "SCSI",
	{0x01, 0x01}: "IDE",
	{0x01, 0x06}: "SATA",
	{0x01, 0x08}: "NVMe",
	{0x02, 0x00}: "ethernet",
	{0x03, 0x00}: "VGA",
	{0x06, 0x00}: "host bridge",
	{0x06, 0x01}: "ISA bridge",
	{0x06, 0x04}: "PCI bridge",
	{0x06, 0x80}: "bridge",
	{0x0C, 0x03}: "USB",
	{0x0C, 0x05}: "SMBus",
}

// ClassName names d's class, or "class xx.yy" when the table does not
// know it.
func (d *Device) ClassName() string {
	if n, ok := classNames[[2]uint8{d.Class, d.Subclass}]; ok {
		return n
	}
	return fmt.Sprintf("class %02x.%02x", d.Class, d.Subclass)
}

// irqString is the interrupt column: the line the firmware routed and the
// pin, or "-" for a function that raises none.
func (d *Device) irqString() string {
	if d.IRQPin == 0 || d.IRQPin > 4 {
		return "-"
	}
	line := fmt.Sprint(d.IRQLine)
	if d.IRQLine == 0xFF {
		line = "?"
	}
	return fmt.Sprintf("%s/INT%c", line, 'A'+d.IRQPin-1)
}

// WriteTable prints devs as the boot table: one line per function, with its
// BARs on the same line and any decoding errors on the lines after.
//
//	pci: 00:03.0 8086:100e 02.00 ethernet     irq 11/INTA  bar0 mem32 0xfeb80000 128K; bar1 io 0xc000 64
func WriteTable(w io.Writer, devs []Device) error {
	if _, err := fmt.Fprintf(w, "pci: %d functions\n", len(devs)); err != nil {
		return err
	}
	for i := range devs {
		d := &devs[i]
		line := fmt.Sprintf("pci: %v %s %02x.%02x %-12s irq %-8s %s",
			d.Addr, d.ID(), d.Class, d.Subclass, d.ClassName(), d.irqString(), barList(d.BARs))
		if _, err := fmt.Fprintln(w, strings.TrimRight(line, " ")); err != nil {
			return err
		}
		for _, e := range d.Errs {
			if _, err := fmt.Fprintf(w, "pci:   %v\n", e); err != nil {
				return err
			}
		}
	}
	return nil
}

// Find returns the first device with the given vendor and device IDs.
func Find(devs []Device, vendor, device uint16) (*Device, bool) {
	for i := range devs {
		if devs[i].Vendor == vendor && devs[i].Device == device {
			return &devs[i], true
		}
	}
	return nil, false
}
