package dgram

import (
	"syscall"

	"scone/kernel/net/tcpip"
)

// SendRoute picks the route of one datagram to dst from src (the
// endpoint's address; 0.0.0.0 for routing's choice), through nic if
// nic >= 0, with the endpoint's ttl, as sendmsg's control messages o
// (nil for none) change them, as Linux's ip_cmsg_send: IP_PKTINFO's
// ipi_spec_dst replaces the source and its ipi_ifindex, if not 0, the
// interface; IP_TTL and IP_TOS set the datagram's. A multicast or
// broadcast spec_dst is EINVAL and one not of this host ENETUNREACH, an
// ifindex of no interface ENODEV (the stack's RouteNIC), as Linux's
// ip_route_output says.
func SendRoute(net tcpip.NetworkLayer, nic int, src, dst tcpip.Addr, ttl uint8, o *tcpip.SendOptions) (tcpip.Route, error) {
	var tos uint8
	if o != nil {
		if o.TTL != 0 {
			ttl = o.TTL
		}
		if o.HasTOS {
			tos = o.TOS
		}
		if o.PktInfo {
			src = o.Src
			switch {
			case src.IsMulticast() || src == tcpip.BroadcastAddr:
				return tcpip.Route{}, syscall.EINVAL
			case !src.IsUnspecified() && !net.IsLocal(src):
				return tcpip.Route{}, syscall.ENETUNREACH
			}
			if o.IfIndex > 0 {
				nic = o.IfIndex - 1
			}
		}
	}
	var r tcpip.Route
	var err error
	if nr, ok := net.(tcpip.NICRouter); ok && nic >= 0 {
		r, err = nr.RouteNIC(nic, src, dst)
	} else {
		r, err = net.Route(src, dst)
	}
	r.TTL, r.TOS = ttl, tos
	return r, err
}
