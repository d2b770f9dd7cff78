package sys

import (
	"syscall"
	"testing"

	"scone/kernel/file"
	"scone/kernel/mem"
	"scone/kernel/proc"
)

func newThread(t *testing.T) *proc.Thread {
	proc.NewPageTable = func() (mem.PageTable, error) { return mem.NewFake(), nil }
	th, err := proc.NewProcess(file.NewTable(), new(file.FSContext))
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func TestDispatch(t *testing.T) {
	th := newThread(t)
	const nrOK, nrErr, nrIntr, nrNoRestart = 500, 501, 502, 503
	Register(nrOK, "ok", func(_ *proc.Thread, a Args) (uintptr, error) { return a[0] + a[5], nil })
	Register(nrErr, "err", func(*proc.Thread, Args) (uintptr, error) { return 0, syscall.EBADF })
	Register(nrIntr, "intr", func(*proc.Thread, Args) (uintptr, error) { return 0, syscall.EINTR })
	Register(nrNoRestart, "norestart", func(*proc.Thread, Args) (uintptr, error) { return 0, ErrNoRestart })
	tests := []struct {
		nr      uint64
		wantRAX uint64
		wantRIP uint64
	}{
		{nrOK, 7, 0x1002},
		{nrErr, neg(syscall.EBADF), 0x1002},
		{nrIntr, nrIntr, 0x1000}, // no handler will run: restarted
		{nrNoRestart, neg(syscall.EINTR), 0x1002},
		{499, neg(syscall.ENOSYS), 0x1002},
		{1 << 40, neg(syscall.ENOSYS), 0x1002},
	}
	for _, tc := range tests {
		th.Regs.RAX, th.Regs.RIP, th.Regs.RDI, th.Regs.R9 = tc.nr, 0x1002, 3, 4
		Dispatch(th)
		if th.Regs.RAX != tc.wantRAX || th.Regs.RIP != tc.wantRIP {
			t.Errorf("call %d: rax %#x rip %#x, want %#x %#x", tc.nr, th.Regs.RAX, th.Regs.RIP, tc.wantRAX, tc.wantRIP)
		}
	}
	if Name(nrOK) != "ok" {
		t.Errorf("Name(%d) = %q", nrOK, Name(nrOK))
	}
}

func neg(e syscall.Errno) uint64 { return uint64(-int64(e)) }
