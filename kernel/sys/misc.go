package sys

import (
	"crypto/rand"
	"fmt"
	"os"
	"path"
	"syscall"
	"time"

	"scone/kernel/machine"
	"scone/kernel/mem"
	"scone/kernel/proc"
)

func init() {
	Register(63, "uname", sysUname)
	Register(169, "reboot", sysReboot)
	Register(318, "getrandom", func(t *proc.Thread, a Args) (uintptr, error) {
		n := min(a[1], 32<<20)
		b := make([]byte, n)
		rand.Read(b)
		if err := t.Mem().CopyOut(a[0], b); err != nil {
			return 0, err
		}
		return n, nil
	})
	Register(99, "sysinfo", sysSysinfo)
	Register(98, "getrusage", sysGetrusage)
	Register(100, "times", func(t *proc.Thread, a Args) (uintptr, error) {
		if a[0] != 0 {
			self, children := t.Proc().Usage()
			tick := func(d time.Duration) uint64 { return uint64(d / (10 * time.Millisecond)) }
			if err := writeU64s(t, a[0], tick(self.Utime), tick(self.Stime), tick(children.Utime), tick(children.Stime)); err != nil {
				return 0, err
			}
		}
		return uintptr(time.Since(bootTime) / (10 * time.Millisecond)), nil
	})
	Register(302, "prlimit64", func(t *proc.Thread, a Args) (uintptr, error) {
		return prlimit(t, int(int32(a[0])), int(a[1]), a[2], a[3])
	})
	Register(97, "getrlimit", func(t *proc.Thread, a Args) (uintptr, error) { return prlimit(t, 0, int(a[0]), 0, a[1]) })
	Register(160, "setrlimit", func(t *proc.Thread, a Args) (uintptr, error) { return prlimit(t, 0, int(a[0]), a[1], 0) })
	Register(204, "sched_getaffinity", func(t *proc.Thread, a Args) (uintptr, error) {
		if a[1] < 8 || a[1]%8 != 0 {
			return 0, syscall.EINVAL
		}
		return 8, writeU64s(t, a[2], 1) // one CPU
	})
	Register(203, "sched_setaffinity", func(t *proc.Thread, a Args) (uintptr, error) { return 0, nil })
	Register(158, "arch_prctl", sysArchPrctl)
	Register(157, "prctl", func(t *proc.Thread, a Args) (uintptr, error) {
		switch a[0] {
		case 15: // PR_SET_NAME
			return 0, nil
		case 16: // PR_GET_NAME
			name := make([]byte, 16)
			copy(name[:15], path.Base(t.Proc().Exe()))
			return 0, t.Mem().CopyOut(a[1], name)
		}
		return 0, syscall.EINVAL
	})
}

func sysUname(t *proc.Thread, a Args) (uintptr, error) {
	b := make([]byte, 6*65)
	for i, s := range []string{"Linux", "scone", "6.1.0-scone", "#1 Scone", "x86_64", "(none)"} {
		copy(b[i*65:], s)
	}
	return 0, t.Mem().CopyOut(a[0], b)
}

// reboot's magic numbers and the commands Scone knows.
const (
	rebootMagic1   = 0xfee1dead
	rebootMagic2   = 672274793
	rebootPowerOff = 0x4321fedc
	rebootRestart  = 0x01234567
	rebootHalt     = 0xcdef0123
)

func sysReboot(t *proc.Thread, a Args) (uintptr, error) {
	if uint32(a[0]) != rebootMagic1 || uint32(a[1]) != rebootMagic2 && uint32(a[1]) != 85072278 &&
		uint32(a[1]) != 369367448 && uint32(a[1]) != 537993216 {
		return 0, syscall.EINVAL
	}
	switch uint32(a[2]) {
	case rebootPowerOff, rebootHalt, rebootRestart:
		fmt.Fprintln(os.Stdout, "reboot: power off")
		machine.Exit(0)
	}
	return 0, syscall.EINVAL
}

func sysSysinfo(t *proc.Thread, a Args) (uintptr, error) {
	m := machine.Memory()
	b := make([]byte, 112)
	le.PutUint64(b[0:], uint64(time.Since(bootTime)/time.Second))
	le.PutUint64(b[32:], m.TotalPages*mem.PageSize)
	le.PutUint64(b[40:], m.FreePages*mem.PageSize)
	le.PutUint16(b[80:], uint16(len(proc.Procs())))
	le.PutUint32(b[104:], 1)
	return 0, t.Mem().CopyOut(a[0], b)
}

func prlimit(t *proc.Thread, pid, res int, nw, old uintptr) (uintptr, error) {
	p := t.Proc()
	if pid != 0 && pid != p.PID {
		if p = proc.Lookup(pid); p == nil {
			return 0, syscall.ESRCH
		}
	}
	var set *[2]uint64
	if nw != 0 {
		b := make([]byte, 16)
		if err := t.Mem().CopyIn(b, nw); err != nil {
			return 0, err
		}
		set = &[2]uint64{le.Uint64(b), le.Uint64(b[8:])}
	}
	cur, err := p.Rlimit(res, set)
	if err != nil {
		return 0, err
	}
	if old != 0 {
		return 0, writeU64s(t, old, cur[0], cur[1])
	}
	return 0, nil
}

func sysArchPrctl(t *proc.Thread, a Args) (uintptr, error) {
	switch a[0] {
	case 0x1002: // ARCH_SET_FS
		if a[1] >= mem.UserTop {
			return 0, syscall.EPERM
		}
		t.Regs.FSBase = uint64(a[1])
		return 0, nil
	case 0x1003: // ARCH_GET_FS
		return 0, writeU64s(t, a[1], t.Regs.FSBase)
	case 0x1001: // ARCH_SET_GS
		if a[1] >= mem.UserTop {
			return 0, syscall.EPERM
		}
		t.Regs.GSBase = uint64(a[1])
		return 0, nil
	case 0x1004: // ARCH_GET_GS
		return 0, writeU64s(t, a[1], t.Regs.GSBase)
	}
	return 0, syscall.EINVAL
}
