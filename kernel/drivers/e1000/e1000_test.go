package e1000

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"scone/kernel/net/link"
)

// recorder is a Dispatcher that keeps copies of the frames it is given.
type recorder struct {
	mu     sync.Mutex
	frames [][]byte
}

func (r *recorder) DeliverFrame(f []byte) {
	r.mu.Lock()
	r.frames = append(r.frames, append([]byte(nil), f...))
	r.mu.Unlock()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.frames)
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func start(t *testing.T, m *model) (*Device, *recorder) {
	t.Helper()
	d, err := New(m, m, 11)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	d.Attach(r)
	t.Cleanup(func() {
		d.Close()
		m.close()
		<-d.done
	})
	return d, r
}

// numbered is a frame carrying i, so order and content can be checked.
func numbered(i int) []byte {
	f := make([]byte, 60+i%900)
	copy(f, testMAC[:])
	binary.BigEndian.PutUint16(f[12:], 0x88b5) // local experimental ethertype
	binary.BigEndian.PutUint32(f[14:], uint32(i))
	for j := 18; j < len(f); j++ {
		f[j] = byte(i + j)
	}
	return f
}

func TestMAC(t *testing.T) {
	ral := [2]uint32{0x12005452, 0x5634}
	tests := []struct {
		name    string
		noEERD  bool
		ral     [2]uint32
		want    string
		wantErr error
	}{
		{"eeprom", false, [2]uint32{}, "52:54:00:12:34:56", nil},
		{"ral when the EEPROM is silent", true, ral, "52:54:00:12:34:56", nil},
		{"neither", true, [2]uint32{}, "", ErrNoMAC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel()
			m.noEERD = tt.noEERD
			m.regs[regRAL0], m.regs[regRAH0] = tt.ral[0], tt.ral[1]
			d, err := New(m, m, 11)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New: %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer func() { d.Close(); m.close(); <-d.done }()
			if got := d.MAC().String(); got != tt.want {
				t.Errorf("MAC %s, want %s", got, tt.want)
			}
			if m.Read32(regRAL0) != 0x12005452 || m.Read32(regRAH0) != 0x5634|rahAV {
				t.Errorf("RAL0/RAH0 = %#x/%#x, not the MAC marked valid", m.Read32(regRAL0), m.Read32(regRAH0))
			}
		})
	}
}

// TestReceiveWraps passes more than three rings' worth of frames through
// the receive ring in bursts and checks each arrives once, whole, in order.
func TestReceiveWraps(t *testing.T) {
	m := newModel()
	d, r := start(t, m)
	const total = 3*ringSize + 17
	sent := 0
	for sent < total {
		burst := min(200, total-sent)
		for i := 0; i < burst; i++ {
			if !m.inject(numbered(sent + i)) {
				t.Fatalf("frame %d missed: the driver did not give the ring back", sent+i)
			}
		}
		sent += burst
		waitFor(t, fmt.Sprintf("%d frames", sent), func() bool { return r.count() == sent })
	}
	for i, f := range r.frames {
		if !bytes.Equal(f, numbered(i)) {
			t.Fatalf("frame %d differs", i)
		}
	}
	if s := d.Stats(); s.RxFrames.Load() != total || s.RxMissed.Load() != 0 {
		t.Errorf("rx %d frames, %d missed; want %d, 0", s.RxFrames.Load(), s.RxMissed.Load(), total)
	}
}

// TestReceiveOneWakeup readies 200 frames behind one interrupt: one
// wake-up takes them all, in rounds of rxBudget with a yield between.
func TestReceiveOneWakeup(t *testing.T) {
	m := newModel()
	d, r := start(t, m)
	waitFor(t, "the driver to wait", func() bool { return m.waits.Load() == 1 })
	m.mu.Lock()
	m.holdIRQ(func() {
		for i := 0; i < 200; i++ {
			m.injectLocked(numbered(i))
		}
	})
	m.mu.Unlock()
	waitFor(t, "200 frames", func() bool { return r.count() == 200 })
	waitFor(t, "the driver to wait again", func() bool { return m.waits.Load() == 2 })
	s := d.Stats()
	if s.Interrupts.Load() != 1 || s.BudgetExhausted.Load() != 200/rxBudget {
		t.Errorf("%d wake-ups, %d rounds at budget; want 1, %d", s.Interrupts.Load(), s.BudgetExhausted.Load(), 200/rxBudget)
	}
}

