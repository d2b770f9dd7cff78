package start

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"scone/kernel/console"
	"scone/kernel/drivers/e1000"
	"scone/kernel/drivers/pci"
	"scone/kernel/drivers/virtio"
	"scone/kernel/drivers/virtionet"
	"scone/kernel/knet"
	"scone/kernel/machine"
)

// A nicDriver opens one kind of network card found on the PCI bus.
type nicDriver struct {
	vendor, device uint16
	name           string
	open           func(d *pci.Device) (knet.NIC, error)
}

// nicDrivers is every network driver, by PCI vendor:device. The first
// card that matches an entry becomes eth0.
var nicDrivers = []nicDriver{
	{e1000.VendorID, e1000.DeviceID, "e1000", openE1000},
	{virtio.Vendor, virtioNetTransitional, "virtio-net", openVirtioNet},
	{virtio.Vendor, virtioNetModern, "virtio-net", openVirtioNet},
}

// The PCI device IDs of virtio-net: transitional (QEMU's default) and
// modern-only (disable-legacy=on).
var virtioNetTransitional, virtioNetModern = virtio.DeviceIDs(virtio.TypeNet)

// openVirtioNet opens a virtio-net function; the command-line word
// nooffload declines checksum offload.
func openVirtioNet(d *pci.Device) (knet.NIC, error) {
	opt := virtionet.Options{NoOffload: slices.Contains(os.Args[1:], "nooffload")}
	dev, err := virtionet.Open(pci.Mech1{P: hw{}}, *d, virtioMachine{}, opt)
	if err != nil {
		return nil, err
	}
	fmt.Println(dev)
	return dev, nil
}

// dmaMachine is the machine layer as the drivers' DMA-and-interrupt
// interfaces see it.
type dmaMachine struct{}

func (dmaMachine) WaitIRQ(irq int) error { return machine.WaitIRQ(irq) }

func (dmaMachine) AllocDMA(size int) (e1000.DMA, error) {
	d, err := machine.AllocDMA(size)
	return e1000.DMA{Mem: d.Mem, Phys: uint64(d.Phys)}, err
}

// memBAR returns the device's first memory BAR, mapped.
func memBAR(d *pci.Device) (machine.MMIO, error) {
	for _, b := range d.BARs {
		if !b.IO {
			return machine.MapMMIO(uintptr(b.Addr), uintptr(b.Size))
		}
	}
	return machine.MMIO{}, fmt.Errorf("%s at %s: no memory BAR", d.ID(), d.Addr)
}

// irqLine returns the legacy interrupt line firmware routed for d.
func irqLine(d *pci.Device) (int, error) {
	if d.IRQPin == 0 || d.IRQLine == 0 || d.IRQLine >= 16 || d.IRQLine == 2 {
		return 0, fmt.Errorf("%s at %s: no usable interrupt line (pin %d, line %d)", d.ID(), d.Addr, d.IRQPin, d.IRQLine)
	}
	return int(d.IRQLine), nil
}

func openE1000(d *pci.Device) (knet.NIC, error) {
	regs, err := memBAR(d)
	if err != nil {
		return nil, err
	}
	irq, err := irqLine(d)
	if err != nil {
		return nil, err
	}
	pci.EnableMaster(pci.Mech1{P: hw{}}, d.Addr)
	dev, err := e1000.New(regs, dmaMachine{}, irq)
	if err != nil {
		return nil, err
	}
	fmt.Println(dev)
	return dev, nil
}

// leaseWait bounds how long awaitLease waits for the first DHCP lease
// before saying so (the client keeps trying, and prints the lease when it
// comes).
const leaseWait = 10 * time.Second

// awaitLease waits until n has an address, or leaseWait has passed, when
// it says the lease is late. Boot waits so before the kernel console,
// whose users (and tests) expect the network up at the prompt; init
// starts at once instead, with the lease still on its way, as a Linux
// system's DHCP client runs beside its init: under QEMU the e1000 holds
// every received frame for its first second (QEMU's flush_queue_timer,
// armed by the driver's write of RCTL), which was most of the time to the
// shell's prompt. The lease line is printed when the lease binds.
func awaitLease(n *knet.Net, log io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), leaseWait)
	defer cancel()
	if err := n.Ready(ctx); err != nil {
		fmt.Fprintf(log, "net: no DHCP lease after %v; still asking\n", leaseWait)
	}
}

// startNet finds the first NIC with a driver, opens it and brings the
// kernel's network up on it: statically if the command line has
// ip=ADDR/PREFIX,GATEWAY[,DNS], by DHCP otherwise. A machine without a
// usable NIC boots without a network, saying why.
func startNet(devs []pci.Device, args []string, log io.Writer) *knet.Net {
	var static *knet.Static
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "ip="); ok {
			s, err := knet.ParseIP(v)
			if err != nil {
				fmt.Fprintf(log, "net: %v; using DHCP\n", err)
				continue
			}
			static = s
		}
	}
	for i := range devs {
		d := &devs[i]
		for _, drv := range nicDrivers {
			if d.Vendor != drv.vendor || d.Device != drv.device {
				continue
			}
			nic, err := drv.open(d)
			if err != nil {
				fmt.Fprintf(log, "net: %s at %s: %v\n", drv.name, d.Addr, err)
				continue
			}
			n, err := knet.Start(nic, static, log)
			if err != nil {
				fmt.Fprintf(log, "net: %v\n", err)
				return nil
			}
			return n
		}
	}
	fmt.Fprintln(log, "net: no network card with a driver; no network")
	return nil
}

// netCommand is the console's `net`.
var netCommand = console.Command{Name: "net", Help: "address, router, DNS, MAC, driver and every layer's counters",
	Run: func(w io.Writer, _ []string) error {
		n := knet.Get()
		if n == nil {
			_, err := io.WriteString(w, "net: no network\n")
			return err
		}
		return n.WriteStatus(w)
	}}
