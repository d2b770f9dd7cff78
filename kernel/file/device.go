package file

import (
	"sync"
	"syscall"
)

// OpenFunc opens a device for the given open flags.
type OpenFunc func(flags int) (File, error)

var devices struct {
	mu sync.RWMutex
	m  map[uint64]OpenFunc
}

// RegisterDevice makes opens of character device rdev (Mkdev) call open,
// wherever the device node is: in /dev or on the root file system.
func RegisterDevice(rdev uint64, open OpenFunc) {
	devices.mu.Lock()
	defer devices.mu.Unlock()
	if devices.m == nil {
		devices.m = make(map[uint64]OpenFunc)
	}
	devices.m[rdev] = open
}

// OpenDevice opens character device rdev; ENXIO if no driver has it, as
// Linux says for a node without a device.
func OpenDevice(rdev uint64, flags int) (File, error) {
	devices.mu.RLock()
	open := devices.m[rdev]
	devices.mu.RUnlock()
	if open == nil {
		return nil, syscall.ENXIO
	}
	return open(flags)
}
