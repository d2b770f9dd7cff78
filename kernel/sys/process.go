package sys

import (
	"syscall"

	"scone/kernel/proc"
)

func init() {
	Register(56, "clone", sysClone)
	Register(57, "fork", func(t *proc.Thread, _ Args) (uintptr, error) {
		return clone(t, proc.CloneArgs{Flags: uint64(syscall.SIGCHLD)})
	})
	Register(58, "vfork", func(t *proc.Thread, _ Args) (uintptr, error) {
		return clone(t, proc.CloneArgs{Flags: proc.CloneVM | proc.CloneVfork | uint64(syscall.SIGCHLD)})
	})
	Register(59, "execve", sysExecve)
	Register(60, "exit", func(t *proc.Thread, a Args) (uintptr, error) {
		t.Exit(int(a[0]))
		return 0, nil
	})
	Register(231, "exit_group", func(t *proc.Thread, a Args) (uintptr, error) {
		t.ExitGroup(int(a[0]))
		return 0, nil
	})
	Register(61, "wait4", sysWait4)
	Register(247, "waitid", sysWaitid)
	Register(39, "getpid", func(t *proc.Thread, _ Args) (uintptr, error) { return uintptr(t.Proc().PID), nil })
	Register(110, "getppid", func(t *proc.Thread, _ Args) (uintptr, error) { return uintptr(t.Proc().Parent()), nil })
	Register(186, "gettid", func(t *proc.Thread, _ Args) (uintptr, error) { return uintptr(t.TID), nil })
	Register(218, "set_tid_address", func(t *proc.Thread, a Args) (uintptr, error) {
		t.SetClearTID(a[0])
		return uintptr(t.TID), nil
	})
	Register(273, "set_robust_list", func(*proc.Thread, Args) (uintptr, error) { return 0, nil })
	Register(109, "setpgid", func(t *proc.Thread, a Args) (uintptr, error) {
		return 0, t.Proc().Setpgid(int(int32(a[0])), int(int32(a[1])))
	})
	Register(121, "getpgid", func(t *proc.Thread, a Args) (uintptr, error) {
		pg, _, err := groupsOf(t, int(int32(a[0])))
		return uintptr(pg), err
	})
	Register(111, "getpgrp", func(t *proc.Thread, _ Args) (uintptr, error) {
		pg, _ := t.Proc().Groups()
		return uintptr(pg), nil
	})
	Register(124, "getsid", func(t *proc.Thread, a Args) (uintptr, error) {
		_, sid, err := groupsOf(t, int(int32(a[0])))
		return uintptr(sid), err
	})
	Register(112, "setsid", func(t *proc.Thread, _ Args) (uintptr, error) {
		sid, err := t.Proc().Setsid()
		return uintptr(sid), err
	})
	// Credentials: everyone is root; setting succeeds only to root.
	for _, c := range []struct {
		nr   int
		name string
	}{{102, "getuid"}, {104, "getgid"}, {107, "geteuid"}, {108, "getegid"}} {
		Register(c.nr, c.name, func(*proc.Thread, Args) (uintptr, error) { return 0, nil })
	}
	for _, c := range []struct {
		nr   int
		name string
	}{{105, "setuid"}, {106, "setgid"}, {113, "setreuid"}, {114, "setregid"}, {117, "setresuid"}, {119, "setresgid"}} {
		Register(c.nr, c.name, func(_ *proc.Thread, a Args) (uintptr, error) {
			for _, id := range a[:3] {
				if int32(id) != 0 && int32(id) != -1 {
					return 0, syscall.EPERM
				}
			}
			return 0, nil
		})
	}
	Register(118, "getresuid", getres)
	Register(120, "getresgid", getres)
	Register(115, "getgroups", func(*proc.Thread, Args) (uintptr, error) { return 0, nil })
	Register(116, "setgroups", func(*proc.Thread, Args) (uintptr, error) { return 0, nil })
}