// TestReceiveFullRing overfills the ring while the driver cannot run: the
// device misses what does not fit, the driver counts it, and the ring
// works afterwards.
func TestReceiveFullRing(t *testing.T) {
	m := newModel()
	d, r := start(t, m)
	m.mu.Lock()
	taken := 0
	for i := 0; i < 300; i++ {
		if m.injectLocked(numbered(i)) {
			taken++
		}
	}
	m.mu.Unlock()
	if taken != ringSize-1 {
		t.Fatalf("ring took %d frames, want %d", taken, ringSize-1)
	}
	waitFor(t, "the ring's frames", func() bool { return r.count() == taken })
	waitFor(t, "the missed count", func() bool { return d.Stats().RxMissed.Load() == 300-uint64(taken) })
	for i := 0; i < 10; i++ {
		if !m.inject(numbered(i)) {
			t.Fatal("ring still full after the driver drained it")
		}
	}
	waitFor(t, "10 more frames", func() bool { return r.count() == taken+10 })
}

func TestReceiveChecksumStatus(t *testing.T) {
	tests := []struct {
		name      string
		status    uint32
		delivered bool
		csumErr   uint64
		frameErr  uint64
		ok        uint64
	}{
		{"unchecked", 0, true, 0, 0, 0},
		{"checked good", rxsIPCS | rxsTCPCS, true, 0, 0, 1},
		{"bad ip header", rxsIPCS | rxeIPE, false, 1, 0, 0},
		{"bad tcp", rxsIPCS | rxsTCPCS | rxeTCPE, false, 1, 0, 0},
		{"ignore checksum", rxsIXSM | rxsIPCS | rxeIPE, true, 0, 0, 0},
		{"crc error", rxeCE, false, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel()
			d, r := start(t, m)
			m.mu.Lock()
			m.rxStatus = tt.status
			m.mu.Unlock()
			m.inject(numbered(1))
			m.mu.Lock()
			m.rxStatus = 0
			m.mu.Unlock()
			m.inject(numbered(2)) // a marker: the first was handled once this arrives
			waitFor(t, "the marker", func() bool {
				r.mu.Lock()
				defer r.mu.Unlock()
				return len(r.frames) > 0 && bytes.Equal(r.frames[len(r.frames)-1], numbered(2))
			})
			s := d.Stats()
			if got := r.count() == 2; got != tt.delivered {
				t.Errorf("delivered %v, want %v", got, tt.delivered)
			}
			if s.RxChecksumErrors.Load() != tt.csumErr || s.RxErrors.Load() != tt.frameErr || s.RxChecksumOK.Load() != tt.ok {
				t.Errorf("checksum errors %d, frame errors %d, checked %d; want %d, %d, %d",
					s.RxChecksumErrors.Load(), s.RxErrors.Load(), s.RxChecksumOK.Load(), tt.csumErr, tt.frameErr, tt.ok)
			}
		})
	}
}

// frame serialises layers with correct checksums.
func frame(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTransmitOffload sends frames of every kind through the checksum
// offload path: what the device puts on the wire must be byte for byte
// what the stack wrote, checksums included.
func TestTransmitOffload(t *testing.T) {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(testMAC[:]), DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv4}
	ip := func(p layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: p, SrcIP: net.IP{10, 0, 2, 15}, DstIP: net.IP{10, 0, 2, 2}}
	}
	tcpIP := ip(layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: 80, DstPort: 40000, Seq: 7, Ack: 9, ACK: true, PSH: true, Window: 65535}
	tcp.SetNetworkLayerForChecksum(tcpIP)
	udpIP := ip(layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: 68, DstPort: 67}
	udp.SetNetworkLayerForChecksum(udpIP)
	optIP := ip(layers.IPProtocolTCP)
	optIP.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
	optTCP := &layers.TCP{SrcPort: 1, DstPort: 2, SYN: true, Window: 1000}
	optTCP.SetNetworkLayerForChecksum(optIP)
	odd := gopacket.Payload(bytes.Repeat([]byte{0xa5}, 1001))

	noCsum := frame(t, eth, udpIP, udp, gopacket.Payload("x"))
	binary.BigEndian.PutUint16(noCsum[14+20+6:], 0) // UDP without a checksum
	frag := frame(t, eth, ip(layers.IPProtocolUDP), gopacket.Payload(make([]byte, 64)))
	binary.BigEndian.PutUint16(frag[14+6:], 0x2000) // more fragments
	arp := frame(t, &layers.Ethernet{SrcMAC: eth.SrcMAC, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: eth.SrcMAC, SourceProtAddress: []byte{10, 0, 2, 15}, DstHwAddress: make([]byte, 6), DstProtAddress: []byte{10, 0, 2, 2}})
	icmp := frame(t, eth, ip(layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 1})

	tests := []struct {
		name    string
		frame   []byte
		offload bool
	}{
		{"tcp", frame(t, eth, tcpIP, tcp, gopacket.Payload("hello")), true},
		{"tcp odd length", frame(t, eth, tcpIP, tcp, odd), true},
		{"tcp full size", frame(t, eth, tcpIP, tcp, gopacket.Payload(bytes.Repeat([]byte{1, 2, 3}, 486))), true},
		{"udp", frame(t, eth, udpIP, udp, gopacket.Payload("dhcp")), true},
		{"tcp again", frame(t, eth, tcpIP, tcp, gopacket.Payload("x")), true},
		{"tcp with ip options", frame(t, eth, optIP, optTCP), true},
		{"udp without checksum", noCsum, false},
		{"fragment", frag, false},
		{"arp", arp, false},
		{"icmp", icmp, false},
	}
	m := newModel()
	d, _ := start(t, m)
	var want uint64
	for _, tt := range tests {
		if err := d.WriteFrame(tt.frame); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.offload {
			want++
		}
	}
	sent := m.sentFrames()
	if len(sent) != len(tests) {
		t.Fatalf("%d frames on the wire, want %d", len(sent), len(tests))
	}
	for i, tt := range tests {
		if !bytes.Equal(sent[i], tt.frame) {
			t.Errorf("%s: wire frame differs from the stack's\n got %x\nwant %x", tt.name, sent[i], tt.frame)
		}
	}
	s := d.Stats()
	if s.TxChecksumOffload.Load() != want {
		t.Errorf("%d offloaded, want %d", s.TxChecksumOffload.Load(), want)
	}
	// A context per change of offsets: each padded frame (gopacket pads
	// to 60 bytes) ends its sum at its own place; the two unpadded TCP
	// frames share one.
	if s.TxContexts.Load() != 5 {
		t.Errorf("%d context descriptors, want 5", s.TxContexts.Load())
	}
}

