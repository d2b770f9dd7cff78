package pci

// Ports is the port I/O that configuration mechanism #1 needs; the machine
// layer provides it (machine.In32 and machine.Out32).
type Ports interface {
	In32(port uint16) uint32
	Out32(port uint16, v uint32)
}

// The two ports of configuration mechanism #1: an address is written to
// configAddress, then the selected dword is read or written at configData.
const (
	configAddress = 0xCF8
	configData    = 0xCFC
)

// Mech1 is configuration space through mechanism #1. It is not safe for
// concurrent use: an address write and the data access that follows it
// must not interleave with another's. The kernel scans once at boot.
type Mech1 struct{ P Ports }

// address is the dword written to configAddress: the enable bit, the
// function's address, and the register offset with its low two bits clear.
func address(a Addr, off uint8) uint32 {
	return 1<<31 | uint32(a.Bus)<<16 | uint32(a.Dev&31)<<11 | uint32(a.Func&7)<<8 | uint32(off&^3)
}

// Read32 reads the dword at off in a's configuration space.
func (m Mech1) Read32(a Addr, off uint8) uint32 {
	m.P.Out32(configAddress, address(a, off))
	return m.P.In32(configData)
}

// Write32 writes the dword at off in a's configuration space.
func (m Mech1) Write32(a Addr, off uint8, v uint32) {
	m.P.Out32(configAddress, address(a, off))
	m.P.Out32(configData, v)
}
