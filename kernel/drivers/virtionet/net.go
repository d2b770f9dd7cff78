// Package virtionet drives a virtio network device (virtio 1.x section
// 5.1) as a link.Endpoint: receive buffers posted ahead on queue 0 and
// drained on the interrupt, frames sent on queue 1 with completions
// reclaimed on the next send, the MAC and link status from the device's
// configuration.
//
// Checksum offload is used when the device offers it: with CSUM the
// driver marks outgoing TCP and UDP frames "needs checksum" (the device
// completes the sum the pseudo-header seeds); with GUEST_CSUM received
// frames may arrive with a partial checksum, which the driver completes
// before the stack sees them, or marked valid, which is counted. QEMU
// offers neither with its user-mode network (slirp has no virtio-net
// header support); a TAP backend with vnet_hdr offers both.
//
// TCP segmentation offload (HOST_TSO4, with CSUM) is used the same way:
// the driver reports a GSO size (link.GSOEndpoint), the stack's TCP
// hands it IPv4 TCP packets of up to 64 KiB with the MSS, and the header
// tells the device to cut them (gso_type TCPV4, gso_size = MSS).
package virtionet

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"scone/kernel/drivers/pci"
	"scone/kernel/drivers/virtio"
	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

// Feature bits (section 5.1.3).
const (
	FeatureCSUM      = 1 << 0
	FeatureGuestCSUM = 1 << 1
	FeatureMAC       = 1 << 5
	FeatureHostTSO4  = 1 << 11
	FeatureStatus    = 1 << 16
)

// The header before every frame (struct virtio_net_hdr; with VERSION_1
// it always has num_buffers: 12 bytes).
const (
	hdrLen          = 12
	hdrFNeedsCsum   = 1
	hdrFDataValid   = 2
	gsoNone         = 0
	gsoTCPv4        = 1
	statusLinkUp    = 1
	queueSize       = 256
	bufSize         = 2048 // header + the largest frame, rounded
	maxFrame        = 1514 // without FCS, for a 1500-byte MTU
	mtu             = 1500
	rxQueue, txQueu = 0, 1

	// Buffers for segmentation offload: each holds the header and an
	// Ethernet frame with the largest IPv4 packet, page-rounded.
	gsoBufs    = 16
	gsoBufSize = 68 << 10
	gsoMaxIP   = 65535
)

// Options choose what the driver accepts.
type Options struct {
	// NoOffload declines checksum and segmentation offload even if the
	// device offers them (to measure with and without).
	NoOffload bool
}

// Device is one virtio-net function.
type Device struct {
	dev      *virtio.Device
	features uint64
	mac      tcpip.MAC

	disp atomic.Pointer[dispatcher]

	rxq    *virtio.Queue
	rxBufs virtio.DMA
	rxBuf  []int // by head descriptor: the receive buffer it carries
	rxUsed []virtio.Used
	rxIdx  []int // the buffers of rxUsed

	txMu    sync.Mutex
	txq     *virtio.Queue
	txBufs  virtio.DMA
	txFree  []uint16 // free transmit buffers
	txBuf   []int    // by head descriptor: the buffer it carries (gsoBase+k: GSO buffer k)
	gso     virtio.DMA
	gsoFree []uint16 // free GSO buffers
	txUsed  []virtio.Used

	stats Stats
}

// dispatcher is where frames go: d, and checked if d also takes frames
// whose checksum needs no check.
type dispatcher struct {
	d       link.Dispatcher
	checked link.CheckedDispatcher
}

