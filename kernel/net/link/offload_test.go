package link

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"scone/kernel/net/tcpip"
)

func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// TestTxChecksum checks which frames offload takes, and that seeding the
// pseudo-header and summing as a device does gives back the checksum the
// stack wrote.
func TestTxChecksum(t *testing.T) {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := func(p layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: p, SrcIP: net.IP{10, 0, 2, 15}, DstIP: net.IP{10, 0, 2, 2}}
	}
	tip, uip := ip(layers.IPProtocolTCP), ip(layers.IPProtocolUDP)
	tcp := &layers.TCP{SrcPort: 80, DstPort: 4000, Seq: 1, ACK: true, Window: 100}
	tcp.SetNetworkLayerForChecksum(tip)
	udp := &layers.UDP{SrcPort: 53, DstPort: 4000}
	udp.SetNetworkLayerForChecksum(uip)
	payload := gopacket.Payload(bytes.Repeat([]byte{7, 9, 11}, 333))

	udpZero := serialize(t, eth, uip, udp, payload)
	binary.BigEndian.PutUint16(udpZero[14+20+6:], 0)
	frag := serialize(t, eth, uip, udp, payload)
	binary.BigEndian.PutUint16(frag[14+6:], 0x2000)
	tests := []struct {
		name   string
		f      []byte
		ok     bool
		proto  uint8
		padded bool
	}{
		{"tcp", serialize(t, eth, tip, tcp, payload), true, tcpip.ProtoTCP, false},
		{"udp", serialize(t, eth, uip, udp, payload), true, tcpip.ProtoUDP, false},
		{"tcp padded to 60", serialize(t, eth, tip, tcp), true, tcpip.ProtoTCP, true},
		{"udp without checksum", udpZero, false, 0, false},
		{"fragment", frag, false, 0, false},
		{"icmp", serialize(t, eth, ip(layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}), false, 0, false},
		{"truncated", serialize(t, eth, tip, tcp, payload)[:60], false, 0, false},
		{"not ipv4", serialize(t, &layers.Ethernet{SrcMAC: eth.SrcMAC, DstMAC: eth.DstMAC, EthernetType: 0x88b5}, payload), false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := append([]byte(nil), tt.f...)
			c, ok := FindTxChecksum(tt.f)
			if !bytes.Equal(tt.f, orig) {
				t.Fatal("FindTxChecksum changed the frame")
			}
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if c.Proto != tt.proto || (c.End < len(tt.f)) != tt.padded {
				t.Errorf("%+v for a %d-byte frame", c, len(tt.f))
			}
			c.Seed(tt.f)
			binary.BigEndian.PutUint16(tt.f[c.Field:], ^tcpip.Checksum(tt.f[c.Start:c.End], 0))
			if !bytes.Equal(tt.f, orig) {
				t.Errorf("seed + device sum gave % x, want % x", tt.f[c.Field:c.Field+2], orig[c.Field:c.Field+2])
			}
		})
	}
}
