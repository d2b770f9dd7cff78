package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"

	"scone/user/internal/procnet"
)

type options struct {
	tcp, udp       bool
	listening, all bool
}

func open(proc, name string) (*os.File, error) {
	f, err := os.Open(filepath.Join(proc, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing: this kernel does not provide it", filepath.Join(proc, name))
	}
	return f, err
}

func parse[T any](proc, name string, p func(io.Reader) (T, error)) (T, error) {
	f, err := open(proc, name)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := p(f)
	if err != nil {
		return v, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return v, nil
}

func printSockets(w io.Writer, proc string, o options) error {
	if !o.tcp && !o.udp {
		o.tcp, o.udp = true, true
	}
	switch {
	case o.all:
		fmt.Fprintln(w, "Active Internet connections (servers and established)")
	case o.listening:
		fmt.Fprintln(w, "Active Internet connections (only servers)")
	default:
		fmt.Fprintln(w, "Active Internet connections (w/o servers)")
	}
	fmt.Fprintf(w, "%-5s %6s %6s %-23s %-23s %s\n", "Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address", "State")
	for _, p := range []struct {
		name string
		on   bool
	}{{"tcp", o.tcp}, {"udp", o.udp}} {
		if !p.on {
			continue
		}
		socks, err := parse(proc, "net/"+p.name, procnet.ParseSockets)
		if err != nil {
			return err
		}
		for _, s := range socks {
			// A server is a listening TCP socket or an unconnected UDP one.
			server := s.State == procnet.StateListen || (p.name == "udp" && s.State != 1)
			if (server && !o.all && !o.listening) || (!server && o.listening) {
				continue
			}
			state := procnet.StateName(s.State)
			if p.name == "udp" {
				state = ""
				if s.State == 1 {
					state = "ESTABLISHED"
				}
			}
			fmt.Fprintf(w, "%-5s %6d %6d %-23s %-23s %s\n", p.name, s.RxQueue, s.TxQueue,
				addr(s.Local), addr(s.Remote), state)
		}
	}
	return nil
}

// addr prints an unspecified port as "*", as netstat does.
func addr(a netip.AddrPort) string {
	if a.Port() == 0 {
		return a.Addr().String() + ":*"
	}
	return a.String()
}

func printStats(w io.Writer, proc string) error {
	protos, err := parse(proc, "net/snmp", procnet.ParseSNMP)
	if err != nil {
		return err
	}
	for _, p := range protos {
		fmt.Fprintf(w, "%s:\n", p.Name)
		for _, c := range p.Counters {
			fmt.Fprintf(w, "    %s: %d\n", c.Name, c.Value)
		}
	}
	return nil
}

func printInterfaces(w io.Writer, proc string) error {
	devs, err := parse(proc, "net/dev", procnet.ParseDev)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Kernel Interface table")
	fmt.Fprintf(w, "%-10s %10s %6s %6s %6s %10s %6s %6s %6s\n", "Iface", "RX-OK", "RX-ERR", "RX-DRP", "RX-OVR", "TX-OK", "TX-ERR", "TX-DRP", "TX-OVR")
	for _, d := range devs {
		fmt.Fprintf(w, "%-10s %10d %6d %6d %6d %10d %6d %6d %6d\n", d.Name, d.RxPackets, d.RxErrs, d.RxDrop, d.RxFifo,
			d.TxPackets, d.TxErrs, d.TxDrop, d.TxFifo)
	}
	return nil
}

func printRoutes(w io.Writer, proc string) error {
	routes, err := parse(proc, "net/route", procnet.ParseRoute)
	if err != nil {
		return err
	}
	procnet.FormatRoutes(w, routes)
	return nil
}
