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
	disp := d.disp.Load()
	if disp == nil {
		d.stats.RxNoDispatcher.Add(1)
		return
	}
	// A frame marked NEEDS_CSUM (a peer on this host left the sum to the
	// device) or DATA_VALID (the device checked it) needs no check: a
	// stack that takes checked frames is told so and sums nothing; any
	// other gets a partial checksum completed here.
	checked := false
	switch flags := buf[0]; {
	case flags&hdrFNeedsCsum != 0:
		start := int(binary.LittleEndian.Uint16(buf[6:]))
		off := int(binary.LittleEndian.Uint16(buf[8:]))
		if start < 14 || start+off+2 > len(frame) {
			d.stats.RxErrors.Add(1)
			return
		}
		if disp.checked == nil {
			completeChecksum(frame, start, off)
			d.stats.RxCsumCompleted.Add(1)
		} else {
			checked = true
			d.stats.RxCsumPartial.Add(1)
		}
	case flags&hdrFDataValid != 0:
		d.stats.RxCsumValid.Add(1)
		checked = disp.checked != nil
	}
	d.stats.RxFrames.Add(1)
	d.stats.RxBytes.Add(uint64(len(frame)))
	if checked {
		disp.checked.DeliverCheckedFrame(frame)
	} else {
		disp.d.DeliverFrame(frame)
	}
}

// completeChecksum finishes a partial checksum: the field at start+off
// (inside the frame) holds the pseudo-header's sum, and the one's
// complement of the sum from start to the end of the frame goes there
// (section 5.1.6.4).
func completeChecksum(frame []byte, start, off int) {
	seed := uint32(binary.BigEndian.Uint16(frame[start+off:]))
	binary.BigEndian.PutUint16(frame[start+off:], 0)
	sum := ^tcpip.Checksum(frame[start:], seed)
	if sum == 0 {
		sum = 0xffff // 0 means "no checksum" to UDP; Linux sends 0xffff too
	}
	binary.BigEndian.PutUint16(frame[start+off:], sum)
}
