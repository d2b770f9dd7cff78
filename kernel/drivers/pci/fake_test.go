package pci

import "fmt"

// fakeConfig is configuration space in memory. BARs behave as hardware's
// do: address bits below the window size are read-only zero, the type bits
// are read-only, and an unimplemented BAR reads as zero.
type fakeConfig struct {
	funcs map[Addr]*fakeFunc
	// decodingProbe is set when a BAR was written with all ones while the
	// function still decoded its windows.
	decodingProbe bool
}

type fakeFunc struct {
	regs  [64]uint32
	sizes [6]uint64 // BAR window sizes; for a 64-bit BAR at i, sizes[i+1] is unused
	ioTop bool      // I/O BARs read bits 16..31 back as zero
}

func newFake() *fakeConfig { return &fakeConfig{funcs: map[Addr]*fakeFunc{}} }

// add creates a function; header is the header type byte (0x80 = multi-function).
func (c *fakeConfig) add(a Addr, vendor, device uint16, class, sub, header, irq, pin uint8) *fakeFunc {
	f := &fakeFunc{}
	f.regs[regID/4] = uint32(device)<<16 | uint32(vendor)
	f.regs[regCommand/4] = cmdIO | cmdMem
	f.regs[regClass/4] = uint32(class)<<24 | uint32(sub)<<16 | 0x01
	f.regs[regHeader/4] = uint32(header) << 16
	f.regs[regInterrupt/4] = uint32(pin)<<8 | uint32(irq)
	c.funcs[a] = f
	return f
}

// bar programs BAR i: kind is "io", "mem32", "mem64" or "mem64pf".
func (f *fakeFunc) bar(i int, kind string, addr, size uint64) *fakeFunc {
	f.sizes[i] = size
	switch kind {
	case "io":
		f.regs[regBAR0/4+i] = uint32(addr) | barIO
	case "mem32":
		f.regs[regBAR0/4+i] = uint32(addr)
	case "mem64", "mem64pf":
		low := uint32(addr) | barType64
		if kind == "mem64pf" {
			low |= barPrefetch
		}
		f.regs[regBAR0/4+i] = low
		f.regs[regBAR0/4+i+1] = uint32(addr >> 32)
	default:
		panic(fmt.Sprintf("fake bar kind %q", kind))
	}
	return f
}

func (c *fakeConfig) Read32(a Addr, off uint8) uint32 {
	f, ok := c.funcs[a]
	if !ok {
		return 0xFFFFFFFF
	}
	return f.regs[off/4]
}

func (c *fakeConfig) Write32(a Addr, off uint8, v uint32) {
	f, ok := c.funcs[a]
	if !ok {
		return
	}
	r := int(off / 4)
	switch {
	case off == regCommand:
		f.regs[r] = f.regs[r]&0xFFFF0000 | v&0xFFFF
	case off >= regBAR0 && off < regBAR0+24:
		if v == 0xFFFFFFFF && f.regs[regCommand/4]&(cmdIO|cmdMem) != 0 {
			c.decodingProbe = true
		}
		f.writeBAR(r-regBAR0/4, v)
	}
}

func (f *fakeFunc) writeBAR(i int, v uint32) {
	cur := &f.regs[regBAR0/4+i]
	if i > 0 && f.regs[regBAR0/4+i-1]&(barIO|barTypeMask) == barType64 && f.sizes[i-1] != 0 {
		*cur = v & uint32(^(f.sizes[i-1]-1)>>32) // upper half of a 64-bit BAR
		return
	}
	size := f.sizes[i]
	if size == 0 {
		*cur = 0
		return
	}
	flags := *cur & 0xF
	if flags&barIO != 0 {
		flags &= 3
	}
	*cur = v&uint32(^(size-1))&^0xF | flags
	if flags&barIO != 0 && f.ioTop {
		*cur &= 0xFFFF
	}
}

// fakePorts is mechanism #1's two ports in front of a fakeConfig.
type fakePorts struct {
	c    *fakeConfig
	addr uint32
}

func (p *fakePorts) decode() (Addr, uint8, bool) {
	a := Addr{Bus: uint8(p.addr >> 16), Dev: uint8(p.addr>>11) & 31, Func: uint8(p.addr>>8) & 7}
	return a, uint8(p.addr), p.addr&(1<<31) != 0
}

func (p *fakePorts) In32(port uint16) uint32 {
	switch port {
	case configAddress:
		return p.addr
	case configData:
		if a, off, ok := p.decode(); ok {
			return p.c.Read32(a, off)
		}
	}
	return 0xFFFFFFFF
}

func (p *fakePorts) Out32(port uint16, v uint32) {
	switch port {
	case configAddress:
		p.addr = v
	case configData:
		if a, off, ok := p.decode(); ok {
			p.c.Write32(a, off, v)
		}
	}
}
