package sockfile

import (
	"encoding/binary"
	"math"
	"syscall"
	"time"

	"scone/kernel/net/ipv4"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcp"
)

// Option levels and names, Linux's values (x86-64).
const (
	SOL_SOCKET  = syscall.SOL_SOCKET
	IPPROTO_IP  = syscall.IPPROTO_IP
	IPPROTO_TCP = syscall.IPPROTO_TCP

	SO_REUSEADDR    = syscall.SO_REUSEADDR
	SO_TYPE         = syscall.SO_TYPE
	SO_ERROR        = syscall.SO_ERROR
	SO_BROADCAST    = syscall.SO_BROADCAST
	SO_SNDBUF       = syscall.SO_SNDBUF
	SO_RCVBUF       = syscall.SO_RCVBUF
	SO_KEEPALIVE    = syscall.SO_KEEPALIVE
	SO_LINGER       = syscall.SO_LINGER
	SO_RCVTIMEO     = syscall.SO_RCVTIMEO // SO_RCVTIMEO_OLD: struct timeval
	SO_SNDTIMEO     = syscall.SO_SNDTIMEO
	SO_ACCEPTCONN   = syscall.SO_ACCEPTCONN
	SO_PROTOCOL     = 38
	SO_DOMAIN       = 39
	SO_RCVTIMEO_NEW = 66 // struct __kernel_sock_timeval: the same 16 bytes on x86-64
	SO_SNDTIMEO_NEW = 67

	IP_TTL     = syscall.IP_TTL
	IP_RECVTTL = syscall.IP_RECVTTL

	TCP_NODELAY   = syscall.TCP_NODELAY
	TCP_KEEPIDLE  = syscall.TCP_KEEPIDLE
	TCP_KEEPINTVL = syscall.TCP_KEEPINTVL
	TCP_KEEPCNT   = syscall.TCP_KEEPCNT
	TCP_INFO      = syscall.TCP_INFO
)

// Linux's limits on buffer sizes (net.core.wmem_max and rmem_max, and
// SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF).
const (
	maxBuf    = 212992
	minSndBuf = 4608
	minRcvBuf = 2304
)

// SetOption is setsockopt(2) on s. val holds the optlen bytes the caller
// copied in. Integer options need at least 4 bytes, struct linger 8 and
// struct timeval 16 (EINVAL); read-only and unknown options are
// ENOPROTOOPT, as Linux's.
func SetOption(s socket.Socket, level, name int, val []byte) error {
	switch level {
	case SOL_SOCKET:
		return setSocketOption(s, name, val)
	case IPPROTO_TCP:
		if s.Type() != socket.Stream {
			return syscall.ENOPROTOOPT
		}
		return setTCPOption(s, name, val)
	case IPPROTO_IP:
		if name == IP_RECVTTL {
			v, err := intVal(val)
			if err == nil {
				s.SetRecvTTL(v != 0)
			}
			return err
		}
		if name != IP_TTL {
			return syscall.ENOPROTOOPT
		}
		v, err := intVal(val)
		switch {
		case err != nil:
			return err
		case v == -1:
			s.SetTTL(0) // the default, as Linux
		case v < 1 || v > 255:
			return syscall.EINVAL
		default:
			s.SetTTL(uint8(v))
		}
		return nil
	}
	return syscall.ENOPROTOOPT
}

func setSocketOption(s socket.Socket, name int, val []byte) error {
	switch name {
	case SO_LINGER:
		if len(val) < 8 {
			return syscall.EINVAL
		}
		on := int32(binary.LittleEndian.Uint32(val)) != 0
		secs := int32(binary.LittleEndian.Uint32(val[4:]))
		d := time.Duration(math.MaxInt64) // negative: for ever, as Linux's unsigned compare
		if secs >= 0 {
			d = time.Duration(secs) * time.Second
		}
		s.SetLinger(on, d)
		return nil
	case SO_RCVTIMEO, SO_SNDTIMEO, SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW:
		d, err := parseTimeval(val)
		if err != nil {
			return err
		}
		recv, send := s.Timeouts()
		if name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW {
			recv = d
		} else {
			send = d
		}
		s.SetTimeouts(recv, send)
		return nil
	}
	v, err := intVal(val)
	if err != nil {
		return err
	}
	switch name {
	case SO_REUSEADDR:
		s.SetReuseAddr(v != 0)
	case SO_BROADCAST:
		s.SetBroadcast(v != 0)
	case SO_KEEPALIVE:
		if s.Type() != socket.Stream {
			return nil // accepted and meaningless, as on Linux
		}
		return s.SetKeepAlive(v != 0)
	case SO_SNDBUF:
		s.SetBufferSizes(bufSize(v, minSndBuf), 0)
	case SO_RCVBUF:
		s.SetBufferSizes(0, bufSize(v, minRcvBuf))
	default:
		return syscall.ENOPROTOOPT
	}
	return nil
}

