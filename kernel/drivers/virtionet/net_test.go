package virtionet_test

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"scone/kernel/drivers/virtio"
	"scone/kernel/drivers/virtio/virtiotest"
	"scone/kernel/drivers/virtionet"
	"scone/kernel/net/nettest"
	"scone/kernel/net/tcpip"
)

var mac = tcpip.MAC{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

// nic is a virtio-net device model: receive chains wait in rx until a test
// fills one; transmitted frames are checksummed as the device would for
// NEEDS_CSUM and recorded.
type nic struct {
	features uint64
	rx       chan *virtiotest.Chain
	holdTx   bool // leave transmit chains pending

	mu   sync.Mutex
	sent [][]byte // frames on the wire
	gso  [][]byte // frames as the driver gave them
	hdrs [][]byte
	held []*virtiotest.Chain
}

func newNIC(features uint64) *nic {
	return &nic{features: features, rx: make(chan *virtiotest.Chain, 1024)}
}

func (n *nic) Features() uint64 { return n.features }
func (n *nic) NumQueues() int   { return 2 }
func (n *nic) Config() []byte {
	b := make([]byte, 8)
	copy(b, mac[:])
	binary.LittleEndian.PutUint16(b[6:], 1) // link up
	return b
}

func (n *nic) Handle(q int, c *virtiotest.Chain) {
	if q == 0 {
		n.rx <- c
		return
	}
	var pkt []byte
	for _, s := range c.Segs {
		pkt = append(pkt, s.Data...)
	}
	hdr, frame := pkt[:12], pkt[12:]
	if hdr[0]&1 != 0 { // NEEDS_CSUM: what a device does
		start := int(binary.LittleEndian.Uint16(hdr[6:]))
		off := int(binary.LittleEndian.Uint16(hdr[8:]))
		seed := uint32(binary.BigEndian.Uint16(frame[start+off:]))
		binary.BigEndian.PutUint16(frame[start+off:], 0)
		binary.BigEndian.PutUint16(frame[start+off:], ^tcpip.Checksum(frame[start:], seed))
	}
	n.mu.Lock()
	n.gso = append(n.gso, frame)
	if hdr[1] == 1 { // GSO_TCPV4: cut at gso_size, as QEMU and Linux do
		n.sent = append(n.sent, nettest.SegmentTCP(frame, int(binary.LittleEndian.Uint16(hdr[2:])), int(binary.LittleEndian.Uint16(hdr[4:])))...)
	} else {
		n.sent = append(n.sent, frame)
	}
	n.hdrs = append(n.hdrs, hdr)
	if n.holdTx {
		n.held = append(n.held, c)
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	c.Complete(0)
}

// waitSent waits until the device has taken n frames.
func (n *nic) waitSent(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n.mu.Lock()
		got := len(n.sent)
		n.mu.Unlock()
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("device took %d frames, want %d", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// inject fills the next posted receive buffer with hdr and frame.
func (n *nic) inject(t *testing.T, hdr, frame []byte) {
	t.Helper()
	select {
	case c := <-n.rx:
		if len(c.Segs) != 1 || !c.Segs[0].Write {
			t.Fatalf("receive chain %v", c.Segs)
		}
		buf := c.Segs[0].Data
		copy(buf, hdr)
		copy(buf[12:], frame)
		c.Complete(uint32(12 + len(frame)))
	case <-time.After(10 * time.Second):
		t.Fatal("no receive buffer posted")
	}
}

type collector struct {
	mu     sync.Mutex
	frames [][]byte
	got    chan struct{}
}

func (c *collector) DeliverFrame(f []byte) {
	c.mu.Lock()
	c.frames = append(c.frames, append([]byte(nil), f...))
	c.mu.Unlock()
	c.got <- struct{}{}
}

func (c *collector) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-c.got:
		case <-timeout:
			t.Fatalf("%d frames delivered, want %d", i, n)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}

func open(t *testing.T, back *nic, opt virtionet.Options) (*virtionet.Device, *collector) {
	t.Helper()
	trans, _ := virtio.DeviceIDs(virtio.TypeNet)
	m := virtiotest.New(back, trans, 8<<20)
	t.Cleanup(func() {
		if v := m.Violations(); len(v) > 0 {
			t.Errorf("driver violated the protocol: %v", v)
		}
		m.Close()
	})
	d, err := virtionet.Open(m, m.PCI, m, opt)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{got: make(chan struct{}, 4096)}
	d.Attach(c)
	return d, c
}

const allFeatures = virtionet.FeatureCSUM | virtionet.FeatureGuestCSUM | virtionet.FeatureMAC | virtionet.FeatureStatus

// frame builds an Ethernet/IPv4 frame carrying TCP or UDP with correct
// checksums (gopacket's, independent of ours).
func frame(t *testing.T, tcp bool, payload int) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(mac[:]), DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, SrcIP: net.IP{10, 0, 2, 15}, DstIP: net.IP{10, 0, 2, 2}}
	var l4 gopacket.SerializableLayer
	if tcp {
		ip.Protocol = layers.IPProtocolTCP
		tl := &layers.TCP{SrcPort: 4000, DstPort: 80, Seq: 12345, ACK: true, Ack: 99, Window: 65535, PSH: true}
		tl.SetNetworkLayerForChecksum(ip)
		l4 = tl
	} else {
		ip.Protocol = layers.IPProtocolUDP
		ul := &layers.UDP{SrcPort: 5000, DstPort: 53}
		ul.SetNetworkLayerForChecksum(ip)
		l4 = ul
	}
	p := make([]byte, payload)
	for i := range p {
		p[i] = byte(i * 7)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, l4, gopacket.Payload(p)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReceive sends three rings' worth of frames in: all arrive in order,
// and each buffer is posted again.
func TestReceive(t *testing.T) {
	back := newNIC(allFeatures)
	d, c := open(t, back, virtionet.Options{})
	if d.MAC() != mac || !d.LinkUp() || d.MTU() != 1500 {
		t.Fatalf("mac %v, link %v, mtu %d", d.MAC(), d.LinkUp(), d.MTU())
	}
	const n = 3 * 256
	for i := 0; i < n; i++ {
		f := make([]byte, 60+i%1400)
		binary.BigEndian.PutUint32(f[14:], uint32(i))
		back.inject(t, make([]byte, 12), f)
	}
	got := c.wait(t, n)
	for i, f := range got {
		if binary.BigEndian.Uint32(f[14:]) != uint32(i) || len(f) != 60+i%1400 {
			t.Fatalf("frame %d: seq %d, %d bytes", i, binary.BigEndian.Uint32(f[14:]), len(f))
		}
	}
	if s := d.Stats(); s.RxFrames.Load() != n || s.RxErrors.Load() != 0 {
		t.Fatalf("rx %d frames, %d errors", s.RxFrames.Load(), s.RxErrors.Load())
	}
}

// TestReceiveChecksum: a frame with NEEDS_CSUM and only the pseudo-header
// sum in its checksum field reaches the stack with the right checksum; a
// DATA_VALID frame is counted; a too-short buffer is an error.
func TestReceiveChecksum(t *testing.T) {
	back := newNIC(allFeatures)
	d, c := open(t, back, virtionet.Options{})
	for _, tcp := range []bool{true, false} {
		want := frame(t, tcp, 333)
		partial := append([]byte(nil), want...)
		start, off := 34, 6
		proto := uint8(tcpip.ProtoUDP)
		if tcp {
			off, proto = 16, tcpip.ProtoTCP
		}
		sum := tcpip.PseudoHeaderSum(tcpip.Addr{10, 0, 2, 15}, tcpip.Addr{10, 0, 2, 2}, proto, len(want)-start)
		sum = sum&0xffff + sum>>16
		binary.BigEndian.PutUint16(partial[start+off:], uint16(sum))
		hdr := make([]byte, 12)
		hdr[0] = 1
		binary.LittleEndian.PutUint16(hdr[6:], uint16(start))
		binary.LittleEndian.PutUint16(hdr[8:], uint16(off))
		back.inject(t, hdr, partial)
		got := c.wait(t, 1)
		if !bytes.Equal(got[len(got)-1], want) {
			t.Fatalf("tcp=%v: completed frame differs from gopacket's", tcp)
		}
		c.got = make(chan struct{}, 4096)
	}
	back.inject(t, []byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, frame(t, true, 10))
	back.inject(t, make([]byte, 12), make([]byte, 5))
	c.wait(t, 1)
	s := d.Stats()
	if s.RxCsumCompleted.Load() != 2 || s.RxCsumValid.Load() != 1 || s.RxErrors.Load() != 1 {
		t.Fatalf("completed %d, valid %d, errors %d", s.RxCsumCompleted.Load(), s.RxCsumValid.Load(), s.RxErrors.Load())
	}
}

// TestTransmitChecksum: with CSUM the driver hands the device TCP and UDP
// frames marked NEEDS_CSUM, and what the device puts on the wire equals
// gopacket's frame; with offload declined, frames go as the stack made
// them, with no flags.
func TestTransmitChecksum(t *testing.T) {
	for _, off := range []bool{false, true} {
		back := newNIC(allFeatures)
		d, _ := open(t, back, virtionet.Options{NoOffload: off})
		frames := [][]byte{frame(t, true, 1000), frame(t, false, 17), frame(t, true, 0)}
		for _, f := range frames {
			if err := d.WriteFrame(append([]byte(nil), f...)); err != nil {
				t.Fatal(err)
			}
		}
		back.waitSent(t, len(frames))
		back.mu.Lock()
		for i, f := range frames {
			if !bytes.Equal(back.sent[i], f) {
				t.Errorf("offload declined=%v: frame %d on the wire differs", off, i)
			}
			if flagged := back.hdrs[i][0]&1 != 0; flagged == off {
				t.Errorf("offload declined=%v: frame %d NEEDS_CSUM=%v", off, i, flagged)
			}
		}
		back.mu.Unlock()
		if want := map[bool]uint64{false: 3, true: 0}[off]; d.Stats().TxCsumOffload.Load() != want {
			t.Errorf("%d offloads counted, want %d", d.Stats().TxCsumOffload.Load(), want)
		}
	}
}

// TestTransmitFull: with the device holding every frame, sends beyond the
// ring are dropped and counted; once the device completes them, sending
// works again with the reclaimed buffers.
func TestTransmitFull(t *testing.T) {
	back := newNIC(virtionet.FeatureMAC)
	back.holdTx = true
	d, _ := open(t, back, virtionet.Options{})
	f := make([]byte, 60)
	for i := 0; i < 300; i++ {
		if err := d.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	back.waitSent(t, 256)
	if d.Stats().TxDropped.Load() != 300-256 {
		t.Fatalf("%d dropped, want %d", d.Stats().TxDropped.Load(), 300-256)
	}
	back.mu.Lock()
	for _, c := range back.held {
		c.Complete(0)
	}
	back.held = nil
	back.holdTx = false
	back.mu.Unlock()
	if err := d.WriteFrame(make([]byte, 1515)); err == nil {
		t.Fatal("oversized frame accepted")
	}
	d.WriteFrame(f)
	if d.Stats().TxFrames.Load() != 257 {
		t.Fatalf("%d frames sent, want 257", d.Stats().TxFrames.Load())
	}
}

// checkedCollector also takes frames whose checksum needs no check.
type checkedCollector struct {
	collector
	checked int
}

func (c *checkedCollector) DeliverCheckedFrame(f []byte) {
	c.mu.Lock()
	c.checked++
	c.mu.Unlock()
	c.DeliverFrame(f)
}

// TestReceiveChecked: with a stack that takes checked frames, NEEDS_CSUM
// and DATA_VALID frames go up as checked and the partial checksum is left
// alone (nobody sums it); a frame with neither flag goes up as usual.
func TestReceiveChecked(t *testing.T) {
	back := newNIC(allFeatures)
	d, _ := open(t, back, virtionet.Options{})
	c := &checkedCollector{collector: collector{got: make(chan struct{}, 16)}}
	d.Attach(c)
	partial := frame(t, true, 100)
	binary.BigEndian.PutUint16(partial[34+16:], 0x1234)
	hdr := make([]byte, 12)
	hdr[0] = 1
	binary.LittleEndian.PutUint16(hdr[6:], 34)
	binary.LittleEndian.PutUint16(hdr[8:], 16)
	back.inject(t, hdr, partial)
	back.inject(t, []byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, frame(t, false, 10))
	back.inject(t, make([]byte, 12), frame(t, false, 11))
	got := c.wait(t, 3)
	if !bytes.Equal(got[0], partial) {
		t.Fatal("the partial checksum was changed though the stack checks nothing")
	}
	s := d.Stats()
	if c.checked != 2 || s.RxCsumPartial.Load() != 1 || s.RxCsumValid.Load() != 1 || s.RxCsumCompleted.Load() != 0 {
		t.Fatalf("checked %d, partial %d, valid %d, completed %d", c.checked, s.RxCsumPartial.Load(), s.RxCsumValid.Load(), s.RxCsumCompleted.Load())
	}
}
