// Package tap attaches Scone's network stack to a Linux TAP device, so that
// the stack, running as an ordinary host process, exchanges Ethernet frames
// with the Linux kernel's own stack. The Linux side of the device is a normal
// interface (give it an address, ping through it, tcpdump it); the other side
// is a file descriptor that this package reads and writes frames on.
package tap

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

// MTU is the IP MTU of the device: standard Ethernet.
const MTU = 1500

// Device is one TAP device as a link.Endpoint. It is safe for concurrent
// use.
type Device struct {
	name string
	mac  tcpip.MAC
	f    *os.File

	mu      sync.Mutex
	d       link.Dispatcher
	reading bool

	closed  atomic.Bool
	done    chan struct{} // closed when the reader goroutine exits
	RxDrops atomic.Uint64 // frames read before Attach, or short reads
	TxError atomic.Uint64 // failed writes
}

// Open creates (or attaches to an existing persistent) TAP device called
// name, in the calling thread's network namespace, and gives our end the
// hardware address mac. The Linux interface is destroyed when the device
// is closed, unless it was made persistent (ip tuntap add).
func Open(name string, mac tcpip.MAC) (*Device, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("tap: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap: %q: %w", name, err)
	}
	// IFF_NO_PI: frames only, without the 4-byte packet-information
	// header TUN/TAP otherwise prepends.
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap: TUNSETIFF %q: %w", name, err)
	}
	// A non-blocking fd wrapped by os.NewFile is served by Go's network
	// poller: a blocked Read parks only its goroutine, and Close wakes it.
	return &Device{
		name: ifr.Name(),
		mac:  mac,
		f:    os.NewFile(uintptr(fd), "tap:"+name),
		done: make(chan struct{}),
	}, nil
}

// Name returns the Linux interface name.
func (t *Device) Name() string { return t.name }

// MAC returns our end's hardware address.
func (t *Device) MAC() tcpip.MAC { return t.mac }

// MTU returns the device MTU.
func (t *Device) MTU() int { return MTU }

// WriteFrame hands one Ethernet frame to Linux.
func (t *Device) WriteFrame(frame []byte) error {
	if len(frame) > MTU+link.EthernetHeaderLen {
		return link.ErrFrameTooLarge
	}
	if t.closed.Load() {
		return link.ErrClosed
	}
	if _, err := t.f.Write(frame); err != nil {
		t.TxError.Add(1)
		if errors.Is(err, os.ErrClosed) {
			return link.ErrClosed
		}
		// The Linux side is down or its queue is full: a dropped frame,
		// as on real hardware.
	}
	return nil
}

// Attach sets the dispatcher and, the first time, starts the goroutine that
// reads frames from Linux.
func (t *Device) Attach(d link.Dispatcher) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.d = d
	if !t.reading {
		t.reading = true
		go t.read()
	}
}

func (t *Device) read() {
	defer close(t.done)
	buf := make([]byte, 65536)
	for {
		n, err := t.f.Read(buf)
		if err != nil {
			if t.closed.Load() || errors.Is(err, os.ErrClosed) {
				return
			}
			// An unexpected error (the device going away under us, say):
			// count it and pause rather than spin on it.
			t.RxDrops.Add(1)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if n < link.EthernetHeaderLen {
			t.RxDrops.Add(1)
			continue
		}
		t.mu.Lock()
		d := t.d
		t.mu.Unlock()
		d.DeliverFrame(buf[:n])
	}
}

// Close detaches from the device (destroying it unless persistent) and
// waits for the reader goroutine to finish.
func (t *Device) Close() error {
	if t.closed.Swap(true) {
		return nil
	}
	err := t.f.Close()
	t.mu.Lock()
	reading := t.reading
	t.mu.Unlock()
	if reading {
		<-t.done
	}
	return err
}
