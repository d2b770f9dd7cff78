package fsdev

import (
	"bytes"
	"errors"
	"math/rand"
	"path/filepath"
	"syscall"
	"testing"
)

func block(v byte) []byte { return bytes.Repeat([]byte{v}, BlockSize) }

func readV(t *testing.T, d Device, n uint64) byte {
	t.Helper()
	b := make([]byte, BlockSize)
	if err := d.ReadBlock(n, b); err != nil {
		t.Fatal(err)
	}
	return b[BlockSize-1]
}

// TestDevices runs the same script on every device kind.
func TestDevices(t *testing.T) {
	file, err := CreateFile(filepath.Join(t.TempDir(), "img"), 16)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	mem := NewMem(16)
	for name, d := range map[string]Device{
		"mem": mem, "file": file, "overlay": NewOverlay(NewMem(16)),
		"recorder": NewRecorder(NewMem(16)),
	} {
		t.Run(name, func(t *testing.T) {
			if d.NumBlocks() != 16 {
				t.Errorf("NumBlocks %d", d.NumBlocks())
			}
			if v := readV(t, d, 3); v != 0 {
				t.Errorf("unwritten block reads %d", v)
			}
			if err := d.WriteBlock(3, block(7)); err != nil {
				t.Fatal(err)
			}
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			if v := readV(t, d, 3); v != 7 {
				t.Errorf("read back %d", v)
			}
			if err := d.WriteBlock(16, block(1)); !errors.Is(err, syscall.EIO) {
				t.Errorf("write past the end: %v", err)
			}
			if err := d.ReadBlock(0, make([]byte, 10)); !errors.Is(err, syscall.EINVAL) {
				t.Errorf("short buffer: %v", err)
			}
		})
	}
}

func TestOverlayLeavesBase(t *testing.T) {
	base := NewMem(4)
	base.WriteBlock(1, block(1))
	o := NewOverlay(base)
	o.WriteBlock(1, block(2))
	if readV(t, base, 1) != 1 || readV(t, o, 1) != 2 || o.Dirty() != 1 {
		t.Error("overlay wrote through to its base")
	}
}

// TestCrashImage: a prefix of the writes persists in order; with rng, the
// writes before the last flush always persist and later ones may not.
func TestCrashImage(t *testing.T) {
	base := NewMem(8)
	r := NewRecorder(base.Clone())
	r.WriteBlock(1, block(1)) // write 0
	r.WriteBlock(2, block(2)) // write 1
	r.Flush()
	r.WriteBlock(3, block(3)) // write 2
	r.WriteBlock(1, block(4)) // write 3
	ev := r.Events()
	if r.Writes() != 4 || len(ev) != 5 {
		t.Fatalf("recorded %d writes, %d events", r.Writes(), len(ev))
	}
	img := CrashImage(base, ev, 3, nil)
	if readV(t, img, 1) != 1 || readV(t, img, 3) != 3 {
		t.Error("in-order crash before write 3: wrong image")
	}
	if readV(t, base, 1) != 0 {
		t.Error("CrashImage modified its base")
	}
	seen := map[byte]bool{}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 50; i++ {
		img := CrashImage(base, ev, 4, rng)
		if readV(t, img, 2) != 2 {
			t.Fatal("a write before the flush was lost")
		}
		seen[readV(t, img, 1)] = true
	}
	if !seen[1] || !seen[4] {
		t.Errorf("reordering never varied block 1: %v", seen)
	}
}
