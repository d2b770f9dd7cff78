package tcp

import (
	"bytes"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"scone/kernel/net/tcpip"
)

// TestSegmentsFitMTUWithOptions runs transfers both ways at once over a
// lossy 1500-byte path with timestamps on, so that full-sized data
// segments carry the timestamps option and SACK blocks for the other
// direction's holes: every segment, decoded by gopacket, must fit the
// path MTU with its options (the MSS less the option bytes, as Linux's
// tcp_current_mss), so no IP datagram exceeds 1500 bytes and none is
// fragmented or refused.
func TestSegmentsFitMTUWithOptions(t *testing.T) {
	const ipMTU, size = 1500, 1 << 20
	n := newSimNet(11)
	n.mtu = ipMTU - 20 // the route's MTU is what IP carries
	pr := newPair(t, n, Options{})
	n.loss = 0.02
	var segs, sackData, tsData, over int
	n.drop = func(src, dst tcpip.Addr, b []byte) bool {
		segs++
		pkt := gopacket.NewPacket(b, layers.LayerTypeTCP, gopacket.Default)
		tl, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			t.Errorf("gopacket could not decode a segment: %v", pkt.ErrorLayer())
			return false
		}
		if 20+len(b) > ipMTU {
			over++
			if over == 1 {
				t.Errorf("a %d-byte IP datagram (TCP header %d, payload %d) on a %d-byte path", 20+len(b), tl.DataOffset*4, len(tl.Payload), ipMTU)
			}
		}
		for _, o := range tl.Options {
			switch {
			case len(tl.Payload) == 0:
			case o.OptionType == layers.TCPOptionKindSACK:
				sackData++
			case o.OptionType == layers.TCPOptionKindTimestamps:
				tsData++
			}
		}
		return false
	}
	data := [2][]byte{bytes.Repeat([]byte("abcdefghijklmnopq"), size/17), bytes.Repeat([]byte("ABCDEFGHIJKLMNOPQRSTUVW"), size/23)}
	ends := [2][2]*Endpoint{{pr.client, pr.server}, {pr.server, pr.client}} // {writer, reader} per direction
	var written [2]int
	var got [2][]byte
	var eof [2]bool
	buf := make([]byte, 64<<10)
	if !n.runUntil(10*time.Minute, func() bool {
		for d, e := range ends {
			if written[d] < len(data[d]) {
				k, err := e[0].Write(bg, data[d][written[d]:])
				if err != nil && err != syscall.EAGAIN {
					t.Fatalf("write: %v", err)
				}
				if written[d] += k; written[d] == len(data[d]) {
					e[0].Shutdown(ShutWr)
				}
			}
			for !eof[d] {
				k, err := e[1].Read(bg, buf)
				got[d] = append(got[d], buf[:k]...)
				if err == io.EOF {
					eof[d] = true
				} else if err != nil || k == 0 {
					break
				}
			}
		}
		return eof[0] && eof[1]
	}) {
		t.Fatalf("transfers incomplete: wrote %v, read %d and %d", written, len(got[0]), len(got[1]))
	}
	for d := range data {
		if !bytes.Equal(got[d], data[d]) {
			t.Errorf("direction %d: data differs", d)
		}
	}
	if sackData == 0 || tsData == 0 {
		t.Fatalf("%d data segments carried SACK blocks and %d timestamps: the case was not exercised", sackData, tsData)
	}
	t.Logf("%d segments, %d data segments with timestamps, %d with SACK blocks too, %d over the MTU", segs, tsData, sackData, over)
}
