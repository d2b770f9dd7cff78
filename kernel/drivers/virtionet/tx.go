package virtionet

import (
	"encoding/binary"

	"scone/kernel/drivers/virtio"
	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

// WriteFrame copies frame into a free transmit buffer behind its header
// and hands it to the device; with no buffer free it drops the frame and
// counts it, as hardware does.
func (d *Device) WriteFrame(frame []byte) error {
	if len(frame) > maxFrame {
		return link.ErrFrameTooLarge
	}
	d.txMu.Lock()
	defer d.txMu.Unlock()
	d.reclaim()
	if len(d.txFree) == 0 {
		d.stats.TxDropped.Add(1)
		return nil
	}
	i := int(d.txFree[len(d.txFree)-1])
	buf := d.txBufs.Mem[i*bufSize:][:hdrLen+len(frame)]
	copy(buf[hdrLen:], frame)
	putHeader(buf, 0, 0, 0)
	if d.features&FeatureCSUM != 0 {
		if start, off, ok := partialChecksum(buf[hdrLen:]); ok {
			putHeader(buf, hdrFNeedsCsum, uint16(start), uint16(off))
			d.stats.TxCsumOffload.Add(1)
		}
	}
	head, err := d.txq.Add(virtio.Buf{Phys: d.txBufs.Phys + uint64(i*bufSize), Len: uint32(len(buf))})
	if err != nil {
		d.stats.TxDropped.Add(1) // cannot happen: one descriptor per buffer
		return nil
	}
	d.txFree = d.txFree[:len(d.txFree)-1]
	d.txBuf[head] = i
	d.txq.Kick()
	d.stats.TxFrames.Add(1)
	d.stats.TxBytes.Add(uint64(len(frame)))
	return nil
}

// reclaim returns the buffers of sent frames to the free list (txMu held).
func (d *Device) reclaim() {
	d.txUsed = d.txq.Reap(d.txUsed[:0])
	for _, u := range d.txUsed {
		d.txFree = append(d.txFree, uint16(d.txBuf[u.Head]))
	}
}

// partialChecksum prepares an Ethernet frame holding an unfragmented IPv4
// TCP or UDP datagram for the device to checksum: it returns where the
// transport header starts and where in it the checksum sits, and seeds
// that field with the pseudo-header's sum, as section 5.1.6.2 asks (the
// device sums from start to the end of the frame; Ethernet padding is
// zeros, which add nothing). UDP without a checksum (0) is left alone.
func partialChecksum(f []byte) (start, off int, ok bool) {
	const eth = link.EthernetHeaderLen
	if len(f) < eth+20 || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[eth]>>4 != 4 {
		return 0, 0, false
	}
	ihl := int(f[eth]&0xf) * 4
	total := int(binary.BigEndian.Uint16(f[eth+2:]))
	if ihl < 20 || total < ihl || total > len(f)-eth || binary.BigEndian.Uint16(f[eth+6:])&0x3fff != 0 {
		return 0, 0, false // truncated, or a fragment
	}
	if total < len(f)-eth {
		for _, b := range f[eth+total:] {
			if b != 0 {
				return 0, 0, false // padding that would change the sum
			}
		}
	}
	start = eth + ihl
	proto := f[eth+9]
	switch proto {
	case tcpip.ProtoTCP:
		off = 16
	case tcpip.ProtoUDP:
		off = 6
	default:
		return 0, 0, false
	}
	if eth+total < start+off+2 {
		return 0, 0, false
	}
	if proto == tcpip.ProtoUDP && binary.BigEndian.Uint16(f[start+off:]) == 0 {
		return 0, 0, false
	}
	var src, dst tcpip.Addr
	copy(src[:], f[eth+12:])
	copy(dst[:], f[eth+16:])
	sum := tcpip.PseudoHeaderSum(src, dst, proto, total-ihl)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(f[start+off:], uint16(sum))
	return start, off, true
}
