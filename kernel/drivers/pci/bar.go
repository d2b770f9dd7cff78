package pci

import (
	"errors"
	"fmt"
	"strings"
)

// A BAR is one decoded base address register: where a function's registers
// live (in I/O or memory space) and how large the window is.
type BAR struct {
	Index    int    // 0..5; a 64-bit BAR uses Index and Index+1
	IO       bool   // I/O space, else memory space
	Is64     bool   // memory BAR with a 64-bit address
	Prefetch bool   // memory BAR that may be prefetched
	Addr     uint64 // base address as programmed by firmware
	Size     uint64 // window size in bytes, found by the write-ones probe
}

// Errors found while decoding BARs. They are kept on the Device rather than
// failing the scan: one odd function should not hide the others.
var (
	ErrBAR64Last   = errors.New("pci: 64-bit BAR in the last slot")
	ErrBARReserved = errors.New("pci: memory BAR of reserved type")
)

// Low bits of a BAR: bit 0 selects I/O space; for memory, bits 1..2 are the
// type (0 = 32-bit, 2 = 64-bit) and bit 3 is prefetchable.
const (
	barIO       = 1 << 0
	barType64   = 2 << 1
	barTypeMask = 3 << 1
	barPrefetch = 1 << 3
	ioMask      = ^uint32(0x3)
	memMask     = ^uint32(0xF)
)

// probeBARs decodes the first n BARs of a. The size of each is found the
// standard way: write all ones, read back which address bits stick, restore.
// Decoding is turned off meanwhile so that the function never answers at
// the transient all-ones address.
func probeBARs(c Config, a Addr, n int) ([]BAR, []error) {
	if n == 0 {
		return nil, nil
	}
	cmd := c.Read32(a, regCommand)
	c.Write32(a, regCommand, cmd&^(cmdIO|cmdMem)&0xFFFF)
	defer c.Write32(a, regCommand, cmd&0xFFFF)

	var bars []BAR
	var errs []error
	for i := 0; i < n; i++ {
		off := uint8(regBAR0 + 4*i)
		orig := c.Read32(a, off)
		c.Write32(a, off, 0xFFFFFFFF)
		ones := c.Read32(a, off)
		c.Write32(a, off, orig)

		b := BAR{Index: i, IO: orig&barIO != 0}
		var mask uint64 // the address bits that stuck
		switch {
		case b.IO:
			b.Addr = uint64(orig & ioMask)
			if m := ones & ioMask; m != 0 {
				// Bits 16..31 may read back as zero: I/O space is 64 KiB.
				mask = uint64(m | 0xFFFF0000)
			}
			mask |= 0xFFFFFFFF_00000000
		case orig&barTypeMask == barType64:
			if i == n-1 {
				errs = append(errs, fmt.Errorf("%v bar%d: %w", a, i, ErrBAR64Last))
				continue
			}
			hiOff := off + 4
			hi := c.Read32(a, hiOff)
			c.Write32(a, hiOff, 0xFFFFFFFF)
			hiOnes := c.Read32(a, hiOff)
			c.Write32(a, hiOff, hi)
			b.Is64 = true
			b.Prefetch = orig&barPrefetch != 0
			b.Addr = uint64(hi)<<32 | uint64(orig&memMask)
			mask = uint64(hiOnes)<<32 | uint64(ones&memMask)
			i++ // the next BAR is this one's upper half
		case orig&barTypeMask == 0:
			b.Prefetch = orig&barPrefetch != 0
			b.Addr = uint64(orig & memMask)
			if m := ones & memMask; m != 0 {
				mask = uint64(m) | 0xFFFFFFFF_00000000
			}
		default:
			errs = append(errs, fmt.Errorf("%v bar%d: %w (%#x)", a, i, ErrBARReserved, orig))
			continue
		}
		if uint32(mask) == 0 && (!b.Is64 || mask == 0) {
			continue // no address bits stick: the BAR is not implemented
		}
		// The lowest set bit of the mask is the window size.
		b.Size = mask & -mask
		bars = append(bars, b)
	}
	return bars, errs
}

// String formats b as, for example, "bar0 mem32 0xfebc0000 128K".
func (b BAR) String() string {
	kind := "io"
	switch {
	case b.IO:
	case b.Is64:
		kind = "mem64"
	default:
		kind = "mem32"
	}
	if b.Prefetch {
		kind += ",pf"
	}
	return fmt.Sprintf("bar%d %s %#x %s", b.Index, kind, b.Addr, sizeString(b.Size))
}

// sizeString prints a power-of-two size the way humans read it.
func sizeString(n uint64) string {
	units := []string{"", "K", "M", "G", "T"}
	u := 0
	for n >= 1024 && n%1024 == 0 && u < len(units)-1 {
		n /= 1024
		u++
	}
	return fmt.Sprintf("%d%s", n, units[u])
}

// barList joins BARs for the table.
func barList(bars []BAR) string {
	s := make([]string, len(bars))
	for i, b := range bars {
		s[i] = b.String()
	}
	return strings.Join(s, "; ")
}
