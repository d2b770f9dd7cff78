package sys

import (
	"syscall"

	"scone/kernel/proc"
)

func init() {
	Register(13, "rt_sigaction", sysRtSigaction)
	Register(14, "rt_sigprocmask", sysRtSigprocmask)
	Register(15, "rt_sigreturn", func(t *proc.Thread, _ Args) (uintptr, error) {
		if err := t.Sigreturn(); err != nil {
			t.Force(proc.SigInfo{Signo: int32(syscall.SIGSEGV), Code: 0x80})
			return uintptr(t.Regs.RAX), nil
		}
		return uintptr(t.Regs.RAX), nil // the restored RAX
	})
	Register(127, "rt_sigpending", func(t *proc.Thread, a Args) (uintptr, error) {
		if a[1] != 8 {
			return 0, syscall.EINVAL
		}
		return 0, writeU64s(t, a[0], t.Pending())
	})
	Register(130, "rt_sigsuspend", func(t *proc.Thread, a Args) (uintptr, error) {
		if a[1] != 8 {
			return 0, syscall.EINVAL
		}
		m, err := readU64(t, a[0])
		if err != nil {
			return 0, err
		}
		t.Sigsuspend(m)
		return 0, ErrNoRestart
	})
	Register(131, "sigaltstack", sysSigaltstack)
	Register(62, "kill", sysKill)
	Register(200, "tkill", func(t *proc.Thread, a Args) (uintptr, error) {
		return tgkill(t, -1, int(int32(a[0])), int(a[1]))
	})
	Register(234, "tgkill", func(t *proc.Thread, a Args) (uintptr, error) {
		if int32(a[0]) <= 0 {
			return 0, syscall.EINVAL
		}
		return tgkill(t, int(int32(a[0])), int(int32(a[1])), int(a[2]))
	})
}

func sysRtSigaction(t *proc.Thread, a Args) (uintptr, error) {
	if a[3] != 8 {
		return 0, syscall.EINVAL
	}
	var act *proc.SigAction
	if a[1] != 0 {
		b := make([]byte, 32)
		if err := t.Mem().CopyIn(b, a[1]); err != nil {
			return 0, err
		}
		act = &proc.SigAction{Handler: le.Uint64(b), Flags: le.Uint64(b[8:]), Restorer: le.Uint64(b[16:]), Mask: le.Uint64(b[24:])}
	}
	old, err := t.Proc().Sigaction(int(a[0]), act)
	if err != nil {
		return 0, err
	}
	if a[2] != 0 {
		return 0, writeU64s(t, a[2], old.Handler, old.Flags, old.Restorer, old.Mask)
	}
	return 0, nil
}

func sysRtSigprocmask(t *proc.Thread, a Args) (uintptr, error) {
	if a[3] != 8 {
		return 0, syscall.EINVAL
	}
	var set *uint64
	if a[1] != 0 {
		v, err := readU64(t, a[1])
		if err != nil {
			return 0, err
		}
		set = &v
	}
	if set != nil && a[0] > 2 {
		return 0, syscall.EINVAL
	}
	old, err := t.Sigprocmask(int(a[0]), set)
	if err != nil {
		return 0, err
	}
	if a[2] != 0 {
		return 0, writeU64s(t, a[2], old)
	}
	return 0, nil
}

func sysSigaltstack(t *proc.Thread, a Args) (uintptr, error) {
	var ss *[3]uint64
	if a[0] != 0 {
		b := make([]byte, 24)
		if err := t.Mem().CopyIn(b, a[0]); err != nil {
			return 0, err
		}
		ss = &[3]uint64{le.Uint64(b), uint64(le.Uint32(b[8:])), le.Uint64(b[16:])}
	}
	old, err := t.Sigaltstack(ss)
	if err != nil {
		return 0, err
	}
	if a[1] != 0 {
		return 0, writeU64s(t, a[1], old[0], old[1], old[2])
	}
	return 0, nil
}

func sysKill(t *proc.Thread, a Args) (uintptr, error) {
	pid, sig := int(int32(a[0])), int(a[1])
	if sig < 0 || sig > 64 {
		return 0, syscall.EINVAL
	}
	info := t.Proc().UserInfo(sig)
	var targets []*proc.Process
	switch {
	case pid > 0:
		if p := proc.Lookup(pid); p != nil {
			targets = append(targets, p)
		}
	case pid == 0:
		pg, _ := t.Proc().Groups()
		targets = proc.Group(pg)
	case pid == -1:
		for _, p := range proc.All() {
			if p.PID != 1 && p != t.Proc() {
				targets = append(targets, p)
			}
		}
	default:
		targets = proc.Group(-pid)
	}
	if len(targets) == 0 {
		return 0, syscall.ESRCH
	}
	for _, p := range targets {
		p.Send(sig, info)
	}
	return 0, nil
}

func tgkill(t *proc.Thread, tgid, tid, sig int) (uintptr, error) {
	if sig < 0 || sig > 64 || tid <= 0 {
		return 0, syscall.EINVAL
	}
	target := proc.ThreadByID(tid)
	if target == nil || tgid > 0 && target.Proc().PID != tgid {
		return 0, syscall.ESRCH
	}
	if sig != 0 {
		target.Tkill(sig, t.Proc())
	}
	return 0, nil
}
