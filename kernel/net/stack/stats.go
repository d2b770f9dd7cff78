package stack

import (
	"fmt"
	"io"
	"reflect"

	"scone/kernel/net/tcpip"
)

// Stats are the stack's own counters; the protocols keep theirs (see
// WriteNetstat for all of them together).
type Stats struct {
	Link LinkStats
	ARP  ARPStats
	IP   IPStats
}

// LinkStats count frames at the Ethernet layer, over all interfaces.
type LinkStats struct {
	InFrames, InErrors, InNotForUs, InUnknownTypes tcpip.Counter
	OutFrames, OutErrors                           tcpip.Counter
}

// ARPStats count ARP packets, over all interfaces.
type ARPStats struct {
	InPackets, InErrors, OutPackets, OutReplies, Conflicts tcpip.Counter
}

// IPStats are the Ip lines of `netstat -s` (RFC 4293's names).
type IPStats struct {
	InReceives, InHdrErrors, InAddrErrors, InUnknownProtos, InDelivers tcpip.Counter
	OutRequests, OutDiscards, OutNoRoutes                              tcpip.Counter
	ReasmReqds, ReasmOKs, ReasmFails                                   tcpip.Counter
	FragOKs, FragFails, FragCreates                                    tcpip.Counter
}

// WriteNetstat writes every counter of the stack and its protocols, one
// per line under a heading per protocol, like `netstat -s`: the stack's
// own, each ARP cache's, then those of every registered transport that is
// a tcpip.Reporter (ICMP, TCP, UDP), in protocol number order.
func (s *Stack) WriteNetstat(w io.Writer) error {
	type section struct {
		name string
		v    any
	}
	sections := []section{
		{"Link", &s.Stats.Link},
		{"Arp", &s.Stats.ARP},
		{"Ip", &s.Stats.IP},
		{"Reassembly", &s.reasm.Stats},
	}
	for _, n := range *s.nics.Load() {
		if n.arp != nil {
			sections = append(sections, section{"Arp " + n.name, &n.arp.Stats})
		}
	}
	for proto := range s.transports {
		if r, ok := s.Transport(uint8(proto)).(tcpip.Reporter); ok {
			name, v := r.Netstat()
			sections = append(sections, section{name, v})
		}
	}
	for _, sec := range sections {
		if _, err := fmt.Fprintf(w, "%s:\n", sec.name); err != nil {
			return err
		}
		if err := writeCounters(w, sec.v); err != nil {
			return err
		}
	}
	return nil
}

// writeCounters prints the tcpip.Counter and integer fields of a struct.
func writeCounters(w io.Writer, v any) error {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return nil
	}
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		var n uint64
		switch {
		case f.Type() == reflect.TypeFor[tcpip.Counter]():
			n = f.Addr().Interface().(*tcpip.Counter).Value()
		case f.CanUint():
			n = f.Uint()
		default:
			continue
		}
		if _, err := fmt.Fprintf(w, "    %s: %d\n", rv.Type().Field(i).Name, n); err != nil {
			return err
		}
	}
	return nil
}
