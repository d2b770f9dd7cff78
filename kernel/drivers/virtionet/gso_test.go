package virtionet_test

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"scone/kernel/drivers/virtionet"
	"scone/kernel/net/link"
)

// tcpFrame builds, with gopacket, an Ethernet/IPv4/TCP frame carrying
// payload from seq with IP ID id and correct checksums.
func tcpFrame(t *testing.T, id uint16, seq uint32, fin, psh bool, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(mac[:]), DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: id, Protocol: layers.IPProtocolTCP, SrcIP: net.IP{10, 0, 2, 15}, DstIP: net.IP{10, 0, 2, 2}}
	tl := &layers.TCP{SrcPort: 4000, DstPort: 80, Seq: seq, ACK: true, Ack: 99, Window: 65535, PSH: psh, FIN: fin}
	tl.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tl, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTransmitGSO gives the driver a 10,000-byte TCP packet to send with
// an MSS of 1460: the header asks the device to segment it (NEEDS_CSUM,
// GSO_TCPV4, hdr_len 54, gso_size 1460, csum_start 34, csum_offset 16),
// and the device model's segments are exactly what a sender without
// offload would have put on the wire.
func TestTransmitGSO(t *testing.T) {
	back := newNIC(allFeatures | virtionet.FeatureHostTSO4)
	d, _ := open(t, back, virtionet.Options{})
	if d.GSOMaxSize() != 65535 {
		t.Fatalf("GSOMaxSize %d with HOST_TSO4, want 65535", d.GSOMaxSize())
	}
	const mss = 1460
	payload := make([]byte, 10000)
	for i := range payload {
		payload[i] = byte(i*13 + i>>8)
	}
	big := tcpFrame(t, 100, 5000, true, true, payload)
	if err := d.WriteGSOFrame(append([]byte(nil), big...), mss); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFrame(big); err != link.ErrFrameTooLarge {
		t.Errorf("WriteFrame of %d bytes: %v, want ErrFrameTooLarge", len(big), err)
	}
	var want [][]byte
	for off, k := 0, 0; off < len(payload); off, k = off+mss, k+1 {
		n := min(mss, len(payload)-off)
		last := off+n == len(payload)
		want = append(want, tcpFrame(t, 100+uint16(k), 5000+uint32(off), last, last, payload[off:off+n]))
	}
	back.waitSent(t, len(want))
	back.mu.Lock()
	defer back.mu.Unlock()
	h := back.hdrs[0]
	got := [5]int{int(h[0]), int(h[1]), int(binary.LittleEndian.Uint16(h[2:])), int(binary.LittleEndian.Uint16(h[4:])),
		int(binary.LittleEndian.Uint16(h[6:]))<<16 | int(binary.LittleEndian.Uint16(h[8:]))}
	if wantHdr := [5]int{1, 1, 54, mss, 34<<16 | 16}; got != wantHdr {
		t.Errorf("header flags, gso_type, hdr_len, gso_size, csum_start<<16|csum_offset = %v, want %v", got, wantHdr)
	}
	if len(back.sent) != len(want) {
		t.Fatalf("%d segments, want %d", len(back.sent), len(want))
	}
	for i := range want {
		if !bytes.Equal(back.sent[i], want[i]) {
			t.Errorf("segment %d differs from a sender's without offload", i)
		}
	}
	st := d.Stats()
	if st.TxGSO.Load() != 1 || st.TxGSOSegs.Load() != uint64(len(want)) {
		t.Errorf("counted %d GSO frames, %d segments; want 1, %d", st.TxGSO.Load(), st.TxGSOSegs.Load(), len(want))
	}
}

// TestGSOWithout: a device without HOST_TSO4, or a driver told not to
// offload, reports no GSO size and refuses large frames.
func TestGSOWithout(t *testing.T) {
	for _, tc := range []struct {
		name     string
		features uint64
		opt      virtionet.Options
	}{
		{"no TSO4", allFeatures, virtionet.Options{}},
		{"TSO4 without CSUM", virtionet.FeatureMAC | virtionet.FeatureHostTSO4, virtionet.Options{}},
		{"nooffload", allFeatures | virtionet.FeatureHostTSO4, virtionet.Options{NoOffload: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			back := newNIC(tc.features)
			d, _ := open(t, back, tc.opt)
			if d.GSOMaxSize() != 0 || d.Features()&virtionet.FeatureHostTSO4 != 0 {
				t.Errorf("GSOMaxSize %d, features %#x", d.GSOMaxSize(), d.Features())
			}
			if err := d.WriteGSOFrame(tcpFrame(t, 1, 1, false, false, make([]byte, 3000)), 1460); err != link.ErrFrameTooLarge {
				t.Errorf("WriteGSOFrame: %v, want ErrFrameTooLarge", err)
			}
		})
	}
}
