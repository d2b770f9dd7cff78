package tcp

import (
	"context"
	"sync"
	"syscall"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// State is a connection state of RFC 9293 section 3.3.2.
type State int

// The connection states.
const (
	StateClosed State = iota
	StateListen
	StateSynSent
	StateSynReceived
	StateEstablished
	StateFinWait1
	StateFinWait2
	StateCloseWait
	StateClosing
	StateLastAck
	StateTimeWait
)

var stateNames = [...]string{"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
	"FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "UNKNOWN"
	}
	return stateNames[s]
}

// synchronized reports whether the state is past the handshake.
func (s State) synchronized() bool { return s >= StateEstablished }

// Shutdown directions, as the how argument of shutdown(2).
const (
	ShutRd   = syscall.SHUT_RD
	ShutWr   = syscall.SHUT_WR
	ShutRdWr = syscall.SHUT_RDWR
)

// Endpoint is one TCP socket: unbound, bound, listening, or a connection.
// All methods are safe for concurrent use.
type Endpoint struct {
	p     *Protocol
	queue waiter.Queue

	mu         sync.Mutex
	state      State
	id         connID
	bound      bool           // id.local is set by Bind or Connect
	userBind   tcpip.FullAddr // what Bind asked for, when it named a port: kept across Disconnect
	route      tcpip.Route
	noDelay    bool
	noReuse    bool  // SO_REUSEADDR turned off
	ttl        uint8 // IP_TTL; 0 for the stack's default
	nonblock   bool
	connected  bool  // reached ESTABLISHED at some point
	connecting bool  // Connect started an attempt whose outcome it has not reported
	orphan     bool  // closed by the application; lives on to finish the close
	shutRd     bool  // application will not read any more
	shutWr     bool  // application will not write any more (FIN queued)
	err        error // pending hard error, reported once (SO_ERROR)
	softErr    syscall.Errno
	ev         waiter.Events // events to announce when the lock is released

	// Send sequence space (RFC 9293 section 3.3.1). snd holds the bytes
	// from SND.UNA on; the FIN, once queued, follows them.
	iss, sndUna, sndNxt, sndMax seqnum
	sndWnd, maxSndWnd           int
	sndWl1, sndWl2              seqnum
	sndShift                    int // peer's window scale
	sndMSS                      int
	peerMSS                     int // the MSS the peer's SYN announced (Linux's mss_clamp)
	snd                         ring
	finSeq                      seqnum // sequence number of our FIN, once shutWr is set
	finAcked                    bool   // the peer has acknowledged our FIN

	// Congestion control (RFC 5681, RFC 6582).
	cwnd, ssthresh int
	cwndAcc        int // bytes acknowledged toward the next congestion-avoidance increase
	dupAcks        int
	inRecovery     bool
	recover        seqnum
	prevUna        seqnum    // SND.UNA before the latest advance (RFC 6582 section 4.2)
	sackOK         bool      // both sides sent SACK-permitted
	sb             rangeSet  // SACK scoreboard: what the peer holds above SND.UNA
	rtxHigh        seqnum    // holes below this were retransmitted in this recovery
	rtoRecovery    bool      // recovering after a timeout, with SACK information
	rtoHigh        seqnum    // SND.MAX when the timeout fired
	rtxProbe       seqnum    // first hole retransmitted in this pass
	rtxMark        seqnum    // SND.MAX when rtxProbe was retransmitted
	rtxProbing     bool      // watching rtxProbe for loss
	rtxProbeAt     time.Time // when rtxProbe was retransmitted
	rackFires      int       // timer-driven re-retransmissions in this recovery
	forceFirst     bool      // sackSend sends one hole even if the pipe is full
	tlpSent        bool      // a tail loss probe is out for this flight

	// Round-trip time and retransmission (RFC 6298).
	srtt, rttvar, rto time.Duration
	rttTiming         bool
	rttSeq            seqnum
	rttStart          time.Time
	retries           int // consecutive expiries of the timer
	probes            int // zero-window probes since the peer was last heard
	backoff           int // RTO doublings since the last new ACK
	timer             clock.Timer
	timerKind         timerKind
	timerAt           time.Time // when the current kind is due; zero when stopped
	timerSet          time.Time // when the underlying timer fires
	delack            clock.Timer
	delackSet         bool

	// Receive sequence space. rcv holds unread in-order bytes followed by
	// out-of-order bytes at their offsets (ooo says which).
	irs, rcvNxt, rcvAdv seqnum
	rcvShift            int    // our window scale
	rcvMSS              int    // largest segment we expect (our MSS)
	lastAck             seqnum // RCV.NXT as last acknowledged to the peer
	segMax              int    // largest segment received, for "every second full segment"
	ackNow              bool   // the segment being processed wants an immediate ACK
	rcv                 ring
	ooo                 rangeSet
	finRcvd             bool // peer's FIN is in sequence: EOF after rcv drains
	oooFin              bool // a FIN arrived out of order at oooFinSeq
	oooFinSeq           seqnum
	wsOK                bool              // both sides sent window scale
	tsOK                bool              // both sides sent timestamps (RFC 7323 section 3)
	tsRecent            uint32            // TS.Recent: the peer's TSval to echo
	tsRecentAt          time.Time         // when tsRecent was taken (PAWS's 24-day rule)
	tsOffset            uint32            // our TSval's random offset, per four-tuple (RFC 7323 section 5.4)
	lastOOO             seqnum            // start of the latest out-of-order segment
	lastOOWAck          time.Time         // when the last rate-limited ACK went out (challengeAck, oowAck)
	sackOut             [maxSACK]seqRange // SACK blocks being sent
	dsack               seqRange          // a duplicate to report (D-SACK)
	dsackSet            bool
	rcvUp               seqnum // urgent mark: the byte after the urgent data
	urgSet              bool   // rcvUp is ahead of the reader

	lst    *listenState // non-nil while listening
	parent *Endpoint    // listener of a half-open passive connection

	hdr     [maxHeaderLen]byte // reusable outgoing header
	scratch []byte             // payload that wraps the send ring

	// Keep-alive (keepalive.go).
	kaOn               bool
	kaIdle, kaInterval time.Duration
	kaCount, kaProbes  int
	ka                 clock.Timer
	lastRecv           time.Time // when the peer was last heard
}

