package machine

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// MMIO is a window of device registers, mapped uncached.  Every access is a
// single load or store of the given width, in program order (the atomic
// operations keep the compiler from merging, eliding or reordering them).
type MMIO struct {
	base, size uintptr
}

// MapMMIO maps size bytes of device registers at physical address phys,
// typically a PCI memory BAR.  RAM cannot be mapped this way.
func MapMMIO(phys, size uintptr) (MMIO, error) {
	v, _, e := syscall.Syscall(SysMapMMIO, phys, size, 0)
	if e != 0 {
		return MMIO{}, fmt.Errorf("machine: map MMIO %#x+%#x: %w", phys, size, e)
	}
	return MMIO{base: v, size: size}, nil
}

// Size returns the window's length in bytes.
func (m MMIO) Size() uintptr { return m.size }

// at returns the address of the register at off, which must hold n bytes
// inside the window and be aligned to n.  A bad offset is a driver bug.
func (m MMIO) at(off, n uintptr) unsafe.Pointer {
	if off+n > m.size || off+n < off || off%n != 0 {
		panic(fmt.Sprintf("machine: MMIO access of %d bytes at %#x outside a %#x-byte window", n, off, m.size))
	}
	return ptr(m.base + off)
}

// Read32 reads the 32-bit register at off.
func (m MMIO) Read32(off uintptr) uint32 { return atomic.LoadUint32((*uint32)(m.at(off, 4))) }

// Write32 writes the 32-bit register at off.
func (m MMIO) Write32(off uintptr, v uint32) { atomic.StoreUint32((*uint32)(m.at(off, 4)), v) }

// Read64 reads the 64-bit register at off.
func (m MMIO) Read64(off uintptr) uint64 { return atomic.LoadUint64((*uint64)(m.at(off, 8))) }

// Write64 writes the 64-bit register at off.
func (m MMIO) Write64(off uintptr, v uint64) { atomic.StoreUint64((*uint64)(m.at(off, 8)), v) }

// Read16 reads the 16-bit register at off.
func (m MMIO) Read16(off uintptr) uint16 { return mmioRead16(uintptr(m.at(off, 2))) }

// Write16 writes the 16-bit register at off.
func (m MMIO) Write16(off uintptr, v uint16) { mmioWrite16(uintptr(m.at(off, 2)), v) }

// Read8 reads the byte register at off.
func (m MMIO) Read8(off uintptr) uint8 { return mmioRead8(uintptr(m.at(off, 1))) }

// Write8 writes the byte register at off.
func (m MMIO) Write8(off uintptr, v uint8) { mmioWrite8(uintptr(m.at(off, 1)), v) }

func mmioRead8(a uintptr) uint8
func mmioWrite8(a uintptr, v uint8)
func mmioRead16(a uintptr) uint16
func mmioWrite16(a uintptr, v uint16)

// DMA is physically contiguous memory a device can read and write: Mem is
// the kernel's view, Phys the address to program into the device.
type DMA struct {
	Mem  []byte
	Phys uintptr
}

// ErrDMASize is returned for a DMA request of 0 bytes or over 4 MiB.
var ErrDMASize = errors.New("machine: DMA size must be 1 byte to 4 MiB")

// AllocDMA returns size bytes (rounded up to pages) of zeroed, contiguous
// memory.  It is never freed: allocate rings and buffer pools once.
func AllocDMA(size int) (DMA, error) {
	if size <= 0 || size > maxDMA {
		return DMA{}, ErrDMASize
	}
	pa, _, e := syscall.Syscall(SysAllocDMA, uintptr(size), 0, 0)
	if e != 0 {
		return DMA{}, fmt.Errorf("machine: allocate %d bytes of DMA memory: %w", size, e)
	}
	n := int(roundPage(uintptr(size)))
	return DMA{Mem: unsafe.Slice((*byte)(ptr(phys2virt(pa))), n), Phys: pa}, nil
}
