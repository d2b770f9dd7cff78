package nettest

import (
	"testing"

	"scone/kernel/net/link"
	"scone/kernel/net/stack"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/udp"
)

// Addresses and hardware addresses of a Pair.
var (
	AddrA = tcpip.AddrFrom4(10, 0, 0, 1)
	AddrB = tcpip.AddrFrom4(10, 0, 0, 2)
	MACA  = tcpip.MAC{0x02, 0, 0, 0, 0, 0x0a}
	MACB  = tcpip.MAC{0x02, 0, 0, 0, 0, 0x0b}
)

// Pair is two stacks, A (10.0.0.1/24) and B (10.0.0.2/24), each with UDP
// and TCP registered, joined by a link.Pipe whose every frame goes through a
// Checker.
type Pair struct {
	A, B       *stack.Stack
	UDPA, UDPB *udp.Protocol
	TCPA, TCPB *tcp.Protocol
	NICA, NICB int
	EndA, EndB *link.PipeEnd
	Checker    *Checker
}

// PairOptions configure NewPair.
type PairOptions struct {
	Link    link.PipeConfig // MTU, impairments, clock, seed; an Observe of its own sees every frame too
	Stack   stack.Options   // for both stacks (Clock defaults to Link.Clock)
	TCP     tcp.Options     // for both stacks' TCP
	NoCheck bool            // skip the gopacket Checker (for benchmarks)
}

// NewPair builds a Pair. When the test ends it closes the link and fails
// the test if the Checker found a bad frame. With $SCONE_NET_PCAP set to a
// directory, the link's frames are also saved there as a pcap file.
func NewPair(tb testing.TB, o PairOptions) *Pair {
	p := &Pair{Checker: NewChecker()}
	capture := pcapFor(tb)
	user := o.Link.Observe
	switch {
	case !o.NoCheck && capture != nil:
		o.Link.Observe = func(_ *link.PipeEnd, f []byte) { capture.Write(f); p.Checker.Check(f) }
	case !o.NoCheck:
		o.Link.Observe = func(_ *link.PipeEnd, f []byte) { p.Checker.Check(f) }
	case capture != nil:
		o.Link.Observe = func(_ *link.PipeEnd, f []byte) { capture.Write(f) }
	}
	if inner := o.Link.Observe; user != nil {
		// The test's own observer sees every frame too, after the checker.
		o.Link.Observe = func(e *link.PipeEnd, f []byte) {
			if inner != nil {
				inner(e, f)
			}
			user(e, f)
		}
	}
	if o.Stack.Clock == nil {
		o.Stack.Clock = o.Link.Clock
	}
	p.EndA, p.EndB = link.NewPipe(o.Link, MACA, MACB)
	p.A, p.B = stack.New(o.Stack), stack.New(o.Stack)
	p.UDPA, p.UDPB = udp.New(p.A), udp.New(p.B)
	p.A.RegisterTransport(tcpip.ProtoUDP, p.UDPA)
	p.B.RegisterTransport(tcpip.ProtoUDP, p.UDPB)
	p.TCPA = tcp.NewProtocol(p.A, p.A.Clock(), o.TCP)
	p.TCPB = tcp.NewProtocol(p.B, p.B.Clock(), o.TCP)
	p.A.RegisterTransport(tcpip.ProtoTCP, p.TCPA)
	p.B.RegisterTransport(tcpip.ProtoTCP, p.TCPB)
	var err error
	if p.NICA, err = p.A.AddNIC("eth0", p.EndA); err != nil {
		tb.Fatal(err)
	}
	if p.NICB, err = p.B.AddNIC("eth0", p.EndB); err != nil {
		tb.Fatal(err)
	}
	if err := p.A.SetAddress(p.NICA, AddrA, 24); err != nil {
		tb.Fatal(err)
	}
	if err := p.B.SetAddress(p.NICB, AddrB, 24); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		p.A.Close() // closes the pipe too
		p.B.Close()
		if err := p.Checker.Err(); err != nil {
			tb.Errorf("frames on the link: %v", err)
		}
	})
	return p
}
