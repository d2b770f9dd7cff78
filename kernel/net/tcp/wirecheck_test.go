package tcp

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"scone/kernel/net/tcpip"
)

// Every segment the tests exchange (what TCP sends through the simulated
// network, and what the hand-driven peer sends it) is decoded a second
// time by an independent decoder, gopacket's layers.TCP, and compared
// with what the package's own parser makes of it; the checksum is checked
// by gopacket too. TestMain fails the run on any disagreement.
var wireCheck struct {
	mu       sync.Mutex
	segments int
	errs     []string
}

func TestMain(m *testing.M) {
	code := m.Run()
	wireCheck.mu.Lock()
	defer wireCheck.mu.Unlock()
	if len(wireCheck.errs) > 0 {
		fmt.Fprintf(os.Stderr, "gopacket disagrees on %d of %d segments, first: %q\n", len(wireCheck.errs), wireCheck.segments, wireCheck.errs)
		code = 1
	} else if testing.Verbose() {
		fmt.Printf("gopacket agreed on all %d segments\n", wireCheck.segments)
	}
	os.Exit(code)
}

// checkWire records any disagreement about segment b from src to dst.
func checkWire(src, dst tcpip.Addr, b []byte) {
	err := compareGopacket(src, dst, b)
	wireCheck.mu.Lock()
	wireCheck.segments++
	if err != nil && len(wireCheck.errs) < 20 {
		wireCheck.errs = append(wireCheck.errs, err.Error())
	}
	wireCheck.mu.Unlock()
}

// compareGopacket decodes b with gopacket and with parse and reports the
// first difference.
func compareGopacket(src, dst tcpip.Addr, b []byte) error {
	var own segment
	if err := own.parse(b); err != nil {
		return fmt.Errorf("own parser: %v", err)
	}
	var g layers.TCP
	if err := g.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		return fmt.Errorf("gopacket: %v", err)
	}
	// Summed with its checksum field in place, a valid segment gives 0.
	g.SetNetworkLayerForChecksum(&layers.IPv4{SrcIP: net.IP(src[:]), DstIP: net.IP(dst[:]), Protocol: layers.IPProtocolTCP})
	if sum, err := g.ComputeChecksum(); err != nil || sum != 0 {
		return fmt.Errorf("gopacket: checksum %#04x does not verify (%v)", g.Checksum, err)
	}
	var flags uint8
	for _, f := range []struct {
		on  bool
		bit uint8
	}{{g.FIN, flagFIN}, {g.SYN, flagSYN}, {g.RST, flagRST}, {g.PSH, flagPSH}, {g.ACK, flagACK}, {g.URG, flagURG}} {
		if f.on {
			flags |= f.bit
		}
	}
	type fields struct {
		SrcPort, DstPort uint16
		Seq, Ack         uint32
		Flags            uint8
		Window, Urgent   uint16
		Data             int
		MSS              uint16
		WndScale         int
		SACKOK           bool
		SACK             string
		TS               string
	}
	got := fields{uint16(g.SrcPort), uint16(g.DstPort), g.Seq, g.Ack, flags, g.Window, g.Urgent, len(g.Payload), 0, -1, false, "", ""}
	for _, o := range g.Options {
		switch o.OptionType {
		case layers.TCPOptionKindMSS:
			got.MSS = binary.BigEndian.Uint16(o.OptionData)
		case layers.TCPOptionKindWindowScale:
			got.WndScale = int(min(o.OptionData[0], maxWndScale))
		case layers.TCPOptionKindSACKPermitted:
			got.SACKOK = true
		case layers.TCPOptionKindSACK:
			for d := o.OptionData; len(d) >= 8; d = d[8:] {
				got.SACK += fmt.Sprintf("[%d,%d)", binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:]))
			}
		case layers.TCPOptionKindTimestamps:
			got.TS = fmt.Sprintf("%d/%d", binary.BigEndian.Uint32(o.OptionData), binary.BigEndian.Uint32(o.OptionData[4:]))
		}
	}
	want := fields{own.srcPort, own.dstPort, uint32(own.seq), uint32(own.ack), own.flags, own.wnd, own.up, len(own.data), own.mss, own.wndScale, own.sackOK, "", ""}
	if own.ts {
		want.TS = fmt.Sprintf("%d/%d", own.tsVal, own.tsEcr)
	}
	for _, r := range own.sack[:own.nsack] {
		want.SACK += fmt.Sprintf("[%d,%d)", r.start, r.end)
	}
	if got != want {
		return fmt.Errorf("gopacket %+v, own parser %+v", got, want)
	}
	return nil
}

// TestWireCheckCatches makes sure the comparison is not vacuous: a
// segment with a bad checksum, or one the parsers would read differently,
// is reported.
func TestWireCheckCatches(t *testing.T) {
	var hb [maxHeaderLen]byte
	o := outSegment{srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: flagSYN | flagACK, wnd: 5, mss: 1460, wndScale: 7, sackOK: true}
	b := append(append([]byte(nil), o.build(hb[:], addrA, addrB, []byte("data"))...), "data"...)
	if err := compareGopacket(addrA, addrB, b); err != nil {
		t.Fatalf("a good segment: %v", err)
	}
	if err := compareGopacket(addrB, addrA, b[:len(b)-1]); err == nil {
		t.Error("a segment with a bad checksum passed")
	}
}
