package e1000

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"unsafe"

	"scone/kernel/net/tcpip"
)

// model is an 82540EM as far as the driver uses it: registers, DMA memory
// the device reads and writes, descriptor rings processed on tail writes,
// the transmit checksum context, interrupt causes and mask, and an
// interrupt line the driver waits on. Its lock stands for the bus: every
// register access and DMA the model does holds it.
type model struct {
	mu     sync.Mutex
	regs   map[uintptr]uint32
	icr    uint32
	ims    uint32
	eeprom [64]uint16
	noEERD bool // the EEPROM never answers
	mem    []DMA

	ctx      [8]byte // the last context descriptor's first 8 bytes
	holdTx   bool    // leave the transmit ring alone until releaseTx
	sent     [][]byte
	rxStatus uint32 // extra status and error bits for injected frames
	// MPC counts up and is not cleared by reading, as in QEMU.

	irq    chan struct{}
	closed chan struct{}
	once   sync.Once
	waits  atomic.Int64
}

var testMAC = tcpip.MAC{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

func newModel() *model {
	m := &model{regs: map[uintptr]uint32{}, irq: make(chan struct{}, 1), closed: make(chan struct{})}
	for i := 0; i < 3; i++ {
		m.eeprom[i] = uint16(testMAC[2*i]) | uint16(testMAC[2*i+1])<<8
	}
	m.regs[regSTATUS] = statusLU
	return m
}

func (m *model) AllocDMA(size int) (DMA, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	size = (size + 4095) &^ 4095
	base := uint64(0x100000)
	if n := len(m.mem); n > 0 {
		last := m.mem[n-1]
		base = last.Phys + uint64(len(last.Mem))
	}
	d := DMA{Mem: make([]byte, size), Phys: base}
	m.mem = append(m.mem, d)
	return d, nil
}

var errClosed = errors.New("model: closed")

func (m *model) WaitIRQ(irq int) error {
	m.waits.Add(1)
	select {
	case <-m.irq:
		return nil
	case <-m.closed:
		return errClosed
	}
}

func (m *model) close() { m.once.Do(func() { close(m.closed) }) }

// dma returns n bytes of memory at physical address pa.
func (m *model) dma(pa uint64, n int) []byte {
	for _, d := range m.mem {
		if pa >= d.Phys && pa+uint64(n) <= d.Phys+uint64(len(d.Mem)) {
			return d.Mem[pa-d.Phys:][:n]
		}
	}
	panic("model: DMA outside allocated memory")
}

func (m *model) Read32(off uintptr) uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch off {
	case regICR:
		v := m.icr
		m.icr = 0
		return v
	}
	return m.regs[off]
}

func (m *model) Write32(off uintptr, v uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch off {
	case regCTRL:
		m.regs[off] = v &^ ctrlRST
		return
	case regEERD:
		if m.noEERD {
			return
		}
		if v&eerdStart != 0 {
			m.regs[off] = uint32(m.eeprom[v>>8&63])<<16 | eerdDone
		}
		return
	case regIMS:
		m.ims |= v
		m.raise(0)
		return
	case regIMC:
		m.ims &^= v
		return
	case regICS:
		m.raise(v)
		return
	}
	m.regs[off] = v
	if off == regTDT && !m.holdTx {
		m.transmit()
	}
}

// raise sets interrupt causes and asserts the line if any is unmasked.
func (m *model) raise(cause uint32) {
	m.icr |= cause
	if m.icr&m.ims != 0 {
		select {
		case m.irq <- struct{}{}:
		default:
		}
	}
}

func (m *model) desc(ringLo, i uintptr) []byte {
	base := uint64(m.regs[ringLo]) | uint64(m.regs[ringLo+4])<<32
	return m.dma(base+uint64(i)*descSize, descSize)
}

// transmit sends every descriptor from head to tail, as the device does
// after a tail write.
func (m *model) transmit() {
	n := m.regs[regTDLEN] / descSize
	any := false
	for m.regs[regTDH] != m.regs[regTDT] {
		i := m.regs[regTDH]
		d := m.desc(regTDBAL, uintptr(i))
		cmd := binary.LittleEndian.Uint32(d[txdCmdWord:])
		if cmd&dcmdDEXT == 0 {
			panic("model: legacy transmit descriptor")
		}
		if cmd&(0xf<<20) == dtypContext {
			copy(m.ctx[:], d[:8])
		} else {
			length := int(cmd & 0xfffff)
			f := append([]byte(nil), m.dma(binary.LittleEndian.Uint64(d), length)...)
			if binary.LittleEndian.Uint32(d[txdStatus:])&popTXSM != 0 {
				css, cso, cse := int(m.ctx[4]), int(m.ctx[5]), int(binary.LittleEndian.Uint16(m.ctx[6:]))
				end := len(f)
				if cse != 0 {
					end = cse + 1
				}
				sum := ^tcpip.Checksum(f[css:end], 0)
				binary.BigEndian.PutUint16(f[cso:], sum)
			}
			m.sent = append(m.sent, f)
			if cmd&dcmdRS != 0 {
				atomic.StoreUint32((*uint32)(unsafe.Pointer(&d[txdStatus])), binary.LittleEndian.Uint32(d[txdStatus:])|txsDD)
				any = true
			}
		}
		m.regs[regTDH] = (i + 1) % n
	}
	if any {
		m.raise(intTXDW)
	}
}

// releaseTx lets the device transmit again and catches up.
func (m *model) releaseTx() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.holdTx = false
	m.transmit()
}

// inject receives a frame: the next free descriptor is filled and
// written back (status last), or, the ring being full, the frame is
// missed. It reports whether the frame was taken.
func (m *model) inject(f []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.injectLocked(f)
}

// holdIRQ runs f with the interrupt line held low, then raises whatever
// f caused: one interrupt for a burst. The model's lock is held.
func (m *model) holdIRQ(f func()) {
	ims := m.ims
	m.ims = 0
	f()
	m.ims = ims
	m.raise(0)
}

func (m *model) injectLocked(f []byte) bool {
	n := m.regs[regRDLEN] / descSize
	if m.regs[regRCTL]&rctlEN == 0 || n == 0 || m.regs[regRDH] == m.regs[regRDT] {
		m.regs[regMPC]++
		m.raise(intRXO)
		return false
	}
	i := m.regs[regRDH]
	d := m.desc(regRDBAL, uintptr(i))
	copy(m.dma(binary.LittleEndian.Uint64(d), len(f)), f)
	binary.LittleEndian.PutUint16(d[rxdLen:], uint16(len(f)))
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&d[rxdStatus])), rxsDD|rxsEOP|m.rxStatus)
	m.regs[regRDH] = (i + 1) % n
	m.raise(intRXT0)
	return true
}

// sentFrames returns the frames transmitted so far.
func (m *model) sentFrames() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.sent...)
}

// setLink changes the link and raises LSC.
func (m *model) setLink(up bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if up {
		m.regs[regSTATUS] |= statusLU
	} else {
		m.regs[regSTATUS] &^= statusLU
	}
	m.raise(intLSC)
}
