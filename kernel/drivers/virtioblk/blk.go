// Package virtioblk drives a virtio block device (virtio 1.x section 5.2)
// and presents it as kernel/fs's RunDevice: 4 KiB blocks, and runs of up
// to 32 consecutive blocks in one request, read and written through
// bounce buffers in DMA memory, FLUSH for the journal's barriers, several
// requests in flight (one per calling goroutine, up to the number of
// request slots) and completion by interrupt.
//
// A request is a chain of three descriptors: the 16-byte header (type,
// reserved, sector) the device reads, the data, and the status byte the
// device writes.
package virtioblk

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"scone/kernel/drivers/pci"
	"scone/kernel/drivers/virtio"
)

// BlockSize is the size of kernel/fs's blocks and of every transfer.
const BlockSize = 4096

const sectorSize = 512

// Feature bits (section 5.2.3).
const (
	featureSizeMax = 1 << 1
	featureRO      = 1 << 5
	featureFlush   = 1 << 9
)

// Request types and status values (section 5.2.6).
const (
	typeIn     = 0
	typeOut    = 1
	typeFlush  = 4
	statusOK   = 0
	statusIOEr = 1
	statusUnsp = 2
	hdrLen     = 16
	// maxSlots bounds the requests in flight; each takes three
	// descriptors, so the ring never fills.
	maxSlots  = 16
	queueSize = 128
	// maxRun is the most blocks one request moves (128 KiB): the size of
	// each slot's bounce buffer.
	maxRun = 32
)

// A slot is the DMA memory of one request in flight.
type slot struct {
	hdr, status, data virtio.DMA // views into the disk's DMA allocations
	done              chan struct{}
}

// Disk is a virtio-blk device. Its methods are safe for concurrent use.
type Disk struct {
	dev      *virtio.Device
	q        *virtio.Queue
	nblocks  uint64
	readOnly bool
	flush    bool // FLUSH negotiated: the device may cache writes
	run      int  // the most blocks in one request: maxRun, or less if SIZE_MAX says so

	slots  chan *slot
	mu     sync.Mutex
	byHead []*slot // requests in flight by head descriptor
	used   []virtio.Used

	// Counters: requests of each kind, and the blocks read and written.
	Reads, Writes, Flushes, Errors atomic.Uint64
	BlocksRead, BlocksWritten      atomic.Uint64
}

// Open resets the virtio-blk function dev, negotiates, sets up its queue
// and starts taking its interrupts.
func Open(c pci.Config, dev pci.Device, m virtio.Machine) (*Disk, error) {
	d, err := virtio.Open(c, dev, m)
	if err != nil {
		return nil, err
	}
	f, err := d.Negotiate(featureRO | featureFlush | featureSizeMax)
	if err != nil {
		return nil, err
	}
	var sectors uint64
	var sizeMax uint32
	if err := d.ReadConfig(func(r virtio.Regs) {
		sectors = uint64(r.Read32(0)) | uint64(r.Read32(4))<<32
		sizeMax = r.Read32(8)
	}); err != nil {
		d.Fail()
		return nil, err
	}
	k := &Disk{dev: d, nblocks: sectors * sectorSize / BlockSize,
		readOnly: f&featureRO != 0, flush: f&featureFlush != 0, run: maxRun}
	if f&featureSizeMax != 0 && sizeMax != 0 {
		// Our data is one segment: it may not exceed size_max.
		k.run = max(1, min(maxRun, int(sizeMax/BlockSize)))
	}
	if k.q, err = d.SetupQueue(0, queueSize, k.interrupt); err != nil {
		d.Fail()
		return nil, err
	}
	k.byHead = make([]*slot, k.q.Size())
	n := min(maxSlots, k.q.Size()/3)
	data, err := m.AllocDMA(n * k.run * BlockSize)
	if err != nil {
		d.Fail()
		return nil, err
	}
	small, err := m.AllocDMA(n * 32)
	if err != nil {
		d.Fail()
		return nil, err
	}
	k.slots = make(chan *slot, n)
	for i := 0; i < n; i++ {
		k.slots <- &slot{
			hdr:    sub(small, i*32, hdrLen),
			status: sub(small, i*32+hdrLen, 1),
			data:   sub(data, i*k.run*BlockSize, k.run*BlockSize),
			done:   make(chan struct{}, 1),
		}
	}
	if err := d.Start(); err != nil {
		return nil, err
	}
	return k, nil
}

func sub(m virtio.DMA, off, n int) virtio.DMA {
	return virtio.DMA{Mem: m.Mem[off : off+n : off+n], Phys: m.Phys + uint64(off)}
}

// NumBlocks returns the disk's size in 4 KiB blocks (a partial block at
// the end is not used).
func (k *Disk) NumBlocks() uint64 { return k.nblocks }

// ReadOnly reports whether the device refuses writes.
func (k *Disk) ReadOnly() bool { return k.readOnly }

// Device returns the transport, for its counters.
func (k *Disk) Device() *virtio.Device { return k.dev }

// ReadBlock reads block n into b (BlockSize bytes).
func (k *Disk) ReadBlock(n uint64, b []byte) error { return k.ReadBlocks(n, [][]byte{b}) }

