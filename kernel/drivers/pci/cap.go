package pci

import (
	"errors"
	"fmt"
)

// Registers and bits for the capability list.
const (
	regCapPtr     = 0x34    // offset of the first capability (low byte)
	statusCapList = 1 << 20 // in the command/status dword: the list exists
	maxCaps       = 48      // (256-64)/4: a longer list has a loop
)

// A Capability is one entry of a function's capability list: its ID
// (0x09 vendor-specific, 0x11 MSI-X, ...) and the offset of its first
// byte in configuration space.
type Capability struct {
	ID  uint8
	Off uint8
}

// ErrCapLoop means a capability list points back into itself or below the
// standard header: a broken device that must not hang the kernel.
var ErrCapLoop = errors.New("pci: capability list is malformed")

// Capabilities walks a's capability list.
func Capabilities(c Config, a Addr) ([]Capability, error) {
	if c.Read32(a, regCommand)&statusCapList == 0 {
		return nil, nil
	}
	var caps []Capability
	off := uint8(c.Read32(a, regCapPtr)) &^ 3
	for off != 0 {
		if off < 0x40 || len(caps) == maxCaps {
			return caps, fmt.Errorf("%v: %w (entry at %#x)", a, ErrCapLoop, off)
		}
		v := c.Read32(a, off)
		caps = append(caps, Capability{ID: uint8(v), Off: off})
		off = uint8(v>>8) &^ 3
	}
	return caps, nil
}
