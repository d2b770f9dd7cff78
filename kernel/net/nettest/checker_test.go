package nettest

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/gopacket/pcapgo"

	"scone/kernel/net/ethernet"
	"scone/kernel/net/ipv4"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/udp"
)

func udpFrame(payload []byte, flags uint8, fragOff int) []byte {
	f := make([]byte, ethernet.HeaderLen+ipv4.HeaderLen+udp.HeaderLen+len(payload))
	ethernet.Encode(f, ethernet.Header{Dst: MACB, Src: MACA, Type: ethernet.TypeIPv4})
	ipv4.Encode(f[ethernet.HeaderLen:], &ipv4.Header{TotalLen: len(f) - ethernet.HeaderLen, TTL: 64,
		Protocol: tcpip.ProtoUDP, Src: AddrA, Dst: AddrB, Flags: flags, FragOffset: fragOff})
	u := f[ethernet.HeaderLen+ipv4.HeaderLen:]
	udp.Encode(u, tcpip.FullAddr{Addr: AddrA, Port: 1}, tcpip.FullAddr{Addr: AddrB, Port: 2}, payload)
	copy(u[udp.HeaderLen:], payload)
	return f
}

// The checker must be able to fail: each bad frame is reported.
func TestCheckerCatches(t *testing.T) {
	good := udpFrame([]byte("hello"), 0, 0)
	for _, tc := range []struct {
		name string
		mod  func([]byte)
		ok   bool
	}{
		{"good", func([]byte) {}, true},
		{"IP header checksum", func(f []byte) { f[ethernet.HeaderLen+8]-- }, false},
		{"UDP checksum", func(f []byte) { f[len(f)-1] ^= 1 }, false},
		{"truncated", func(f []byte) { f[ethernet.HeaderLen+3] += 10 }, false},
	} {
		c := NewChecker()
		f := append([]byte(nil), good...)
		tc.mod(f)
		if tc.name == "truncated" {
			// Fix the header checksum so only the length is wrong.
			h := f[ethernet.HeaderLen : ethernet.HeaderLen+ipv4.HeaderLen]
			h[10], h[11] = 0, 0
			s := ^tcpip.Checksum(h, 0)
			h[10], h[11] = byte(s>>8), byte(s)
		}
		c.Check(f)
		if (c.Err() == nil) != tc.ok {
			t.Errorf("%s: Err = %v", tc.name, c.Err())
		}
	}
}

// The checker reassembles fragments before checking the UDP checksum.
func TestCheckerFragments(t *testing.T) {
	whole := udpFrame(make([]byte, 100), 0, 0)
	ip := whole[ethernet.HeaderLen+ipv4.HeaderLen:]
	frag := func(data []byte, off int, more bool) []byte {
		f := make([]byte, ethernet.HeaderLen+ipv4.HeaderLen+len(data))
		copy(f, whole[:ethernet.HeaderLen])
		var flags uint8
		if more {
			flags = ipv4.FlagMF
		}
		ipv4.Encode(f[ethernet.HeaderLen:], &ipv4.Header{TotalLen: len(f) - ethernet.HeaderLen, TTL: 64,
			Protocol: tcpip.ProtoUDP, Src: AddrA, Dst: AddrB, Flags: flags, FragOffset: off, ID: 3})
		copy(f[ethernet.HeaderLen+ipv4.HeaderLen:], data)
		return f
	}
	c := NewChecker()
	c.Check(frag(ip[56:], 56, false))
	c.Check(frag(ip[:56], 0, true))
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), ip...)
	bad[50] ^= 0x10
	c.Check(frag(bad[:56], 0, true))
	c.Check(frag(bad[56:], 56, false))
	if c.Err() == nil {
		t.Fatal("corrupted fragmented datagram passed")
	}
}

func TestPcapRoundTrip(t *testing.T) {
	path := t.TempDir() + "/x.pcap"
	p, err := CreatePcap(path)
	if err != nil {
		t.Fatal(err)
	}
	f := udpFrame([]byte("captured"), 0, 0)
	p.Write(f)
	p.Close()
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := pr.ReadPacketData()
	if err != nil || !bytes.Equal(data, f) {
		t.Fatalf("read back %d bytes, %v", len(data), err)
	}
}
