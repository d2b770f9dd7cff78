package link

import (
	"sync"

	"scone/kernel/net/tcpip"
)

// Manual is a device driven by hand: Inject delivers a frame synchronously
// to the attached dispatcher, and written frames are kept (up to a bound) for
// the test to inspect. Unit tests and fuzz targets use it to run a stack
// deterministically on one goroutine.
type Manual struct {
	mac tcpip.MAC
	mtu int
	max int

	mu      sync.Mutex
	d       Dispatcher
	written [][]byte
	dropped int
}

// NewManual returns a device that keeps at most keep written frames.
func NewManual(mac tcpip.MAC, mtu, keep int) *Manual {
	return &Manual{mac: mac, mtu: mtu, max: keep}
}

// MAC returns the device's hardware address.
func (m *Manual) MAC() tcpip.MAC { return m.mac }

// MTU returns the device's MTU.
func (m *Manual) MTU() int { return m.mtu }

// Attach sets the dispatcher Inject delivers to.
func (m *Manual) Attach(d Dispatcher) {
	m.mu.Lock()
	m.d = d
	m.mu.Unlock()
}

// WriteFrame records a copy of frame.
func (m *Manual) WriteFrame(frame []byte) error {
	if len(frame) > m.mtu+EthernetHeaderLen {
		return ErrFrameTooLarge
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.written) >= m.max {
		m.dropped++
		return nil
	}
	m.written = append(m.written, append([]byte(nil), frame...))
	return nil
}

// Inject delivers frame as if it had arrived from the wire.
func (m *Manual) Inject(frame []byte) {
	m.mu.Lock()
	d := m.d
	m.mu.Unlock()
	if d != nil {
		d.DeliverFrame(frame)
	}
}

// InjectChecked delivers frame as a device that vouched for its transport
// checksum does (CheckedDispatcher), or as Inject if the dispatcher takes
// no such frames.
func (m *Manual) InjectChecked(frame []byte) {
	m.mu.Lock()
	d := m.d
	m.mu.Unlock()
	if cd, ok := d.(CheckedDispatcher); ok {
		cd.DeliverCheckedFrame(frame)
	} else if d != nil {
		d.DeliverFrame(frame)
	}
}

// Take returns the frames written since the last Take and forgets them.
func (m *Manual) Take() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.written
	m.written = nil
	return w
}
