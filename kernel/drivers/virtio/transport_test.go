package virtio_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"scone/kernel/drivers/virtio"
	"scone/kernel/drivers/virtio/virtiotest"
)

// echo is a backend with one queue that copies each chain's readable bytes
// into its writable ones, completing chains in pairs, the second first.
type echo struct {
	held  *virtiotest.Chain
	heldN uint32
}

func (*echo) Features() uint64 { return 1<<5 | 1<<40 }
func (*echo) Config() []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, 0x1122334455667788)
	return b
}
func (*echo) NumQueues() int { return 1 }
func (e *echo) Handle(q int, c *virtiotest.Chain) {
	var in []byte
	for _, s := range c.Segs {
		if !s.Write {
			in = append(in, s.Data...)
		}
	}
	n := 0
	for _, s := range c.Segs {
		if s.Write {
			n += copy(s.Data, in[n:])
		}
	}
	if e.held == nil {
		e.held, e.heldN = c, uint32(n) // completed after the next one
		return
	}
	c.Complete(uint32(n))
	h := e.held
	e.held = nil
	h.Complete(e.heldN)
}

func open(t *testing.T, m *virtiotest.Device) *virtio.Device {
	t.Helper()
	d, err := virtio.Open(m, m.PCI, m)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTransport drives a modern-only device model: capabilities, reset,
// negotiation (only offered features, VERSION_1 required), a queue set up,
// DRIVER_OK, and chains completed out of order through the interrupt.
func TestTransport(t *testing.T) {
	_, modernID := virtio.DeviceIDs(virtio.TypeBlock)
	m := virtiotest.New(&echo{}, modernID, 1<<20)
	defer m.Close()
	d := open(t, m)
	if s := m.Status(); s != virtio.StatusAcknowledge|virtio.StatusDriver {
		t.Fatalf("status %#x after Open", s)
	}
	f, err := d.Negotiate(1<<5 | 1<<7)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(1<<5) | virtio.FeatureVersion1; f != want || m.DriverFeatures() != want {
		t.Fatalf("negotiated %#x, device saw %#x, want %#x", f, m.DriverFeatures(), want)
	}
	var cfg uint64
	if err := d.ReadConfig(func(r virtio.Regs) { cfg = uint64(r.Read32(0)) | uint64(r.Read32(4))<<32 }); err != nil {
		t.Fatal(err)
	}
	if cfg != 0x1122334455667788 {
		t.Fatalf("config %#x", cfg)
	}
	woke := make(chan struct{}, 16)
	q, err := d.SetupQueue(0, 64, func() { woke <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	if q.Size() != 64 {
		t.Fatalf("queue size %d, want 64 (the smaller of ours and the device's)", q.Size())
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	buf, _ := m.AllocDMA(4096)
	copy(buf.Mem, "ping")
	h1, _ := q.Add(virtio.Buf{Phys: buf.Phys, Len: 4}, virtio.Buf{Phys: buf.Phys + 100, Len: 4, Write: true})
	h2, _ := q.Add(virtio.Buf{Phys: buf.Phys, Len: 2}, virtio.Buf{Phys: buf.Phys + 200, Len: 8, Write: true})
	q.Kick()
	var got []virtio.Used
	deadline := time.After(10 * time.Second)
	for len(got) < 2 {
		select {
		case <-woke:
			got = q.Reap(got)
		case <-deadline:
			t.Fatalf("completions: %v after 10 s", got)
		}
	}
	if got[0].Head != h2 || got[0].Len != 2 || got[1].Head != h1 || got[1].Len != 4 {
		t.Fatalf("used %v, want h2=%d (2 bytes) then h1=%d (4)", got, h2, h1)
	}
	if string(buf.Mem[200:202]) != "pi" || string(buf.Mem[100:104]) != "ping" {
		t.Fatalf("device wrote %q %q", buf.Mem[100:104], buf.Mem[200:202])
	}
	if v := m.Violations(); len(v) > 0 {
		t.Fatalf("driver violated the protocol: %v", v)
	}
	if d.Interrupts.Load() == 0 {
		t.Fatal("no interrupts counted")
	}
}

func TestOpenRefusals(t *testing.T) {
	trans, _ := virtio.DeviceIDs(virtio.TypeNet)
	tests := []struct {
		name  string
		setup func(m *virtiotest.Device)
		want  error
	}{
		{"legacy-only", func(m *virtiotest.Device) { m.Legacy, m.NoCaps = true, true }, virtio.ErrNoModern},
		{"no VERSION_1", func(m *virtiotest.Device) { m.Legacy = true }, virtio.ErrNoVersion1},
		{"features refused", func(m *virtiotest.Device) { m.RefuseFeatures = true }, virtio.ErrFeatures},
		{"not virtio", func(m *virtiotest.Device) { m.PCI.Vendor = 0x8086 }, virtio.ErrNotVirtio},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := virtiotest.New(&echo{}, trans, 1<<20)
			defer m.Close()
			tt.setup(m)
			d, err := virtio.Open(m, m.PCI, m)
			if err == nil {
				_, err = d.Negotiate(0)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if d != nil && m.Status()&virtio.StatusFailed == 0 {
				t.Fatalf("status %#x: driver gave up without FAILED", m.Status())
			}
		})
	}
}
