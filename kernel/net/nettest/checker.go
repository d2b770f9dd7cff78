// Package nettest holds helpers shared by the network stack's tests: a
// Checker that decodes every frame with an independent decoder
// (github.com/google/gopacket/layers) and verifies every checksum, and a
// Pair of stacks joined by an impaired in-memory link.
package nettest

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// maxErrors bounds how many problems a Checker remembers.
const maxErrors = 20

// Checker verifies frames. It is safe for concurrent use.
type Checker struct {
	mu     sync.Mutex
	frames int
	errs   []string
	frags  map[fragKey]*fragments
}

// NewChecker returns a checker with no frames seen.
func NewChecker() *Checker {
	return &Checker{frags: make(map[fragKey]*fragments)}
}

// Frames returns how many frames were checked.
func (c *Checker) Frames() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}

// Err returns the problems found, or nil.
func (c *Checker) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%d bad frames, first: %v", len(c.errs), c.errs)
}

func (c *Checker) fail(format string, args ...any) {
	if len(c.errs) < maxErrors {
		c.errs = append(c.errs, fmt.Sprintf(format, args...))
	}
}

// Check decodes one Ethernet frame and records any problem: an undecodable
// layer, a bad IPv4 header checksum, or a bad ICMP, UDP or TCP checksum
// (for fragments, checked on the reassembled datagram).
func (c *Checker) Check(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames++
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.DecodeOptions{NoCopy: true})
	// What lies above UDP and TCP is the application's business (a test's
	// "DISCOVER" to port 67 is no DHCP message); below it must decode.
	if el := pkt.ErrorLayer(); el != nil && !unknownTransport(pkt) && pkt.TransportLayer() == nil {
		c.fail("decode: %v in % x", el.Error(), head(frame))
		return
	}
	if a, ok := pkt.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
		if a.AddrType != layers.LinkTypeEthernet || a.Protocol != layers.EthernetTypeIPv4 ||
			a.HwAddressSize != 6 || a.ProtAddressSize != 4 || (a.Operation != 1 && a.Operation != 2) {
			c.fail("bad ARP %+v", a)
		}
		return
	}
	ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if !ok {
		c.fail("neither ARP nor IPv4: % x", head(frame))
		return
	}
	if sum16(ip.Contents, 0) != 0xffff {
		c.fail("IPv4 header checksum %#04x wrong", ip.Checksum)
	}
	if int(ip.Length) != len(ip.Contents)+len(ip.Payload) {
		c.fail("IPv4 length %d, frame carries %d", ip.Length, len(ip.Contents)+len(ip.Payload))
	}
	if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
		whole := c.reassemble(ip)
		if whole == nil {
			return // more fragments to come
		}
		ip = whole
	}
	c.checkTransport(ip)
}

// unknownTransport reports whether pkt is an IPv4 datagram whose header
// decoded but whose protocol is none this stack speaks (gopacket cannot
// decode what tests send to provoke "protocol unreachable").
func unknownTransport(pkt gopacket.Packet) bool {
	ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if !ok {
		return false
	}
	switch ip.Protocol {
	case layers.IPProtocolICMPv4, layers.IPProtocolUDP, layers.IPProtocolTCP:
		return false
	}
	return true
}

// checkTransport verifies the transport checksum of a whole datagram.
func (c *Checker) checkTransport(ip *layers.IPv4) {
	b := ip.Payload
	switch ip.Protocol {
	case layers.IPProtocolICMPv4:
		if sum16(b, 0) != 0xffff {
			c.fail("ICMP checksum wrong")
		}
	case layers.IPProtocolUDP, layers.IPProtocolTCP:
		if ip.Protocol == layers.IPProtocolUDP && len(b) >= 8 && binary.BigEndian.Uint16(b[6:8]) == 0 {
			return // UDP without a checksum
		}
		pseudo := make([]byte, 0, 12)
		pseudo = append(pseudo, ip.SrcIP.To4()...)
		pseudo = append(pseudo, ip.DstIP.To4()...)
		pseudo = append(pseudo, 0, byte(ip.Protocol), byte(len(b)>>8), byte(len(b)))
		if sum16(b, uint32(sum16(pseudo, 0))) != 0xffff {
			c.fail("%v checksum wrong (%d bytes)", ip.Protocol, len(b))
		}
		// And the transport header must decode.
		p := gopacket.NewPacket(b, ip.Protocol.LayerType(), gopacket.DecodeOptions{NoCopy: true})
		if el := p.ErrorLayer(); el != nil && p.TransportLayer() == nil {
			c.fail("%v decode: %v", ip.Protocol, el.Error())
		}
	}
}

// sum16 is the Internet checksum written the obvious way, one 16-bit word
// at a time, independent of tcpip.Checksum's faster loop.
func sum16(b []byte, initial uint32) uint16 {
	s := initial
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

func head(b []byte) []byte { return b[:min(len(b), 48)] }
