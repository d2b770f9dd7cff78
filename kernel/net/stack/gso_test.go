package stack_test

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"scone/kernel/net/link"
	"scone/kernel/net/nettest"
	"scone/kernel/net/tcpip"
)

// gsoDev is a pipe end with checksum and segmentation offload: it cuts
// the large TCP packets the stack gives it into MTU-sized segments, as
// QEMU's and Linux's TSO do, and records what it was given.
type gsoDev struct {
	*link.PipeEnd
	mu        sync.Mutex
	gsoFrames int // packets larger than the MTU, segmented here
	largest   int // the largest of them, in IP bytes
	mss       map[int]int
	errors    []string
}

func (d *gsoDev) TxChecksumOffload() bool { return true }
func (d *gsoDev) GSOMaxSize() int         { return 65535 }

// WriteFrame completes the checksum of a frame left partial.
func (d *gsoDev) WriteFrame(f []byte) error {
	if len(f) > link.EthernetHeaderLen+d.MTU() {
		return link.ErrFrameTooLarge
	}
	f = append([]byte(nil), f...)
	if c, ok := link.FindTxChecksum(f); ok {
		c.Seed(f)
		binary.BigEndian.PutUint16(f[c.Field:], ^tcpip.Checksum(f[c.Start:c.End], 0))
	}
	return d.PipeEnd.WriteFrame(f)
}

func (d *gsoDev) fail(format string, a ...any) error {
	d.mu.Lock()
	d.errors = append(d.errors, fmt.Sprintf(format, a...))
	d.mu.Unlock()
	return nil
}

// WriteGSOFrame segments f at mss.
func (d *gsoDev) WriteGSOFrame(f []byte, mss int) error {
	const eth = link.EthernetHeaderLen
	c, ok := link.FindTxChecksum(f)
	if !ok || c.Proto != tcpip.ProtoTCP || c.End != len(f) {
		return d.fail("GSO frame is not one unfragmented TCP packet")
	}
	var src, dst tcpip.Addr
	copy(src[:], f[eth+12:])
	copy(dst[:], f[eth+16:])
	// Linux's convention: the pseudo-header sum over the whole packet.
	if got := binary.BigEndian.Uint16(f[c.Field:]); got != tcpip.PartialChecksum(src, dst, c.Proto, c.End-c.Start) {
		return d.fail("GSO frame's checksum field %#x is not the partial sum", got)
	}
	hdr := c.Start + int(f[c.Start+12]>>4)*4
	if len(f)-eth <= d.MTU() || mss+hdr-eth > d.MTU() {
		return d.fail("GSO frame of %d IP bytes with MSS %d on MTU %d", len(f)-eth, mss, d.MTU())
	}
	d.mu.Lock()
	d.gsoFrames++
	d.largest = max(d.largest, len(f)-eth)
	d.mss[mss]++
	d.mu.Unlock()
	for _, s := range nettest.SegmentTCP(f, hdr, mss) {
		if err := d.PipeEnd.WriteFrame(s); err != nil {
			return err
		}
	}
	return nil
}

// TestSegmentationOffload sends a TCP stream through a device with TSO:
// TCP hands it packets larger than the MTU with the connection's MSS,
// the device's segments reach a peer without offload intact, and the
// other direction (the peer's data, our ACKs) is untouched.
func TestSegmentationOffload(t *testing.T) {
	a, b := link.NewPipe(link.PipeConfig{}, tcpip.MAC{2, 0, 0, 0, 0, 1}, tcpip.MAC{2, 0, 0, 0, 0, 2})
	dev := &gsoDev{PipeEnd: a, mss: map[int]int{}}
	ha, hb, addrB, ctx := offloadHosts(t, dev, b)
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	tcpStream(t, ctx, ha, hb, addrB, data)
	dev.mu.Lock()
	defer dev.mu.Unlock()
	for _, e := range dev.errors {
		t.Error(e)
	}
	// The pipe's MTU is 1500: the MSS both sides agree on is 1460, and
	// each segment carries 12 bytes of timestamps, so the device cuts at
	// 1448 (Linux's gso_size with timestamps).
	if dev.gsoFrames == 0 || len(dev.mss) != 1 || dev.mss[1448] == 0 || dev.largest <= 1500 {
		t.Errorf("%d GSO frames, largest %d bytes, MSS used %v; want large frames cut at 1448", dev.gsoFrames, dev.largest, dev.mss)
	}
	t.Logf("%d GSO frames, largest %d IP bytes", dev.gsoFrames, dev.largest)
}