// NewEndpoint returns an unbound endpoint in the CLOSED state.
func (p *Protocol) NewEndpoint() *Endpoint {
	e := &Endpoint{p: p}
	e.snd.limit = p.opts.SendBuffer
	e.rcv.limit = p.opts.ReceiveBuffer
	e.snd.mem, e.rcv.mem = &p.mem, &p.mem
	return e
}

// Queue is where poll and epoll register interest in the endpoint.
func (e *Endpoint) Queue() *waiter.Queue { return &e.queue }

// State returns the connection state.
func (e *Endpoint) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// LocalAddr returns the bound address.
func (e *Endpoint) LocalAddr() (tcpip.FullAddr, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.id.local, nil
}

// RemoteAddr returns the peer's address, or ENOTCONN.
func (e *Endpoint) RemoteAddr() (tcpip.FullAddr, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == StateListen || e.id.remote.Port == 0 || (e.state == StateClosed && !e.connected) {
		return tcpip.FullAddr{}, syscall.ENOTCONN
	}
	return e.id.remote, nil
}

// SetNoDelay turns Nagle's algorithm off (TCP_NODELAY) or back on.
func (e *Endpoint) SetNoDelay(on bool) {
	e.mu.Lock()
	e.noDelay = on
	if on {
		e.output()
	}
	e.unlock()
}

// NoDelay reports whether Nagle's algorithm is off (TCP_NODELAY).
func (e *Endpoint) NoDelay() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.noDelay
}

// SetReuseAddr sets SO_REUSEADDR. It is on for a new endpoint (Scone's
// default, unlike Linux's): a Bind then ignores connections on the port,
// TIME-WAIT ones included. Turned off, a Bind fails with EADDRINUSE while
// any connection uses the address.
func (e *Endpoint) SetReuseAddr(on bool) {
	e.mu.Lock()
	e.noReuse = !on
	e.mu.Unlock()
}

// ReuseAddr reports SO_REUSEADDR.
func (e *Endpoint) ReuseAddr() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return !e.noReuse
}

// SetTTL sets the time to live of the datagrams the endpoint sends
// (IP_TTL); 0 restores the stack's default.
func (e *Endpoint) SetTTL(ttl uint8) {
	e.mu.Lock()
	e.ttl, e.route.TTL = ttl, ttl
	e.mu.Unlock()
}

