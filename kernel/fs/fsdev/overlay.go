package fsdev

import "sync"

// Overlay is a copy-on-write view of a base device: reads see the base
// unless the block was written through the overlay, and the base is never
// modified. fsck uses it to replay the journal without touching the image.
type Overlay struct {
	base Device
	mu   sync.Mutex
	top  map[uint64][]byte
}

// NewOverlay returns an overlay over base.
func NewOverlay(base Device) *Overlay {
	return &Overlay{base: base, top: make(map[uint64][]byte)}
}

// NumBlocks returns the base's size.
func (o *Overlay) NumBlocks() uint64 { return o.base.NumBlocks() }

// ReadBlock returns the overlay's copy of block n, or the base's.
func (o *Overlay) ReadBlock(n uint64, b []byte) error {
	if err := checkArgs(n, o.base.NumBlocks(), b); err != nil {
		return err
	}
	o.mu.Lock()
	d, ok := o.top[n]
	if ok {
		copy(b, d)
	}
	o.mu.Unlock()
	if ok {
		return nil
	}
	return o.base.ReadBlock(n, b)
}

// WriteBlock keeps a private copy of b as block n.
func (o *Overlay) WriteBlock(n uint64, b []byte) error {
	if err := checkArgs(n, o.base.NumBlocks(), b); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.top[n] = append([]byte(nil), b...)
	return nil
}

// Flush does nothing: the overlay lives in memory.
func (o *Overlay) Flush() error { return nil }

// Dirty returns how many blocks differ from the base's copy (were written).
func (o *Overlay) Dirty() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.top)
}
