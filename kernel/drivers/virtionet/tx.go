package virtionet

import (
	"scone/kernel/drivers/virtio"
	"scone/kernel/net/link"
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
// device sums from start to the end of the frame, so any Ethernet padding
// must be zeros, which add nothing). UDP without a checksum (0) is left
// alone.
func partialChecksum(f []byte) (start, off int, ok bool) {
	c, ok := link.FindTxChecksum(f)
	if !ok {
		return 0, 0, false
	}
	for _, b := range f[c.End:] {
		if b != 0 {
			return 0, 0, false // padding that would change the sum
		}
	}
	c.Seed(f)
	return c.Start, c.Field - c.Start, true
}
