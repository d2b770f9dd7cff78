package sys

import (
	"syscall"

	"scone/kernel/file"
	"scone/kernel/proc"
	"scone/kernel/tty"
)

// ttyIoctl handles the terminal requests that depend on the caller's
// process group and session; handled is false for the rest.
func ttyIoctl(t *proc.Thread, d *file.Description, cmd uint32, arg uintptr) (handled bool, ret uintptr, err error) {
	f, ok := d.File().(*tty.File)
	if !ok {
		return false, 0, nil
	}
	p := t.Proc()
	pgid, sid := p.Groups()
	mine := f.Session() == sid && sid != 0
	switch cmd {
	case tty.TIOCSCTTY:
		// A session leader takes a terminal no session has; root may
		// steal one with arg 1.
		if p.PID != sid {
			return true, 0, syscall.EPERM
		}
		if s := f.Session(); s != 0 && s != sid && arg != 1 {
			return true, 0, syscall.EPERM
		}
		f.SetSession(sid, pgid)
		return true, 0, nil
	case tty.TIOCNOTTY:
		if !mine {
			return true, 0, syscall.ENOTTY
		}
		if p.PID == sid {
			f.SetSession(0, 0)
		}
		return true, 0, nil
	case tty.TIOCGPGRP, tty.TIOCGSID:
		if !mine {
			return true, 0, syscall.ENOTTY
		}
		v := f.Foreground()
		if cmd == tty.TIOCGSID {
			v = sid
		}
		return true, 0, putU32(t, arg, uint32(v))
	case tty.TIOCSPGRP:
		v, err := getU32(t, arg)
		if err != nil {
			return true, 0, err
		}
		if !mine {
			return true, 0, syscall.ENOTTY
		}
		to := int(int32(v))
		if to < 0 {
			return true, 0, syscall.EINVAL
		}
		g := proc.Group(to)
		if len(g) == 0 {
			return true, 0, syscall.ESRCH
		}
		if _, s := g[0].Groups(); s != sid {
			return true, 0, syscall.EPERM
		}
		f.SetForeground(to)
		return true, 0, nil
	}
	return false, 0, nil
}

// ttyJobControl is Linux's terminal job control for a read (SIGTTIN) or
// a write (SIGTTOU, only under TOSTOP) of the caller's controlling
// terminal from a background process group: the group gets the signal
// and the call is interrupted (restarted once the group is continued).
// A read whose signal is ignored or blocked, or from an orphaned group,
// is EIO; such a write goes ahead, or is EIO from an orphaned group.
func ttyJobControl(t *proc.Thread, d *file.Description, write bool) error {
	f, ok := d.File().(*tty.File)
	if !ok {
		return nil
	}
	pgid, sid := t.Proc().Groups()
	fg := f.Foreground()
	if f.Session() != sid || sid == 0 || fg <= 0 || fg == pgid {
		return nil
	}
	sig := tty.SIGTTIN
	if write {
		if f.Termios().Lflag&tty.TOSTOP == 0 {
			return nil
		}
		sig = tty.SIGTTOU
	}
	if t.IgnoresOrBlocks(sig) {
		if write {
			return nil
		}
		return syscall.EIO
	}
	if proc.Orphaned(pgid) {
		return syscall.EIO
	}
	for _, p := range proc.Group(pgid) {
		p.Send(sig, proc.SigInfo{Signo: int32(sig), Code: 0x80}) // SI_KERNEL
	}
	return syscall.EINTR
}