// bufSize is what SO_SNDBUF or SO_RCVBUF set: the value capped at the
// system maximum (a negative int is a huge unsigned one), then doubled
// for bookkeeping overhead as Linux does, and at least the minimum.
// getsockopt reports the doubled value.
func bufSize(v int32, least int) int {
	n := maxBuf
	if v >= 0 && int(v) < maxBuf {
		n = int(v)
	}
	return max(2*n, least)
}

func setTCPOption(s socket.Socket, name int, val []byte) error {
	v, err := intVal(val)
	if err != nil {
		return err
	}
	switch name {
	case TCP_NODELAY:
		return s.SetNoDelay(v != 0)
	case TCP_KEEPIDLE, TCP_KEEPINTVL:
		if v < 1 {
			return syscall.EINVAL
		}
		d := time.Duration(v) * time.Second
		if name == TCP_KEEPIDLE {
			return s.SetKeepAliveParams(d, 0, 0)
		}
		return s.SetKeepAliveParams(0, d, 0)
	case TCP_KEEPCNT:
		if v < 1 {
			return syscall.EINVAL
		}
		return s.SetKeepAliveParams(0, 0, int(v))
	}
	return syscall.ENOPROTOOPT
}

// intVal reads an int option: at least 4 bytes (EINVAL).
func intVal(val []byte) (int32, error) {
	if len(val) < 4 {
		return 0, syscall.EINVAL
	}
	return int32(binary.LittleEndian.Uint32(val)), nil
}

// parseTimeval reads a struct timeval {long tv_sec; long tv_usec;} for
// SO_RCVTIMEO/SO_SNDTIMEO as Linux's sock_set_timeout: fewer than 16
// bytes is EINVAL, microseconds outside [0, 1e6) EDOM, {0, 0} no timeout
// (returned as 0), and a negative time the shortest timeout (Linux's 0
// jiffies: the call gives up at once).
func parseTimeval(val []byte) (time.Duration, error) {
	if len(val) < 16 {
		return 0, syscall.EINVAL
	}
	sec := int64(binary.LittleEndian.Uint64(val))
	usec := int64(binary.LittleEndian.Uint64(val[8:]))
	switch {
	case usec < 0 || usec >= 1e6:
		return 0, syscall.EDOM
	case sec < 0:
		return time.Nanosecond, nil
	case sec >= int64(math.MaxInt64/time.Second)-1:
		return 0, nil // beyond a Duration: no timeout, as Linux's MAX_SCHEDULE_TIMEOUT
	}
	return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond, nil
}

// putTimeval encodes d as a struct timeval; 0 (no timeout) is {0, 0}.
func putTimeval(d time.Duration) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, uint64(d/time.Second))
	binary.LittleEndian.PutUint64(b[8:], uint64(d%time.Second/time.Microsecond))
	return b
}

func putInt(v int) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(int32(v)))
	return b
}

func boolInt(on bool) int {
	if on {
		return 1
	}
	return 0
}

// GetOption is getsockopt(2) on s: it returns the option's value, which
// the caller copies out cut to the user's optlen, storing back the length
// copied (Linux copies min(optlen, size); a negative optlen is EINVAL and
// the caller checks it). SO_ERROR reads and clears the pending error.
func GetOption(s socket.Socket, level, name int) ([]byte, error) {
	switch level {
	case SOL_SOCKET:
		return getSocketOption(s, name)
	case IPPROTO_TCP:
		if s.Type() != socket.Stream {
			return nil, syscall.ENOPROTOOPT
		}
		return getTCPOption(s, name)
	case IPPROTO_IP:
		if name == IP_RECVTTL {
			return putInt(boolInt(s.RecvTTL())), nil
		}
		if name != IP_TTL {
			return nil, syscall.ENOPROTOOPT
		}
		ttl := int(s.TTL())
		if ttl == 0 {
			ttl = ipv4.DefaultTTL
		}
		return putInt(ttl), nil
	}
	return nil, syscall.ENOPROTOOPT
}