// WriteBlock writes b (BlockSize bytes) to block n. The write may sit in
// the device's cache until Flush.
func (k *Disk) WriteBlock(n uint64, b []byte) error { return k.WriteBlocks(n, [][]byte{b}) }

// ReadBlocks reads blocks n, n+1, ... into bufs, up to 32 blocks a
// request.
func (k *Disk) ReadBlocks(n uint64, bufs [][]byte) error {
	return k.transfer(typeIn, n, bufs)
}

// WriteBlocks writes bufs to blocks n, n+1, ..., up to 32 blocks a
// request. The writes may sit in the device's cache until Flush.
func (k *Disk) WriteBlocks(n uint64, bufs [][]byte) error {
	if k.readOnly {
		return fmt.Errorf("virtioblk: write block %d: %w", n, syscall.EROFS)
	}
	return k.transfer(typeOut, n, bufs)
}

// transfer checks a run and moves it in requests of at most k.run blocks.
func (k *Disk) transfer(typ uint32, n uint64, bufs [][]byte) error {
	for i, b := range bufs {
		if err := k.check(n+uint64(i), b); err != nil {
			return err
		}
	}
	for len(bufs) > 0 {
		m := min(len(bufs), k.run)
		if typ == typeIn {
			k.Reads.Add(1)
			k.BlocksRead.Add(uint64(m))
		} else {
			k.Writes.Add(1)
			k.BlocksWritten.Add(uint64(m))
		}
		if err := k.do(typ, n, bufs[:m]); err != nil {
			return err
		}
		n += uint64(m)
		bufs = bufs[m:]
	}
	return nil
}

// Flush returns once every write that completed before it is durable. A
// device that did not offer FLUSH has no write cache (section 5.2.6.2):
// every completed write is already durable.
func (k *Disk) Flush() error {
	if !k.flush {
		return nil
	}
	k.Flushes.Add(1)
	return k.do(typeFlush, 0, nil)
}

func (k *Disk) check(n uint64, b []byte) error {
	if len(b) != BlockSize {
		return fmt.Errorf("virtioblk: buffer of %d bytes, want %d: %w", len(b), BlockSize, syscall.EINVAL)
	}
	if n >= k.nblocks {
		return fmt.Errorf("virtioblk: block %d beyond the end (%d blocks): %w", n, k.nblocks, syscall.EINVAL)
	}
	return nil
}

// do issues one request for the blocks from block (none for a flush) and
// waits for its completion.
func (k *Disk) do(typ uint32, block uint64, bufs [][]byte) error {
	s := <-k.slots
	defer func() { k.slots <- s }()
	binary.LittleEndian.PutUint32(s.hdr.Mem[0:], typ)
	binary.LittleEndian.PutUint32(s.hdr.Mem[4:], 0)
	binary.LittleEndian.PutUint64(s.hdr.Mem[8:], block*(BlockSize/sectorSize))
	s.status.Mem[0] = 0xFF // a device that writes nothing is caught
	size := len(bufs) * BlockSize
	chain := []virtio.Buf{{Phys: s.hdr.Phys, Len: hdrLen}}
	switch typ {
	case typeOut:
		for i, b := range bufs {
			copy(s.data.Mem[i*BlockSize:], b)
		}
		chain = append(chain, virtio.Buf{Phys: s.data.Phys, Len: uint32(size)})
	case typeIn:
		chain = append(chain, virtio.Buf{Phys: s.data.Phys, Len: uint32(size), Write: true})
	}
	chain = append(chain, virtio.Buf{Phys: s.status.Phys, Len: 1, Write: true})

	// Under mu, so that the completion cannot be looked up before it is
	// recorded.
	k.mu.Lock()
	head, err := k.q.Add(chain...)
	if err == nil {
		k.byHead[head] = s
	}
	k.mu.Unlock()
	if err != nil {
		return fmt.Errorf("virtioblk: %w", err) // cannot happen: slots bound the ring
	}
	k.q.Kick()
	<-s.done

	switch st := s.status.Mem[0]; st {
	case statusOK:
		if typ == typeIn {
			for i, b := range bufs {
				copy(b, s.data.Mem[i*BlockSize:])
			}
		}
		return nil
	case statusUnsp:
		k.Errors.Add(1)
		return fmt.Errorf("virtioblk: request type %d for block %d: %w", typ, block, syscall.EOPNOTSUPP)
	default:
		k.Errors.Add(1)
		return fmt.Errorf("virtioblk: request type %d for block %d: status %d: %w", typ, block, st, syscall.EIO)
	}
}

// interrupt runs on the transport's interrupt goroutine: it takes every
// completed request off the used ring and wakes its caller. The reap and
// the lookups are one critical section with do's Add: once Reap frees a
// chain, another request may get the same head at once.
func (k *Disk) interrupt() {
	k.mu.Lock()
	k.used = k.q.Reap(k.used[:0])
	for _, u := range k.used {
		if s := k.byHead[u.Head]; s != nil {
			k.byHead[u.Head] = nil
			s.done <- struct{}{} // buffered: never blocks
		}
	}
	k.mu.Unlock()
}
