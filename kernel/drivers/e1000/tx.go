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
// reports false if the ring has no room. The frame is copied into the
// buffer of the first free slot (a context descriptor, when one is
// needed, takes that slot and the data descriptor the next, pointing at
// the same buffer) and readied for checksum offload there: the caller's
// frame is only read.
func (d *Device) put(frame []byte) bool {
	if d.free() < 1 {
		return false
	}
	slot := d.txTail
	buf := d.txBufs.Mem[slot*bufSize:][:len(frame)]
	copy(buf, frame)
	c, ok := link.FindTxChecksum(buf)
	var ctx uint64
	if ok {
		cse := 0 // the sum runs to the end of the frame...
		if c.End < len(buf) {
			cse = c.End - 1 // ...unless padding follows the datagram
		}
		ctx = uint64(c.Start) | uint64(c.Field)<<8 | uint64(cse)<<16 | uint64(c.Proto)<<32
		if ctx != d.txCtx {
			if d.free() < 2 {
				return false
			}
			d.putContext(c, cse)
			d.txCtx = ctx
		}
	}
	i := d.txTail
	opts := uint32(0)
	if ok {
		c.Seed(buf)
		opts = popTXSM
	}
	desc := d.txRing.Mem[i*descSize:][:descSize]
	binary.LittleEndian.PutUint64(desc, d.txBufs.Phys+uint64(slot*bufSize))
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
// at the transport header, ends at cse (0: the end of the frame) and is
// stored in its field. The IPv4 header checksum stays the stack's.
func (d *Device) putContext(c link.TxChecksum, cse int) {
	i := d.txTail
	desc := d.txRing.Mem[i*descSize:][:descSize]
	clear(desc)
	desc[4] = byte(c.Start)
	desc[5] = byte(c.Field)
	binary.LittleEndian.PutUint16(desc[6:], uint16(cse))
	tucmd := uint32(tucmdIP)
	if c.Proto == tcpip.ProtoTCP {
		tucmd |= tucmdTCP
	}
	binary.LittleEndian.PutUint32(desc[txdCmdWord:], dtypContext|dcmdDEXT|tucmd)
	d.txTail = (i + 1) % ringSize
	d.stats.TxContexts.Add(1)
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