func getres(t *proc.Thread, a Args) (uintptr, error) {
	for _, va := range a[:3] {
		if err := writeU32(t, va, 0); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func groupsOf(t *proc.Thread, pid int) (int, int, error) {
	p := t.Proc()
	if pid != 0 {
		if p = proc.Lookup(pid); p == nil {
			return 0, 0, syscall.ESRCH
		}
	}
	pg, sid := p.Groups()
	return pg, sid, nil
}

func sysClone(t *proc.Thread, a Args) (uintptr, error) {
	// x86-64 order: flags, stack, parent_tid, child_tid, tls.
	return clone(t, proc.CloneArgs{Flags: uint64(a[0]), Stack: a[1], ParentTID: a[2], ChildTID: a[3], TLS: a[4]})
}

func clone(t *proc.Thread, c proc.CloneArgs) (uintptr, error) {
	tid, err := t.Clone(c)
	return uintptr(tid), err
}

func sysExecve(t *proc.Thread, a Args) (uintptr, error) {
	path, err := readPath(t, a[0])
	if err != nil {
		return 0, err
	}
	argv, err := readStrings(t, a[1])
	if err != nil {
		return 0, err
	}
	envv, err := readStrings(t, a[2])
	if err != nil {
		return 0, err
	}
	// Close-on-exec sockets are held across the exec, so that one with
	// SO_LINGER lingers once the new image has them closed (Linux's final
	// fput runs in the task, which is not exiting).
	var held []heldSocket
	for _, fd := range t.Proc().Files.Fds() {
		if ce, _ := t.Proc().Files.Cloexec(fd); ce {
			if h := holdSocket(t, fd); h.d != nil {
				held = append(held, h)
			}
		}
	}
	err = t.Exec(path, argv, envv)
	for _, h := range held {
		h.release(t)
	}
	return 0, err
}

func sysWait4(t *proc.Thread, a Args) (uintptr, error) {
	opts := int(a[2])
	if opts&^(proc.WNOHANG|proc.WUNTRACED|8|0x40000000|0x80000000|0x20000000) != 0 {
		return 0, syscall.EINVAL
	}
	w, err := t.Proc().Wait(t.Ctx(), int(int32(a[0])), opts&(proc.WNOHANG|proc.WUNTRACED|proc.WCONTINUED)|proc.WEXITED)
	if err != nil {
		return 0, err
	}
	if w.PID != 0 && a[1] != 0 {
		if err := writeU32(t, a[1], uint32(w.Status)); err != nil {
			return 0, err
		}
	}
	if w.PID != 0 && a[3] != 0 {
		if err := t.Mem().CopyOut(a[3], encodeRusage(w.Rusage)); err != nil {
			return 0, err
		}
	}
	return uintptr(w.PID), nil
}

// waitid's idtype and the siginfo it fills.
const (
	pAll  = 0
	pPID  = 1
	pPGID = 2
)

func sysWaitid(t *proc.Thread, a Args) (uintptr, error) {
	pid := -1
	switch a[0] {
	case pAll:
	case pPID:
		pid = int(int32(a[1]))
	case pPGID:
		pid = -int(int32(a[1]))
		if a[1] == 0 {
			pid = 0
		}
	default:
		return 0, syscall.EINVAL
	}
	opts := int(a[3])
	if opts&(proc.WEXITED|proc.WUNTRACED|proc.WCONTINUED) == 0 {
		return 0, syscall.EINVAL
	}
	w, err := t.Proc().Wait(t.Ctx(), pid, opts&(proc.WNOHANG|proc.WNOWAIT|proc.WEXITED|proc.WUNTRACED|proc.WCONTINUED))
	if err != nil {
		return 0, err
	}
	if a[2] != 0 {
		info := make([]byte, 128)
		if w.PID != 0 {
			code, st := int32(1), int32(w.Status>>8&0xff) // CLD_EXITED
			switch {
			case w.Status == 0xffff:
				code, st = 6, int32(syscall.SIGCONT) // CLD_CONTINUED
			case w.Status&0xff == 0x7f:
				code, st = 5, int32(w.Status>>8&0xff) // CLD_STOPPED
			case w.Status&0x7f != 0:
				code, st = 2, int32(w.Status&0x7f) // CLD_KILLED
			}
			le.PutUint32(info[0:], uint32(syscall.SIGCHLD))
			le.PutUint32(info[8:], uint32(code))
			le.PutUint32(info[16:], uint32(w.PID))
			le.PutUint32(info[24:], uint32(st))
		}
		if err := t.Mem().CopyOut(a[2], info); err != nil {
			return 0, err
		}
	}
	if w.PID != 0 && a[4] != 0 { // the raw call's fifth argument
		if err := t.Mem().CopyOut(a[4], encodeRusage(w.Rusage)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}
