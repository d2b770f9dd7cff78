package e1000

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"
)

// initRx allocates the receive ring and its buffers, gives every
// descriptor but one to the device (head == tail means empty, so one
// slot always stays ours) and enables the receiver.
func (d *Device) initRx() error {
	var err error
	if d.rxRing, err = d.m.AllocDMA(ringSize * descSize); err != nil {
		return err
	}
	if d.rxBufs, err = d.m.AllocDMA(ringSize * bufSize); err != nil {
		return err
	}
	for i := 0; i < ringSize; i++ {
		binary.LittleEndian.PutUint64(d.rxRing.Mem[i*descSize:], d.rxBufs.Phys+uint64(i*bufSize))
	}
	r := d.regs
	r.Write32(regRDBAL, uint32(d.rxRing.Phys))
	r.Write32(regRDBAH, uint32(d.rxRing.Phys>>32))
	r.Write32(regRDLEN, ringSize*descSize)
	r.Write32(regRDH, 0)
	r.Write32(regRDT, ringSize-1)
	r.Write32(regRDTR, 0)
	r.Write32(regRADV, 0)
	r.Write32(regRXCSUM, rxcsumIPOFL|rxcsumTUOFL)
	// QEMU's model refuses frames for a second after each RCTL write
	// (its flush_queue_timer) and queues them meanwhile, so the first
	// DHCP offer arrives about 1 s after this: write it once.
	r.Write32(regRCTL, rctlEN|rctlBAM|rctlSECRC)
	return nil
}

// word returns the 32-bit word at off in mem for atomic access: the
// device writes a descriptor's status word last, so loading it with
// acquire order makes the rest of the descriptor and the buffer visible.
func word(mem []byte, off int) *uint32 {
	return (*uint32)(unsafe.Pointer(&mem[off]))
}

// receive takes up to budget ready frames off the ring, delivering each,
// and hands the descriptors back to the device. It reports whether it
// stopped at the budget with frames still ready.
func (d *Device) receive(budget int) (more bool) {
	n := 0
	for ; n < budget; n++ {
		off := d.rxNext * descSize
		st := atomic.LoadUint32(word(d.rxRing.Mem, off+rxdStatus))
		if st&rxsDD == 0 {
			break
		}
		length := int(binary.LittleEndian.Uint16(d.rxRing.Mem[off+rxdLen:]))
		d.deliver(st, d.rxBufs.Mem[d.rxNext*bufSize:][:min(length, bufSize)])
		atomic.StoreUint32(word(d.rxRing.Mem, off+rxdStatus), 0)
		d.rxNext = (d.rxNext + 1) % ringSize
	}
	if n > 0 {
		// The taken descriptors are the device's again: the tail names
		// the last one it may fill. One register write per round, not
		// per frame: each costs an exit to the hypervisor.
		d.regs.Write32(regRDT, uint32((d.rxNext+ringSize-1)%ringSize))
	}
	if n == budget {
		st := atomic.LoadUint32(word(d.rxRing.Mem, d.rxNext*descSize+rxdStatus))
		return st&rxsDD != 0
	}
	return false
}

// deliver checks one received frame and passes it up.
func (d *Device) deliver(st uint32, frame []byte) {
	s := &d.stats
	switch {
	case st&rxsEOP == 0:
		// 2 KiB buffers hold any frame the receiver accepts without
		// LPE; a fragment means a misprogrammed device.
		s.RxErrors.Add(1)
		return
	case st&rxeFrame != 0:
		s.RxErrors.Add(1)
		return
	case st&rxsIXSM == 0 && (st&rxsIPCS != 0 && st&rxeIPE != 0 || st&rxsTCPCS != 0 && st&rxeTCPE != 0):
		s.RxChecksumErrors.Add(1)
		return
	}
	if st&rxsIXSM == 0 && st&(rxsIPCS|rxsTCPCS) != 0 {
		s.RxChecksumOK.Add(1)
	}
	disp := d.disp.Load()
	if disp == nil {
		s.RxNoDispatcher.Add(1)
		return
	}
	s.RxFrames.Add(1)
	s.RxBytes.Add(uint64(len(frame)))
	disp.d.DeliverFrame(frame)
}
