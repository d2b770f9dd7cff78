package virtionet

import (
	"encoding/binary"

	"scone/kernel/drivers/virtio"
	"scone/kernel/net/tcpip"
)

// post gives receive buffer i to the device.
func (d *Device) post(i int) error {
	head, err := d.rxq.Add(virtio.Buf{Phys: d.rxBufs.Phys + uint64(i*bufSize), Len: bufSize, Write: true})
	if err == nil {
		d.rxBuf[head] = i
	}
	return err
}

// receive runs on the interrupt goroutine: it takes every filled buffer,
// hands its frame up and posts the buffer again, then tells the device
// once per batch.
func (d *Device) receive() {
	for {
		d.rxUsed = d.rxq.Reap(d.rxUsed[:0])
		if len(d.rxUsed) == 0 {
			return
		}
		// Look every buffer up before posting any: a post may take a
		// head that a later entry of this batch still names.
		d.rxIdx = d.rxIdx[:0]
		for _, u := range d.rxUsed {
			d.rxIdx = append(d.rxIdx, d.rxBuf[u.Head])
		}
		for k, u := range d.rxUsed {
			i := d.rxIdx[k]
			d.deliver(d.rxBufs.Mem[i*bufSize:][:bufSize], u.Len)
			if err := d.post(i); err != nil {
				d.stats.RxErrors.Add(1) // cannot happen: the batch freed a descriptor per buffer
			}
		}
		d.rxq.Kick()
	}
}

// deliver checks a receive buffer the device filled with n bytes and
// passes its frame up.
func (d *Device) deliver(buf []byte, n uint32) {
	if n < hdrLen+14 || n > bufSize {
		d.stats.RxErrors.Add(1)
		return
	}
	frame := buf[hdrLen:n]
	switch flags := buf[0]; {
	case flags&hdrFNeedsCsum != 0:
		start := int(binary.LittleEndian.Uint16(buf[6:]))
		off := int(binary.LittleEndian.Uint16(buf[8:]))
		if !completeChecksum(frame, start, off) {
			d.stats.RxErrors.Add(1)
			return
		}
		d.stats.RxCsumCompleted.Add(1)
	case flags&hdrFDataValid != 0:
		d.stats.RxCsumValid.Add(1)
	}
	disp := d.disp.Load()
	if disp == nil {
		d.stats.RxNoDispatcher.Add(1)
		return
	}
	d.stats.RxFrames.Add(1)
	d.stats.RxBytes.Add(uint64(len(frame)))
	disp.d.DeliverFrame(frame)
}

// completeChecksum finishes a partial checksum: the field at start+off
// holds the pseudo-header's sum, and the one's complement of the sum from
// start to the end of the frame goes there (section 5.1.6.4).
func completeChecksum(frame []byte, start, off int) bool {
	if start+off+2 > len(frame) || start < 14 {
		return false
	}
	seed := uint32(binary.BigEndian.Uint16(frame[start+off:]))
	binary.BigEndian.PutUint16(frame[start+off:], 0)
	sum := ^tcpip.Checksum(frame[start:], seed)
	if sum == 0 {
		sum = 0xffff // 0 means "no checksum" to UDP; Linux sends 0xffff too
	}
	binary.BigEndian.PutUint16(frame[start+off:], sum)
	return true
}
