package dns

import (
	"bytes"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

func TestReadName(t *testing.T) {
	hdr := make([]byte, headerLen)
	msg := func(b ...byte) []byte { return append(bytes.Clone(hdr), b...) }
	long := msg()
	for i := 0; i < 5; i++ { // 5 * 64 = 320 > 255
		long = append(long, 63)
		long = append(long, bytes.Repeat([]byte{'a'}, 63)...)
	}
	long = append(long, 0)
	tests := []struct {
		name string
		msg  []byte
		off  int
		want string
		end  int
		err  error
	}{
		{"plain", msg(3, 'w', 'w', 'w', 4, 't', 'e', 's', 't', 0), 12, "www.test", 22, nil},
		{"root", msg(0), 12, ".", 13, nil},
		{"pointer", msg(4, 't', 'e', 's', 't', 0, 1, 'a', 0xc0, 12), 18, "a.test", 22, nil},
		{"escapes", msg(3, 'a', '.', 0xff, 0), 12, `a\.\255`, 17, nil},
		{"self pointer", msg(0xc0, 12), 12, "", 0, ErrPointer},
		{"forward pointer", msg(0xc0, 14, 0), 12, "", 0, ErrPointer},
		{"pointer loop", msg(1, 'a', 0xc0, 12), 12, "", 0, ErrPointer},
		{"two-step loop", msg(1, 'a', 0xc0, 16, 1, 'b', 0xc0, 12), 16, "", 0, ErrPointer},
		{"truncated label", msg(5, 'a', 'b'), 12, "", 0, ErrName},
		{"truncated pointer", msg(0xc0), 12, "", 0, ErrName},
		{"no terminator", msg(1, 'a'), 12, "", 0, ErrName},
		{"reserved label type", msg(0x40, 0), 12, "", 0, ErrName},
		{"too long", long, 12, "", 0, ErrNameLength},
	}
	for _, tt := range tests {
		got, end, err := readName(tt.msg, tt.off)
		if got != tt.want || end != tt.end || !errors.Is(err, tt.err) {
			t.Errorf("%s: readName = %q, %d, %v; want %q, %d, %v", tt.name, got, end, err, tt.want, tt.end, tt.err)
		}
	}
}

func TestSplitName(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{"www.test", []string{"www", "test"}, nil},
		{"www.test.", []string{"www", "test"}, nil},
		{".", nil, nil},
		{`a\.b.c`, []string{"a.b", "c"}, nil},
		{`\255x`, []string{"\xffx"}, nil},
		{`a\256`, nil, ErrName},
		{"a..b", nil, ErrName},
		{".a", nil, ErrName},
		{`a\`, nil, ErrName},
		{strings.Repeat("a", 64), nil, ErrLabelLength},
		{strings.Repeat("abcdefg.", 32), nil, ErrNameLength},
	}
	for _, tt := range tests {
		got, err := splitName(tt.in)
		var gs []string
		for _, l := range got {
			gs = append(gs, string(l))
		}
		if !reflect.DeepEqual(gs, tt.want) || !errors.Is(err, tt.err) {
			t.Errorf("splitName(%q) = %q, %v; want %q, %v", tt.in, gs, err, tt.want, tt.err)
		}
	}
}

func sampleReply() *Message {
	return &Message{
		Header:    Header{ID: 0x1234, Response: true, RecursionDesired: true, RecursionAvailable: true, Authoritative: true},
		Questions: []Question{{Name: "www.example.test", Type: TypeA, Class: ClassINET}},
		Answers: []Resource{
			cname("www.example.test", 60, "web.example.test"),
			a("web.example.test", 300, "192.0.2.1"),
			a("web.example.test", 300, "192.0.2.2"),
		},
		Authorities: []Resource{{Name: "example.test", Type: TypeNS, Class: ClassINET, TTL: 10, Data: []byte{2, 'n', 's', 0}}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	m := sampleReply()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// Compression must have shortened the repeated names.
	if n := bytes.Count(b, []byte("example")); n != 1 {
		t.Errorf("\"example\" appears %d times in the encoding, want 1", n)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, m)
	}
}

func TestParseErrors(t *testing.T) {
	good, _ := sampleReply().Marshal()
	tests := []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, ErrShort},
		{"header only, counts set", good[:headerLen], ErrShort},
		{"cut in answer", good[:len(good)-10], ErrShort},
		{"huge counts", append([]byte{0, 0, 0x81, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, good[headerLen:]...), ErrShort},
		{"A record of 5 bytes", func() []byte {
			m := &Message{Answers: []Resource{{Name: "a", Type: TypeA, Class: 99, Data: []byte{1, 2, 3, 4, 5}}}}
			b, _ := m.Marshal()
			b[len(b)-5-10+3] = byte(ClassINET) // class 99 -> IN, now a 5-byte A record
			return b
		}(), ErrRecord},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.b); !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
	}
}

// TestGopacket checks both directions against an independent codec: our
// query as gopacket sees it, and a reply gopacket builds as we see it.
func TestGopacket(t *testing.T) {
	q := &Message{Header: Header{ID: 77, RecursionDesired: true}, Questions: []Question{{Name: "host.test", Type: TypeA, Class: ClassINET}}}
	b, _ := q.Marshal()
	var d layers.DNS
	if err := d.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if d.ID != 77 || !d.RD || d.QR || len(d.Questions) != 1 || string(d.Questions[0].Name) != "host.test" || d.Questions[0].Type != layers.DNSTypeA {
		t.Errorf("gopacket sees %+v", d)
	}

	reply := layers.DNS{ID: 77, QR: true, RD: true, RA: true, Questions: d.Questions, Answers: []layers.DNSResourceRecord{
		{Name: []byte("host.test"), Type: layers.DNSTypeCNAME, Class: layers.DNSClassIN, TTL: 5, CNAME: []byte("real.test")},
		{Name: []byte("real.test"), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 9, IP: net.IPv4(10, 0, 0, 1)},
	}}
	buf := gopacket.NewSerializeBuffer()
	if err := reply.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	m, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	addrs, _, n, ttl := follow(m, "host.test", maxCNAME)
	if len(addrs) != 1 || addrs[0].String() != "10.0.0.1" || n != 1 || ttl.Seconds() != 5 {
		t.Errorf("follow = %v, %d CNAMEs, ttl %v", addrs, n, ttl)
	}
}

// FuzzParse: no input panics Parse, and what it accepts survives a round trip.
func FuzzParse(f *testing.F) {
	b, _ := sampleReply().Marshal()
	f.Add(b)
	f.Add([]byte{0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		enc, err := m.Marshal()
		if err != nil {
			t.Fatalf("cannot re-encode an accepted message: %v", err)
		}
		m2, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the message\n%+v\n%+v", m, m2)
		}
	})
}

// FuzzName: any name readName returns encodes back to the same name.
func FuzzName(f *testing.F) {
	f.Add([]byte{3, 'w', 'w', 'w', 0xc0, 0})
	f.Add([]byte{1, '.', 2, 0xff, '\\', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		name, _, err := readName(b, 0)
		if err != nil {
			return
		}
		enc, err := appendName(nil, name, nil)
		if err != nil {
			t.Fatalf("cannot encode %q: %v", name, err)
		}
		back, _, err := readName(enc, 0)
		if err != nil || back != name {
			t.Fatalf("%q encoded and decoded as %q, %v", name, back, err)
		}
	})
}
