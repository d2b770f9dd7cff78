package tty

import "encoding/binary"

// Termios is the kernel's struct termios (asm-generic/termbits.h), what
// TCGETS and TCSETS move: 36 bytes.
type Termios struct {
	Iflag, Oflag, Cflag, Lflag uint32
	Line                       uint8
	CC                         [19]uint8
}

// TermiosSize is the size of struct termios in the ioctls.
const TermiosSize = 36

// Flag bits and control-character indexes (Linux's values).
const (
	// c_iflag
	IGNBRK = 0o1
	BRKINT = 0o2
	ISTRIP = 0o40
	INLCR  = 0o100
	IGNCR  = 0o200
	ICRNL  = 0o400
	IXON   = 0o2000
	IUTF8  = 0o40000
	// c_oflag
	OPOST = 0o1
	ONLCR = 0o4
	// c_cflag
	CS8    = 0o60
	CREAD  = 0o200
	B38400 = 0o17
	// c_lflag
	ISIG    = 0o1
	ICANON  = 0o2
	ECHO    = 0o10
	ECHOE   = 0o20
	ECHOK   = 0o40
	ECHONL  = 0o100
	NOFLSH  = 0o200
	ECHOCTL = 0o1000
	TOSTOP  = 0o400 // background writes raise SIGTTOU
	ECHOKE  = 0o4000
	IEXTEN  = 0o100000
	// c_cc indexes
	VINTR   = 0
	VQUIT   = 1
	VERASE  = 2
	VKILL   = 3
	VEOF    = 4
	VTIME   = 5
	VMIN    = 6
	VSTART  = 8
	VSTOP   = 9
	VSUSP   = 10
	VEOL    = 11
	VWERASE = 14
	VLNEXT  = 15
	VEOL2   = 16
)

// DefaultTermios is what Linux gives a fresh terminal (stty sane).
func DefaultTermios() Termios {
	t := Termios{
		Iflag: ICRNL | IXON | IUTF8,
		Oflag: OPOST | ONLCR,
		Cflag: B38400 | CS8 | CREAD,
		Lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	}
	copy(t.CC[:], []uint8{
		VINTR: 3, VQUIT: 0x1c, VERASE: 0x7f, VKILL: 0x15, VEOF: 4, VTIME: 0, VMIN: 1,
		VSTART: 0x11, VSTOP: 0x13, VSUSP: 0x1a, VEOL: 0, VWERASE: 0x17, VLNEXT: 0x16, VEOL2: 0,
	})
	return t
}

// Marshal encodes t as struct termios.
func (t Termios) Marshal() []byte {
	b := make([]byte, TermiosSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], t.Iflag)
	le.PutUint32(b[4:], t.Oflag)
	le.PutUint32(b[8:], t.Cflag)
	le.PutUint32(b[12:], t.Lflag)
	b[16] = t.Line
	copy(b[17:], t.CC[:])
	return b
}

// Unmarshal decodes struct termios.
func Unmarshal(b []byte) Termios {
	le := binary.LittleEndian
	t := Termios{Iflag: le.Uint32(b[0:]), Oflag: le.Uint32(b[4:]), Cflag: le.Uint32(b[8:]), Lflag: le.Uint32(b[12:]), Line: b[16]}
	copy(t.CC[:], b[17:36])
	return t
}

// Winsize is struct winsize (TIOCGWINSZ).
type Winsize struct {
	Row, Col, Xpixel, Ypixel uint16
}