func getSocketOption(s socket.Socket, name int) ([]byte, error) {
	switch name {
	case SO_LINGER:
		on, d := s.Linger()
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(boolInt(on)))
		binary.LittleEndian.PutUint32(b[4:], uint32(min(d/time.Second, math.MaxInt32)))
		return b, nil
	case SO_RCVTIMEO, SO_RCVTIMEO_NEW:
		recv, _ := s.Timeouts()
		return putTimeval(recv), nil
	case SO_SNDTIMEO, SO_SNDTIMEO_NEW:
		_, send := s.Timeouts()
		return putTimeval(send), nil
	case SO_REUSEADDR:
		return putInt(boolInt(s.ReuseAddr())), nil
	case SO_BROADCAST:
		return putInt(boolInt(s.Broadcast())), nil
	case SO_KEEPALIVE:
		on, _ := s.KeepAlive()
		return putInt(boolInt(on)), nil
	case SO_SNDBUF:
		snd, _ := s.BufferSizes()
		return putInt(snd), nil
	case SO_RCVBUF:
		_, rcv := s.BufferSizes()
		return putInt(rcv), nil
	case SO_TYPE:
		return putInt(int(s.Type())), nil
	case SO_PROTOCOL:
		return putInt(s.Protocol()), nil
	case SO_DOMAIN:
		return putInt(syscall.AF_INET), nil
	case SO_ACCEPTCONN:
		return putInt(boolInt(s.Listening())), nil
	case SO_ERROR:
		errno := 0
		if err := s.Error(); err != nil {
			if e, ok := err.(syscall.Errno); ok {
				errno = int(e)
			} else {
				errno = int(syscall.EIO)
			}
		}
		return putInt(errno), nil
	}
	return nil, syscall.ENOPROTOOPT
}

func getTCPOption(s socket.Socket, name int) ([]byte, error) {
	switch name {
	case TCP_NODELAY:
		on, err := s.NoDelay()
		return putInt(boolInt(on)), err
	case TCP_INFO:
		in, ok := s.(interface{ Info() tcp.Info })
		if !ok {
			return nil, syscall.ENOPROTOOPT
		}
		return TCPInfo(in.Info()), nil
	case TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT:
		idle, intvl, cnt, err := s.KeepAliveParams()
		if err != nil {
			return nil, err
		}
		switch name {
		case TCP_KEEPIDLE:
			return putInt(int(idle / time.Second)), nil
		case TCP_KEEPINTVL:
			return putInt(int(intvl / time.Second)), nil
		}
		return putInt(cnt), nil
	}
	return nil, syscall.ENOPROTOOPT
}

// TCPInfoLen is the part of Linux's struct tcp_info that TCPInfo fills:
// the fields up to tcpi_total_retrans. getsockopt copies at most what the
// caller asked for, so longer buffers simply get this much.
const TCPInfoLen = 104

// TCPInfo encodes in as the start of Linux's struct tcp_info: state,
// congestion state, consecutive retransmissions, options, RTO, MSS,
// unacknowledged segments, RTT and its variation, ssthresh and cwnd (in
// segments). Fields Scone does not track are 0.
func TCPInfo(in tcp.Info) []byte {
	const (
		caOpen, caRecovery = 0, 3
		optTimestamps      = 1
		optSACK, optWscale = 2, 4
		infinite           = 0x7fffffff // TCP_INFINITE_SSTHRESH
	)
	b := make([]byte, TCPInfoLen)
	b[0] = byte(in.State.LinuxState())
	if in.InRecovery {
		b[1] = caRecovery
	} else {
		b[1] = caOpen
	}
	b[2] = byte(min(in.Retries, 255))
	if in.Timestamps {
		b[5] |= optTimestamps
	}
	if in.SACK {
		b[5] |= optSACK
	}
	if in.WindowScale {
		b[5] |= optWscale
	}
	le := binary.LittleEndian
	us := func(d time.Duration) uint32 { return uint32(min(d/time.Microsecond, math.MaxUint32)) }
	mss := max(in.SendMSS, 1)
	le.PutUint32(b[8:], us(in.RTO))
	le.PutUint32(b[16:], uint32(in.SendMSS))
	le.PutUint32(b[24:], uint32((in.InFlight+mss-1)/mss))
	le.PutUint32(b[68:], us(in.SRTT))
	le.PutUint32(b[72:], us(in.RTTVar))
	ss := uint32(infinite)
	if in.Ssthresh < 1<<30 {
		ss = uint32(in.Ssthresh / mss)
	}
	le.PutUint32(b[76:], ss)
	le.PutUint32(b[80:], uint32(in.Cwnd/mss))
	return b
}
