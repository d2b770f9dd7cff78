package virtionet

import (
	"syscall"

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
	return d.send(frame, 0)
}

// WriteGSOFrame implements link.GSOEndpoint: frame, an IPv4 TCP packet of
// up to 64 KiB whose checksum the device completes, goes out in one
// buffer for the device to cut into segments of mss payload bytes.
func (d *Device) WriteGSOFrame(frame []byte, mss int) error {
	if d.features&FeatureHostTSO4 == 0 || len(frame) > link.EthernetHeaderLen+gsoMaxIP {
		return link.ErrFrameTooLarge
	}
	if mss <= 0 || mss > 0xffff {
		return syscall.EINVAL
	}
	return d.send(frame, mss)
}

// send copies frame behind its header into a free buffer, a GSO buffer if
// mss is set, and queues it.
func (d *Device) send(frame []byte, mss int) error {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	d.reclaim()
	free, base, bufs, size := &d.txFree, 0, d.txBufs, bufSize
	if mss > 0 {
		free, base, bufs, size = &d.gsoFree, d.txq.Size(), d.gso, gsoBufSize
	}
	if len(*free) == 0 {
		d.stats.TxDropped.Add(1)
		return nil
	}
	i := int((*free)[len(*free)-1])
	buf := bufs.Mem[i*size:][:hdrLen+len(frame)]
	copy(buf[hdrLen:], frame)
	putHeader(buf, 0, 0, 0)
	if mss > 0 {
		start, off, hdr, ok := gsoFrame(buf[hdrLen:])
		if !ok {
			return syscall.EINVAL // not what TCP sends: a caller's bug
		}
		putGSOHeader(buf, hdrFNeedsCsum, uint16(start), uint16(off), gsoTCPv4, uint16(hdr), uint16(mss))
		d.stats.TxGSO.Add(1)
		d.stats.TxGSOSegs.Add(uint64((len(frame) - hdr + mss - 1) / mss))
	} else if d.features&FeatureCSUM != 0 {
		if start, off, ok := partialChecksum(buf[hdrLen:]); ok {
			putHeader(buf, hdrFNeedsCsum, uint16(start), uint16(off))
			d.stats.TxCsumOffload.Add(1)
		}
	}
	head, err := d.txq.Add(virtio.Buf{Phys: bufs.Phys + uint64(i*size), Len: uint32(len(buf))})
	if err != nil {
		d.stats.TxDropped.Add(1) // cannot happen: one descriptor per buffer
		return nil
	}
	*free = (*free)[:len(*free)-1]
	d.txBuf[head] = base + i
	d.txq.Kick()
	d.stats.TxFrames.Add(1)
	d.stats.TxBytes.Add(uint64(len(frame)))
	return nil
}

// reclaim returns the buffers of sent frames to the free list (txMu held).
func (d *Device) reclaim() {
	d.txUsed = d.txq.Reap(d.txUsed[:0])
	for _, u := range d.txUsed {
		if i := d.txBuf[u.Head]; i < d.txq.Size() {
			d.txFree = append(d.txFree, uint16(i))
		} else {
			d.gsoFree = append(d.gsoFree, uint16(i-d.txq.Size()))
		}
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

// gsoFrame prepares a frame for segmentation as partialChecksum does and
// also returns the length of the headers (Ethernet, IP, TCP) every
// segment repeats. Only unfragmented IPv4 TCP with room for data is ok.
func gsoFrame(f []byte) (start, off, hdr int, ok bool) {
	c, ok := link.FindTxChecksum(f)
	if !ok || c.Proto != tcpip.ProtoTCP || c.End != len(f) || c.Start+20 > c.End {
		return 0, 0, 0, false
	}
	hdr = c.Start + int(f[c.Start+12]>>4)*4
	if hdr < c.Start+20 || hdr > c.End {
		return 0, 0, 0, false
	}
	c.Seed(f)
	return c.Start, c.Field - c.Start, hdr, true
}
