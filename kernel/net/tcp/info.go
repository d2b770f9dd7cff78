package tcp

import (
	"time"

	"scone/kernel/net/tcpip"
)

// Info describes one endpoint, as Linux's TCP_INFO and ss(8) do.
type Info struct {
	State          State
	Local, Remote  tcpip.FullAddr
	SRTT, RTTVar   time.Duration // smoothed round-trip time and its variation (0 before a sample)
	RTO            time.Duration // current retransmission timeout, backoff included
	SendMSS        int           // largest segment sent
	Cwnd, Ssthresh int           // congestion window and slow-start threshold, bytes
	SendWindow     int           // peer's advertised window, bytes
	InFlight       int           // bytes sent and not acknowledged
	SendQueue      int           // bytes in the send buffer, sent or not
	RecvQueue      int           // bytes received and not yet read
	SACK           bool          // selective acknowledgements in use
	WindowScale    bool          // window scaling in use
	Timestamps     bool          // timestamps in use
	InRecovery     bool          // in fast recovery
	Retries        int           // consecutive retransmission timeouts
}

// Info returns a snapshot of the endpoint's state (getsockopt TCP_INFO).
func (e *Endpoint) Info() Info {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.infoLocked()
}

func (e *Endpoint) infoLocked() Info {
	in := Info{
		State: e.state, Local: e.id.local, Remote: e.id.remote,
		SRTT: e.srtt, RTTVar: e.rttvar, SendMSS: e.sndMSS,
		Cwnd: e.cwnd, Ssthresh: e.ssthresh, SendWindow: e.sndWnd,
		SendQueue: e.snd.len(), RecvQueue: e.rcv.len(),
		SACK: e.sackOK, WindowScale: e.wsOK, Timestamps: e.tsOK, InRecovery: e.inRecovery, Retries: e.retries,
	}
	if e.state != StateListen && e.state != StateClosed {
		in.RTO = e.curRTO()
		in.InFlight = int(e.sndMax - e.sndUna)
	}
	return in
}

// Connections returns a snapshot of every listener and connection, for
// netstat-like tools. The order is unspecified.
func (p *Protocol) Connections() []Info {
	p.mu.RLock()
	eps := make([]*Endpoint, 0, len(p.listeners)+len(p.conns))
	for _, e := range p.listeners {
		eps = append(eps, e)
	}
	for _, e := range p.conns {
		eps = append(eps, e)
	}
	p.mu.RUnlock()
	out := make([]Info, 0, len(eps))
	for _, e := range eps {
		out = append(out, e.Info())
	}
	return out
}
