package sockfile

import (
	"encoding/binary"
	"syscall"
	"testing"
)

// cmsg is one control message: header (cmsg_len n, or the real length if
// n < 0), data, and padding to 8 bytes.
func cmsg(level, typ int32, data []byte, n int) []byte {
	if n < 0 {
		n = cmsgHdrLen + len(data)
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(n))
	b = binary.LittleEndian.AppendUint32(b, uint32(level))
	b = binary.LittleEndian.AppendUint32(b, uint32(typ))
	b = append(b, data...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

func i32(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

// TestParseSendControl holds what Linux 6.18's sendmsg answered for each
// control buffer on a UDP socket and on a connected TCP one (as root).
func TestParseSendControl(t *testing.T) {
	ip, sol := int32(syscall.IPPROTO_IP), int32(syscall.SOL_SOCKET)
	for _, tc := range []struct {
		name     string
		b        []byte
		udp, tcp error
	}{
		{"zeros32", make([]byte, 32), syscall.EINVAL, syscall.EINVAL},
		{"zeros8 (no header)", make([]byte, 8), nil, nil},
		{"IP_TTL 64", cmsg(ip, ipTTL, i32(64), -1), nil, nil},
		{"IP_TTL 0", cmsg(ip, ipTTL, i32(0), -1), syscall.EINVAL, nil},
		{"IP_TTL one byte", cmsg(ip, ipTTL, []byte{64}, -1), syscall.EINVAL, nil},
		{"IP_TOS one byte", cmsg(ip, ipTOS, []byte{16}, -1), nil, nil},
		{"IP_TOS int 256", cmsg(ip, ipTOS, i32(256), -1), syscall.EINVAL, nil},
		{"IPPROTO_IP unknown", cmsg(ip, 99, i32(1), -1), syscall.EINVAL, nil},
		{"SOL_SOCKET unknown", cmsg(sol, 99, i32(1), -1), syscall.EINVAL, syscall.EINVAL},
		{"SCM_RIGHTS", cmsg(sol, scmRights, i32(0), -1), nil, nil},
		{"SO_MARK short", cmsg(sol, soMark, []byte{1}, -1), syscall.EINVAL, syscall.EINVAL},
		{"IPPROTO_TCP level", cmsg(syscall.IPPROTO_TCP, 1, i32(1), -1), nil, nil},
		{"cmsg_len past the end", cmsg(ip, ipTTL, i32(64), 100), syscall.EINVAL, syscall.EINVAL},
		{"IP_PKTINFO", cmsg(ip, ipPktinfo, make([]byte, 12), -1), nil, nil},
		{"IP_PKTINFO short", cmsg(ip, ipPktinfo, make([]byte, 8), -1), syscall.EINVAL, nil},
		{"two, the second bad", append(cmsg(ip, ipTTL, i32(64), -1), cmsg(ip, ipTTL, i32(300), -1)...), syscall.EINVAL, nil},
	} {
		if _, err := ParseSendControl(tc.b, true); err != tc.udp {
			t.Errorf("%s on UDP: %v, want %v", tc.name, err, tc.udp)
		}
		if _, err := ParseSendControl(tc.b, false); err != tc.tcp {
			t.Errorf("%s on TCP: %v, want %v", tc.name, err, tc.tcp)
		}
	}
}