// TestTransmitFullRing stalls the device: the ring fills, the software
// queue takes the next swqSize frames, the rest are dropped and counted.
// When the device moves again, the transmit interrupt drains the queue,
// and every frame not dropped reaches the wire once, in order.
func TestTransmitFullRing(t *testing.T) {
	m := newModel()
	m.holdTx = true
	d, _ := start(t, m)
	const total = 600
	for i := 0; i < total; i++ {
		if err := d.WriteFrame(numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	s := d.Stats()
	kept := ringSize - 1 + swqSize
	if s.TxQueued.Load() != swqSize || s.TxDropped.Load() != total-uint64(kept) {
		t.Fatalf("%d queued, %d dropped; want %d, %d", s.TxQueued.Load(), s.TxDropped.Load(), swqSize, total-kept)
	}
	m.releaseTx()
	waitFor(t, "the queue to drain", func() bool { return len(m.sentFrames()) == kept })
	for i, f := range m.sentFrames() {
		if !bytes.Equal(f, numbered(i)) {
			t.Fatalf("wire frame %d differs", i)
		}
	}
	// The ring and queue are usable again.
	for i := 0; i < 2*ringSize; i++ {
		if err := d.WriteFrame(numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "two more rings' worth", func() bool { return len(m.sentFrames()) == kept+2*ringSize })
	if got := s.TxDropped.Load(); got != total-uint64(kept) {
		t.Errorf("dropped %d more frames with the device running", got-(total-uint64(kept)))
	}
}

func TestLinkStatus(t *testing.T) {
	m := newModel()
	d, _ := start(t, m)
	if !d.LinkUp() {
		t.Fatal("link down at start")
	}
	m.setLink(false)
	waitFor(t, "link down", func() bool { return !d.LinkUp() })
	m.setLink(true)
	waitFor(t, "link up", func() bool { return d.LinkUp() })
	if n := d.Stats().LinkChanges.Load(); n != 2 {
		t.Errorf("%d link changes, want 2", n)
	}
}

func TestWriteFrameErrors(t *testing.T) {
	m := newModel()
	d, _ := start(t, m)
	if err := d.WriteFrame(make([]byte, maxFrame+1)); !errors.Is(err, link.ErrFrameTooLarge) {
		t.Errorf("oversized frame: %v, want ErrFrameTooLarge", err)
	}
	if err := d.WriteFrame(make([]byte, maxFrame)); err != nil {
		t.Errorf("full-size frame: %v", err)
	}
	d.Close()
	if err := d.WriteFrame(make([]byte, 60)); !errors.Is(err, link.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

var _ link.Endpoint = (*Device)(nil)

// TestMissedCounter feeds the missed-packets counter of QEMU's model
// (counting up) and of the manual's (clearing on read).
func TestMissedCounter(t *testing.T) {
	tests := []struct {
		name  string
		reads []uint32
		want  uint64
	}{
		{"counts up", []uint32{0, 5, 5, 12, 40}, 40},
		{"clears on read", []uint32{0, 5, 3, 7, 0, 2}, 5 + 3 + 7 + 0 + 2},
		{"wraps", []uint32{0xfffffff0, 0x10}, 0xfffffff0 + 0x10}, // a drop is read as clearing
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel()
			d := &Device{regs: m}
			for _, v := range tt.reads {
				m.regs[regMPC] = v
				d.countMissed()
			}
			if got := d.stats.RxMissed.Load(); got != tt.want {
				t.Errorf("missed %d, want %d", got, tt.want)
			}
		})
	}
}