// Stats are the driver's counters.
type Stats struct {
	RxFrames, RxBytes atomic.Uint64
	RxErrors          atomic.Uint64 // used buffers too short or too long
	RxCsumCompleted   atomic.Uint64 // partial checksums (NEEDS_CSUM) finished here, for a stack that checks every frame
	RxCsumPartial     atomic.Uint64 // partial checksums handed up as checked, never summed
	RxCsumValid       atomic.Uint64 // frames the device said were checked (DATA_VALID)
	RxNoDispatcher    atomic.Uint64 // frames before Attach
	TxFrames, TxBytes atomic.Uint64
	TxCsumOffload     atomic.Uint64 // frames whose checksum the device completes
	TxGSO, TxGSOSegs  atomic.Uint64 // frames the device segments; the segments they make
	TxDropped         atomic.Uint64 // no free transmit buffer
}

// Open resets the virtio-net function dev, negotiates, posts the receive
// buffers and starts taking interrupts.
func Open(c pci.Config, dev pci.Device, m virtio.Machine, opt Options) (*Device, error) {
	vd, err := virtio.Open(c, dev, m)
	if err != nil {
		return nil, err
	}
	want := uint64(FeatureMAC | FeatureStatus)
	if !opt.NoOffload {
		want |= FeatureCSUM | FeatureGuestCSUM
		if vd.Offered()&FeatureCSUM != 0 {
			want |= FeatureHostTSO4 // needs CSUM (section 5.1.3.1)
		}
	}
	d := &Device{dev: vd}
	if d.features, err = vd.Negotiate(want); err != nil {
		return nil, err
	}
	if d.features&FeatureMAC == 0 {
		vd.Fail()
		return nil, fmt.Errorf("virtio-net %v: the device has no MAC address", dev.Addr)
	}
	if err := vd.ReadConfig(func(r virtio.Regs) {
		for i := range d.mac {
			d.mac[i] = r.Read8(uintptr(i))
		}
	}); err != nil {
		vd.Fail()
		return nil, err
	}
	if err := d.setup(m); err != nil {
		vd.Fail()
		return nil, err
	}
	if err := vd.Start(); err != nil {
		return nil, err
	}
	d.rxq.Kick()
	return d, nil
}

// setup makes both queues and their buffers and posts every receive buffer.
func (d *Device) setup(m virtio.Machine) error {
	var err error
	if d.rxq, err = d.dev.SetupQueue(rxQueue, queueSize, d.receive); err != nil {
		return err
	}
	if d.txq, err = d.dev.SetupQueue(txQueu, queueSize, nil); err != nil {
		return err
	}
	// Sends reclaim what the device finished; the transmit queue needs no
	// interrupts.
	d.txq.SetInterrupts(false)
	if d.rxBufs, err = m.AllocDMA(d.rxq.Size() * bufSize); err != nil {
		return err
	}
	if d.txBufs, err = m.AllocDMA(d.txq.Size() * bufSize); err != nil {
		return err
	}
	d.rxBuf = make([]int, d.rxq.Size())
	for i := 0; i < d.rxq.Size(); i++ {
		if err := d.post(i); err != nil {
			return err
		}
	}
	d.txBuf = make([]int, d.txq.Size())
	for i := d.txq.Size() - 1; i >= 0; i-- {
		d.txFree = append(d.txFree, uint16(i))
	}
	if d.features&FeatureHostTSO4 != 0 {
		if d.gso, err = m.AllocDMA(gsoBufs * gsoBufSize); err != nil {
			d.features &^= FeatureHostTSO4 // negotiated but never used: harmless
			return nil
		}
		for i := gsoBufs - 1; i >= 0; i-- {
			d.gsoFree = append(d.gsoFree, uint16(i))
		}
	}
	return nil
}

// MAC returns the device's address.
func (d *Device) MAC() tcpip.MAC { return d.mac }

// MTU returns 1500.
func (d *Device) MTU() int { return mtu }

// Attach sets where received frames go.
func (d *Device) Attach(disp link.Dispatcher) {
	cd, _ := disp.(link.CheckedDispatcher)
	d.disp.Store(&dispatcher{d: disp, checked: cd})
}

// Driver names the driver for `net`.
func (d *Device) Driver() string { return "virtio-net (" + d.dev.PCI.ID() + ")" }

