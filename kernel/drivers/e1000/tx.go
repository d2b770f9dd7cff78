package e1000

import (
	"encoding/binary"
	"sync/atomic"

	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

// initTx allocates the transmit ring and its buffers (descriptor i uses
// buffer i) and enables the transmitter.
func (d *Device) initTx() error {
	var err error
	if d.txRing, err = d.m.AllocDMA(ringSize * descSize); err != nil {
		return err
	}
	if d.txBufs, err = d.m.AllocDMA(ringSize * bufSize); err != nil {
		return err
	}
	d.swqStore = make([]byte, swqSize*maxFrame)
	for i := range d.swq {
		d.swq[i] = d.swqStore[i*maxFrame : (i+1)*maxFrame]
	}
	r := d.regs
	r.Write32(regTDBAL, uint32(d.txRing.Phys))
	r.Write32(regTDBAH, uint32(d.txRing.Phys>>32))
	r.Write32(regTDLEN, ringSize*descSize)
	r.Write32(regTDH, 0)
	r.Write32(regTDT, 0)
	r.Write32(regTIDV, 0)
	r.Write32(regTIPG, tipgDefault)
	r.Write32(regTCTL, tctlEN|tctlPSP|tctlCT|tctlCOLD)
	return nil
}

// WriteFrame puts frame on the transmit ring, or, with the ring full, in
// the software queue that the transmit interrupt drains; with that full
// too, the frame is dropped and counted, as hardware does.
func (d *Device) WriteFrame(frame []byte) error {
	if len(frame) > maxFrame {
		return link.ErrFrameTooLarge
	}
	select {
	case <-d.stop:
		return link.ErrClosed
	default:
	}
	d.txMu.Lock()
	defer d.txMu.Unlock()
	d.reclaim()
	if d.swqLen == 0 && d.put(frame) {
		d.regs.Write32(regTDT, uint32(d.txTail))
		return nil
	}
	if d.swqLen == swqSize {
		d.stats.TxDropped.Add(1)
		return nil
	}
	i := (d.swqHead + d.swqLen) % swqSize
	d.swq[i] = d.swq[i][:copy(d.swq[i][:maxFrame], frame)]
	d.swqLen++
	d.stats.TxQueued.Add(1)
	return nil
}

// free is how many descriptors are ours to fill. One stays empty so that
// a full ring (tail just behind head) differs from an empty one.
func (d *Device) free() int {
	return (d.txClean - d.txTail - 1 + ringSize) % ringSize
}

// reclaim takes back the descriptors the device has written back.
// Every data descriptor asks for status (RS); a context descriptor
// carries none and is reclaimed with the data descriptor behind it (put writes the two together).
func (d *Device) reclaim() {
	for d.txClean != d.txTail {
		i := d.txClean
		cmd := binary.LittleEndian.Uint32(d.txRing.Mem[i*descSize+txdCmdWord:])
		if cmd&dcmdRS == 0 {
			i = (i + 1) % ringSize // a context: done when its data is
		}
		if atomic.LoadUint32(word(d.txRing.Mem, i*descSize+txdStatus))&txsDD == 0 {
			return
		}
		d.txClean = (i + 1) % ringSize
	}
}

// put fills descriptors for frame, without telling the device. It
// reports false if the ring has no room.
func (d *Device) put(frame []byte) bool {
	css, cso, cse, tucmd, ok := checksumOffsets(frame)
	need := 1
	ctx := uint64(css) | uint64(cso)<<8 | uint64(cse)<<16 | uint64(tucmd)<<32
	if ok && ctx != d.txCtx {
		need = 2
	}
	if d.free() < need {
		return false
	}
	if need == 2 {
		d.putContext(css, cso, cse, tucmd)
		d.txCtx = ctx
	}
	i := d.txTail
	buf := d.txBufs.Mem[i*bufSize:][:len(frame)]
	copy(buf, frame)
	opts := uint32(0)
	if ok {
		seedChecksum(buf, css, cso)
		opts = popTXSM
	}
	desc := d.txRing.Mem[i*descSize:][:descSize]
	binary.LittleEndian.PutUint64(desc, d.txBufs.Phys+uint64(i*bufSize))
	binary.LittleEndian.PutUint32(desc[txdCmdWord:], uint32(len(frame))|dtypData|dcmdDEXT|dcmdEOP|dcmdIFCS|dcmdRS)
	binary.LittleEndian.PutUint32(desc[txdStatus:], opts)
	d.txTail = (i + 1) % ringSize
	d.stats.TxFrames.Add(1)
	d.stats.TxBytes.Add(uint64(len(frame)))
	if ok {
		d.stats.TxChecksumOffload.Add(1)
	}
	return true
}

// putContext writes a context descriptor: the TCP or UDP checksum starts
// at css (the transport header), ends at cse (0: the end of the frame)
// and is stored at cso. The IPv4 header checksum stays the stack's.
func (d *Device) putContext(css, cso, cse int, tucmd uint32) {
	i := d.txTail
	desc := d.txRing.Mem[i*descSize:][:descSize]
	clear(desc)
	desc[4] = byte(css)
	desc[5] = byte(cso)
	binary.LittleEndian.PutUint16(desc[6:], uint16(cse))
	binary.LittleEndian.PutUint32(desc[txdCmdWord:], dtypContext|dcmdDEXT|tucmd)
	d.txTail = (i + 1) % ringSize
	d.stats.TxContexts.Add(1)
}

// checksumOffsets finds, in an Ethernet frame holding an unfragmented
// IPv4 TCP or UDP datagram with a checksum, where the transport header
// starts (css), where its checksum sits (cso) and its last byte (cse, 0
// when that ends the frame; padding after the datagram must stay out of
// the sum). UDP with checksum 0 (none) is sent as it is.
func checksumOffsets(f []byte) (css, cso, cse int, tucmd uint32, ok bool) {
	const eth = link.EthernetHeaderLen
	if len(f) < eth+20 || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[eth]>>4 != 4 {
		return 0, 0, 0, 0, false
	}
	ihl := int(f[eth]&0xf) * 4
	total := int(binary.BigEndian.Uint16(f[eth+2:]))
	if ihl < 20 || total > len(f)-eth || binary.BigEndian.Uint16(f[eth+6:])&0x3fff != 0 {
		return 0, 0, 0, 0, false // truncated, or a fragment
	}
	if total < len(f)-eth {
		cse = eth + total - 1
	}
	css = eth + ihl
	switch f[eth+9] {
	case tcpip.ProtoTCP:
		cso, tucmd = css+16, tucmdTCP|tucmdIP
	case tcpip.ProtoUDP:
		cso, tucmd = css+6, tucmdIP
	default:
		return 0, 0, 0, 0, false
	}
	if eth+total < cso+2 || css > 255 || cso > 255 {
		return 0, 0, 0, 0, false
	}
	if f[eth+9] == tcpip.ProtoUDP && binary.BigEndian.Uint16(f[cso:]) == 0 {
		return 0, 0, 0, 0, false
	}
	return css, cso, cse, tucmd, true
}

// seedChecksum replaces the transport checksum with the sum of the
// pseudo-header alone, which the device folds into its sum of the
// transport header and payload (Linux's CHECKSUM_PARTIAL convention).
func seedChecksum(f []byte, css, cso int) {
	const eth = link.EthernetHeaderLen
	var src, dst tcpip.Addr
	copy(src[:], f[eth+12:])
	copy(dst[:], f[eth+16:])
	total := int(binary.BigEndian.Uint16(f[eth+2:]))
	sum := tcpip.PseudoHeaderSum(src, dst, f[eth+9], total-(css-eth))
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(f[cso:], uint16(sum))
}

// refill moves frames from the software queue onto the ring, in order,
// and tells the device. It runs on the transmit interrupt.
func (d *Device) refill() {
	d.txMu.Lock()
	defer d.txMu.Unlock()
	d.reclaim()
	moved := false
	for d.swqLen > 0 && d.put(d.swq[d.swqHead]) {
		d.swqHead = (d.swqHead + 1) % swqSize
		d.swqLen--
		moved = true
	}
	if moved {
		d.regs.Write32(regTDT, uint32(d.txTail))
	}
}
