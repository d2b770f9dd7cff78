package sys

import (
	"encoding/binary"
	"syscall"
	"testing"

	"scone/kernel/mem"
)

// getrusage writes Linux's struct rusage: ru_maxrss (KiB) at offset 32
// for RUSAGE_SELF and RUSAGE_THREAD; a bad who is EINVAL, a bad pointer
// EFAULT.
func TestGetrusage(t *testing.T) {
	th := newThread(t)
	va, err := th.Mem().Mmap(0, 5*mem.PageSize, mem.ProtRead|mem.ProtWrite, mem.MapPrivate|mem.MapAnonymous, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := th.Mem().CopyOut(va, make([]byte, 4*mem.PageSize)); err != nil { // 4 of the 5 pages present
		t.Fatal(err)
	}
	tests := []struct {
		who, buf  uint64
		wantRAX   uint64
		wantRSSKB uint64
	}{
		{0, uint64(va), 0, 16},
		{1, uint64(va), 0, 16},
		{2, uint64(va), neg(syscall.EINVAL), 0},
		{0, 0x10, neg(syscall.EFAULT), 0},
	}
	for _, tc := range tests {
		th.Regs.RAX, th.Regs.RDI, th.Regs.RSI = 98, tc.who, tc.buf
		Dispatch(th)
		if th.Regs.RAX != tc.wantRAX {
			t.Errorf("getrusage(%d, %#x) = %#x, want %#x", tc.who, tc.buf, th.Regs.RAX, tc.wantRAX)
			continue
		}
		if tc.wantRAX != 0 {
			continue
		}
		b := make([]byte, 144)
		if err := th.Mem().CopyIn(b, va); err != nil {
			t.Fatal(err)
		}
		if got := binary.LittleEndian.Uint64(b[32:]); got != tc.wantRSSKB {
			t.Errorf("getrusage(%d): ru_maxrss %d KiB, want %d", tc.who, got, tc.wantRSSKB)
		}
	}
}

// times fills struct tms (four tick counts) and returns ticks since boot;
// a bad pointer is EFAULT.
func TestTimes(t *testing.T) {
	th := newThread(t)
	va, err := th.Mem().Mmap(0, mem.PageSize, mem.ProtRead|mem.ProtWrite, mem.MapPrivate|mem.MapAnonymous, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	th.Mem().CopyOut(va, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	th.Regs.RAX, th.Regs.RDI = 100, uint64(va)
	Dispatch(th)
	b := make([]byte, 32)
	th.Mem().CopyIn(b, va)
	if int64(th.Regs.RAX) < 0 || binary.LittleEndian.Uint64(b) != 0 {
		t.Errorf("times = %#x, tms_utime %#x; want ticks and 0 (no CPU used)", th.Regs.RAX, binary.LittleEndian.Uint64(b))
	}
	th.Regs.RAX, th.Regs.RDI = 100, 0x10
	if Dispatch(th); th.Regs.RAX != neg(syscall.EFAULT) {
		t.Errorf("times(bad) = %#x, want EFAULT", th.Regs.RAX)
	}
}