// Features returns the negotiated feature bits.
func (d *Device) Features() uint64 { return d.features }

// TxChecksumOffload implements link.ChecksumOffloader: with CSUM
// negotiated the device completes TCP and UDP checksums.
func (d *Device) TxChecksumOffload() bool { return d.features&FeatureCSUM != 0 }

// GSOMaxSize implements link.GSOEndpoint: with HOST_TSO4 the device
// takes IPv4 TCP packets up to 64 KiB.
func (d *Device) GSOMaxSize() int {
	if d.features&FeatureHostTSO4 == 0 {
		return 0
	}
	return gsoMaxIP
}

// Stats returns the counters.
func (d *Device) Stats() *Stats { return &d.stats }

// LinkUp reports the link status, which is always up for a device
// without the STATUS feature.
func (d *Device) LinkUp() bool {
	if d.features&FeatureStatus == 0 {
		return true
	}
	var st uint16
	if err := d.dev.ReadConfig(func(r virtio.Regs) { st = r.Read16(6) }); err != nil {
		return false
	}
	return st&statusLinkUp != 0
}

// String describes the device for the boot log.
func (d *Device) String() string {
	return fmt.Sprintf("virtio-net: %s at %v, mac %v, irq %d, %d+%d descriptors, offload %s",
		d.dev.PCI.ID(), d.dev.PCI.Addr, d.mac, d.dev.PCI.IRQLine, d.rxq.Size(), d.txq.Size(), d.offloads())
}

func (d *Device) offloads() string {
	s := ""
	if d.features&FeatureCSUM != 0 {
		s += "csum "
	}
	if d.features&FeatureGuestCSUM != 0 {
		s += "guest-csum "
	}
	if d.features&FeatureHostTSO4 != 0 {
		s += "tso4 "
	}
	if s == "" {
		return "none"
	}
	return s[:len(s)-1]
}

// WriteStats prints the counters.
func (d *Device) WriteStats(w io.Writer) error {
	s := &d.stats
	_, err := fmt.Fprintf(w,
		"virtio-net rx: %d frames %d bytes, %d errors, %d checksums completed, %d partial passed as checked, %d marked valid, %d before attach\n"+
			"virtio-net tx: %d frames %d bytes, %d checksum offloads, %d segmentation offloads (%d segments), %d dropped\n"+
			"virtio-net irq: %d interrupts, %d not ours; offload %s; link %s\n",
		s.RxFrames.Load(), s.RxBytes.Load(), s.RxErrors.Load(), s.RxCsumCompleted.Load(), s.RxCsumPartial.Load(), s.RxCsumValid.Load(), s.RxNoDispatcher.Load(),
		s.TxFrames.Load(), s.TxBytes.Load(), s.TxCsumOffload.Load(), s.TxGSO.Load(), s.TxGSOSegs.Load(), s.TxDropped.Load(),
		d.dev.Interrupts.Load(), d.dev.Spurious.Load(), d.offloads(), map[bool]string{true: "up", false: "down"}[d.LinkUp()])
	return err
}

// putHeader writes a virtio-net header without segmentation into b.
func putHeader(b []byte, flags uint8, start, offset uint16) {
	putGSOHeader(b, flags, start, offset, gsoNone, 0, 0)
}

// putGSOHeader writes a virtio-net header into b: gso is gsoNone or
// gsoTCPv4, hdr the length of the headers the device copies into every
// segment and size the payload of each (section 5.1.6.2).
func putGSOHeader(b []byte, flags uint8, start, offset uint16, gso uint8, hdr, size uint16) {
	clear(b[:hdrLen])
	b[0] = flags
	b[1] = gso
	binary.LittleEndian.PutUint16(b[2:], hdr)
	binary.LittleEndian.PutUint16(b[4:], size)
	binary.LittleEndian.PutUint16(b[6:], start)
	binary.LittleEndian.PutUint16(b[8:], offset)
}
