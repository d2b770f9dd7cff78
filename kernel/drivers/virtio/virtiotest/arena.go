// Package virtiotest is a model of a virtio 1.x PCI device for host tests:
// PCI configuration space with the virtio capabilities, the registers of
// BAR 4 laid out as QEMU lays them out (common configuration, ISR, device
// configuration, notifications), split virtqueues that a goroutine per
// queue serves from "physical" memory, and an interrupt line. What the
// device does with each descriptor chain is up to a Backend: the block and
// network drivers' tests supply one each.
//
// The model checks the driver as it goes (status sequence, features,
// queue addresses, descriptor chains) and records every violation, which a
// test reads with Violations.
package virtiotest

import (
	"errors"
	"fmt"
	"sync"

	"scone/kernel/drivers/virtio"
)

// physBase is where the arena's "physical" memory starts; page 0 stays
// unused so a zero address is always a bug.
const physBase = 0x100000

// An Arena is physical memory for DMA: AllocDMA hands out page-aligned
// pieces of one slice, and the device model reaches them by address.
type Arena struct {
	mu   sync.Mutex
	mem  []byte
	used int
}

// NewArena returns an arena of size bytes.
func NewArena(size int) *Arena {
	// Over-allocate so that the first page can be aligned.
	raw := make([]byte, size+4096)
	return &Arena{mem: raw}
}

// AllocDMA returns zeroed, page-aligned memory, as the machine layer does.
func (a *Arena) AllocDMA(size int) (virtio.DMA, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := (size + 4095) &^ 4095
	if size <= 0 || a.used+n > len(a.mem)-4096 {
		return virtio.DMA{}, fmt.Errorf("virtiotest: cannot allocate %d bytes of DMA memory", size)
	}
	start := a.used
	a.used += n
	return virtio.DMA{Mem: a.mem[start : start+n : start+n], Phys: physBase + uint64(start)}, nil
}

// ErrBadAddress means a descriptor pointed outside the arena.
var ErrBadAddress = errors.New("virtiotest: DMA address outside memory")

// Bytes returns the n bytes at physical address phys.
func (a *Arena) Bytes(phys uint64, n uint32) ([]byte, error) {
	a.mu.Lock()
	used := a.used
	a.mu.Unlock()
	if phys < physBase || phys-physBase+uint64(n) > uint64(used) {
		return nil, fmt.Errorf("%w: %#x+%d", ErrBadAddress, phys, n)
	}
	off := phys - physBase
	return a.mem[off : off+uint64(n) : off+uint64(n)], nil
}
