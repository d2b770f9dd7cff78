// Package neterr turns the errors of Go's net package into the one-line
// messages the network programs print: which name could not be resolved,
// which address refused, or that there is no network at all.
package neterr

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Explain returns err reworded for a person at a terminal; errors it does
// not recognise come back unchanged.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		switch {
		case dns.IsNotFound:
			return fmt.Errorf("%s: no such host", dns.Name)
		case dns.IsTimeout:
			return fmt.Errorf("cannot resolve %s: no answer from the name server %s (is the network up? see /etc/resolv.conf)", dns.Name, dns.Server)
		}
		return fmt.Errorf("cannot resolve %s: %v (is the network up? see /etc/resolv.conf)", dns.Name, dns.Err)
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		return err
	}
	where := op.Op
	if op.Addr != nil {
		where += " " + op.Addr.String()
	}
	var se *os.SyscallError
	if errors.As(op.Err, &se) && se.Syscall == "socket" {
		return fmt.Errorf("%s: this kernel has no %s sockets (%v)", where, op.Net, se.Err)
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s: connection refused (nothing listening there)", where)
	case errors.Is(err, syscall.ENETUNREACH):
		return fmt.Errorf("%s: network is unreachable (is the interface up and configured? see ifconfig)", where)
	case errors.Is(err, syscall.EHOSTUNREACH):
		return fmt.Errorf("%s: no route to host", where)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%s: no interface has the address (see ifconfig)", where)
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%s: address already in use", where)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%s: permission denied", where)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%s: connection reset by peer", where)
	case op.Timeout():
		return fmt.Errorf("%s: timed out", where)
	}
	return err
}
