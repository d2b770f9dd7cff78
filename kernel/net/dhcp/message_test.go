package dhcp

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"scone/kernel/net/tcpip"
)

func sampleAck() *Message {
	return &Message{
		Op: opReply, XID: 0xdeadbeef, Secs: 3, Flags: flagBroadcast,
		YIAddr: offered, CHAddr: clientMAC, Type: Ack, ServerID: serverAddr,
		SubnetMask: tcpip.MustParseAddr("255.255.255.0"),
		Routers:    []tcpip.Addr{serverAddr},
		DNS:        []tcpip.Addr{{10, 0, 2, 3}, {8, 8, 8, 8}},
		LeaseTime:  86400 * time.Second, T1: 3600 * time.Second, T2: 7200 * time.Second,
		DomainName: "example.test", Hostname: strings.Repeat("h", 300), // split in two
		ClientID: []byte{1, 2, 3}, ParamList: []byte{1, 3, 6}, MaxSize: 1500,
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range []*Message{sampleAck(), {Op: opRequest, XID: 1, CHAddr: clientMAC, Type: Discover}} {
		b := m.Marshal()
		if len(b) < MinSize {
			t.Errorf("%v: %d bytes", m.Type, len(b))
		}
		got, err := Parse(b)
		if err != nil {
			t.Fatalf("%v: %v", m.Type, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip\n got %+v\nwant %+v", got, m)
		}
	}
}

// TestGopacketDecodes holds the encoder to an independent decoder.
func TestGopacketDecodes(t *testing.T) {
	m := sampleAck()
	m.Hostname = "scone"
	p := gopacket.NewPacket(m.Marshal(), layers.LayerTypeDHCPv4, gopacket.Default)
	d, ok := p.Layer(layers.LayerTypeDHCPv4).(*layers.DHCPv4)
	if !ok {
		t.Fatalf("gopacket did not decode: %v", p.ErrorLayer())
	}
	if d.Xid != m.XID || !bytes.Equal(d.YourClientIP.To4(), m.YIAddr[:]) || !bytes.Equal(d.ClientHWAddr, m.CHAddr[:]) || d.Operation != layers.DHCPOpReply {
		t.Errorf("header decoded as %+v", d)
	}
	want := map[layers.DHCPOpt][]byte{
		layers.DHCPOptMessageType: {byte(Ack)},
		layers.DHCPOptServerID:    serverAddr[:],
		layers.DHCPOptSubnetMask:  {255, 255, 255, 0},
		layers.DHCPOptDNS:         {10, 0, 2, 3, 8, 8, 8, 8},
		layers.DHCPOptLeaseTime:   {0, 1, 0x51, 0x80},
		layers.DHCPOptHostname:    []byte("scone"),
	}
	for _, o := range d.Options {
		if w, ok := want[o.Type]; ok {
			if !bytes.Equal(o.Data, w) {
				t.Errorf("option %v = %v, want %v", o.Type, o.Data, w)
			}
			delete(want, o.Type)
		}
	}
	if len(want) != 0 {
		t.Errorf("options missing in gopacket's view: %v", want)
	}
}

func TestOverload(t *testing.T) {
	b := (&Message{Op: opReply, XID: 7, CHAddr: clientMAC, Type: Offer}).Marshal()
	// Replace the options with "overload file" and put the lease time there.
	opts := b[fixedLen+4:]
	clear(opts)
	copy(opts, []byte{optMessageType, 1, byte(Offer), optOverload, 1, 1, optEnd})
	copy(b[offFile:], []byte{optLeaseTime, 4, 0, 0, 0, 60, optEnd})
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.LeaseTime != time.Minute {
		t.Errorf("lease time from file field = %v, want 1m", m.LeaseTime)
	}
}

func TestParseErrors(t *testing.T) {
	good := sampleAck().Marshal()
	opts := fixedLen + 4
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"no cookie", good[:fixedLen+2], ErrShort},
		{"bad op", edit(func(b []byte) []byte { b[0] = 3; return b }), ErrOperation},
		{"token ring", edit(func(b []byte) []byte { b[1] = 6; return b }), ErrHardware},
		{"bad cookie", edit(func(b []byte) []byte { b[fixedLen] = 0; return b }), ErrCookie},
		{"no end", good[:opts+3], ErrOption},
		{"length past end", append(bytes.Clone(good[:opts]), optRouter, 8, 1, 2, 3, 4), ErrOption},
		{"length byte missing", append(bytes.Clone(good[:opts]), optRouter), ErrOption},
		{"no type", append(bytes.Clone(good[:opts]), optEnd), ErrNoType},
		{"bad type", append(bytes.Clone(good[:opts]), optMessageType, 1, 9, optEnd), ErrOption},
		{"short server id", append(bytes.Clone(good[:opts]), optMessageType, 1, 2, optServerID, 3, 1, 2, 3, optEnd), ErrOption},
		{"router list not multiple of 4", append(bytes.Clone(good[:opts]), optMessageType, 1, 2, optRouter, 5, 1, 2, 3, 4, 5, optEnd), ErrOption},
		{"short lease", append(bytes.Clone(good[:opts]), optMessageType, 1, 2, optLeaseTime, 2, 1, 2, optEnd), ErrOption},
		{"bad overload", append(bytes.Clone(good[:opts]), optMessageType, 1, 2, optOverload, 1, 4, optEnd), ErrOption},
		{"overloaded file without end", append(bytes.Clone(good[:opts]), optMessageType, 1, 2, optOverload, 1, 1, optEnd), ErrOption},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.b); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestAddressListBounded(t *testing.T) {
	b := (&Message{Op: opReply, CHAddr: clientMAC, Type: Offer}).Marshal()
	b = append(b[:fixedLen+4], optMessageType, 1, byte(Offer), optDNS, 4*40)
	for i := 0; i < 40; i++ {
		b = append(b, 10, 0, 0, byte(i))
	}
	b = append(b, optEnd)
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.DNS) != maxAddrs {
		t.Errorf("kept %d DNS servers, want %d", len(m.DNS), maxAddrs)
	}
}

// FuzzParse checks that no input panics Parse, and that whatever it accepts
// survives a Marshal/Parse round trip unchanged.
func FuzzParse(f *testing.F) {
	f.Add(sampleAck().Marshal())
	f.Add((&Message{Op: opRequest, CHAddr: clientMAC, Type: Discover}).Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		m2, err := Parse(m.Marshal())
		if err != nil {
			t.Fatalf("re-parse of accepted message: %v", err)
		}
		// Marshal drops empty options, so compare the re-encodings.
		if !bytes.Equal(m2.Marshal(), m.Marshal()) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, m2)
		}
	})
}