// TTL returns the IP_TTL set, 0 for the default.
func (e *Endpoint) TTL() uint8 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ttl
}

// SetNonblocking makes Read, Write, Accept and Connect return EAGAIN (or
// EINPROGRESS) instead of blocking, like O_NONBLOCK.
func (e *Endpoint) SetNonblocking(on bool) {
	e.mu.Lock()
	e.nonblock = on
	e.mu.Unlock()
}

// SetSendBufferSize sets the send buffer limit (SO_SNDBUF). It never drops
// bytes already queued.
func (e *Endpoint) SetSendBufferSize(n int) {
	e.mu.Lock()
	e.snd.limit = max(min(n, maxBuffer), ringMinCap, e.snd.len())
	e.mu.Unlock()
}

// SetReceiveBufferSize sets the receive buffer limit (SO_RCVBUF). Set it
// before connecting: the window scale is chosen from it at the handshake.
func (e *Endpoint) SetReceiveBufferSize(n int) {
	e.mu.Lock()
	e.rcv.limit = max(min(n, maxBuffer), ringMinCap, len(e.rcv.buf))
	e.mu.Unlock()
}

// SendBufferSize and ReceiveBufferSize return the buffer limits.
func (e *Endpoint) SendBufferSize() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.snd.limit
}

// ReceiveBufferSize returns the receive buffer limit.
func (e *Endpoint) ReceiveBufferSize() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rcv.limit
}

// Buffered returns the bytes a read would take at once (FIONREAD).
func (e *Endpoint) Buffered() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rcv.len()
}

// Error returns and clears the pending error (SO_ERROR).
func (e *Endpoint) Error() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.err
	e.err = nil
	return err
}

// Readiness returns the events that hold now.
func (e *Endpoint) Readiness() waiter.Events {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.readinessLocked()
}

func (e *Endpoint) readinessLocked() waiter.Events {
	var ev waiter.Events
	if e.state == StateListen {
		if e.lst.pending() {
			ev |= waiter.EventIn
		}
		return ev
	}
	if e.err != nil {
		ev |= waiter.EventErr
	}
	if e.rcv.len() > 0 || e.finRcvd || e.shutRd || (e.state == StateClosed && e.connected) {
		ev |= waiter.EventIn
	}
	if e.finRcvd || e.shutRd {
		ev |= waiter.EventRdHup
	}
	if e.urgSet {
		ev |= waiter.EventPri
	}
	// As Linux's tcp_poll: a closed socket, even a fresh one never
	// connected, is hung up and writable (a write fails at once).
	if (e.finRcvd && e.shutWr) || e.state == StateClosed {
		ev |= waiter.EventHup
	}
	// As tcp_poll: once synchronized, writable when there is room or the
	// sending side is shut (the write fails at once with EPIPE).
	switch e.state {
	case StateSynSent, StateSynReceived:
	case StateClosed:
		ev |= waiter.EventOut
	default:
		if e.shutWr || e.snd.free() > 0 {
			ev |= waiter.EventOut
		}
	}
	return ev
}

// notify records events to announce; unlock announces them.
func (e *Endpoint) notify(ev waiter.Events) { e.ev |= ev }

// unlock releases the endpoint and announces the events recorded under it.
// Blocked callers sleep on the same queue as poll and epoll, so every one
// of them hears every change.
func (e *Endpoint) unlock() {
	ev := e.ev
	e.ev = 0
	e.mu.Unlock()
	if ev != 0 {
		e.queue.Notify(ev)
	}
}

// What blocked readers (and accepters) and writers (and connecters) wait for.
const (
	readEvents  = waiter.EventIn | waiter.EventErr | waiter.EventHup | waiter.EventRdHup
	writeEvents = waiter.EventOut | waiter.EventErr | waiter.EventHup
)

// sleep waits, with the lock released, until an event in mask is
// announced or ctx ends (EINTR, or EAGAIN for a deadline). The sleeper is
// armed before the lock is released, so no announcement is missed.
func (e *Endpoint) sleep(ctx context.Context, mask waiter.Events) error {
	s := waiter.Arm(&e.queue, mask)
	e.unlock()
	err := s.Wait(ctx)
	s.Release()
	e.mu.Lock()
	return err
}

// takeErr returns and clears the pending error.
func (e *Endpoint) takeErr() error {
	err := e.err
	e.err = nil
	return err
}
