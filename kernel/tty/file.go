package tty

import (
	"context"
	"encoding/binary"
	"syscall"

	"scone/kernel/file"
)

// Terminal ioctls (Linux's values).
const (
	TCGETS     = 0x5401
	TCSETS     = 0x5402
	TCSETSW    = 0x5403
	TCSETSF    = 0x5404
	TCSBRK     = 0x5409
	TCXONC     = 0x540a
	TCFLSH     = 0x540b
	TIOCSCTTY  = 0x540e
	TIOCGPGRP  = 0x540f
	TIOCSPGRP  = 0x5410
	TIOCOUTQ   = 0x5411
	TIOCGWINSZ = 0x5413
	TIOCSWINSZ = 0x5414
	TIOCNOTTY  = 0x5422
	TIOCGSID   = 0x5429
)

// File is an open file of a terminal (/dev/console, /dev/tty).
type File struct {
	*TTY
	rdev uint64
}

// Open returns an open file of t for a device node numbered rdev.
func (t *TTY) Open(rdev uint64) *File { return &File{TTY: t, rdev: rdev} }

// Close does nothing: the terminal outlives its opens.
func (f *File) Close() error { return nil }

// Stat describes the device node.
func (f *File) Stat() (file.Stat, error) {
	return file.Stat{Mode: file.S_IFCHR | 0o620, Nlink: 1, Rdev: f.rdev, BlkSize: 1024}, nil
}

// Ioctl answers the terminal requests that need no process identity; the
// system-call layer handles the job-control ones (TIOCSCTTY, TIOCSPGRP,
// TIOCGPGRP, TIOCGSID, TIOCNOTTY) with the caller's process group and
// session, through the TTY's methods.
func (f *File) Ioctl(ctx context.Context, m file.Memory, cmd uint32, arg uintptr) (uintptr, error) {
	switch cmd {
	case TCGETS:
		return 0, m.CopyOut(arg, f.Termios().Marshal())
	case TCSETS, TCSETSW, TCSETSF:
		b := make([]byte, TermiosSize)
		if err := m.CopyIn(b, arg); err != nil {
			return 0, err
		}
		// Output is written synchronously, so TCSETSW has nothing to drain.
		f.SetTermios(Unmarshal(b), cmd == TCSETSF)
		return 0, nil
	case TIOCGWINSZ:
		w := f.Winsize()
		b := make([]byte, 8)
		for i, v := range []uint16{w.Row, w.Col, w.Xpixel, w.Ypixel} {
			binary.LittleEndian.PutUint16(b[2*i:], v)
		}
		return 0, m.CopyOut(arg, b)
	case TIOCSWINSZ:
		b := make([]byte, 8)
		if err := m.CopyIn(b, arg); err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		f.SetWinsize(Winsize{le.Uint16(b), le.Uint16(b[2:]), le.Uint16(b[4:]), le.Uint16(b[6:])})
		return 0, nil
	case TCFLSH:
		switch arg {
		case 0, 2: // TCIFLUSH, TCIOFLUSH
			f.Flush()
		case 1: // TCOFLUSH: output is never queued
		default:
			return 0, syscall.EINVAL
		}
		return 0, nil
	case TCSBRK, TCXONC:
		return 0, nil // output is never queued or stopped
	case TIOCOUTQ:
		return 0, m.CopyOut(arg, []byte{0, 0, 0, 0})
	}
	return 0, syscall.ENOTTY
}
