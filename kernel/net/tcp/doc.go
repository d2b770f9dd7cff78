// Package tcp is Scone's TCP (RFC 9293), a transport protocol of the
// network stack. It sits on a tcpip.NetworkLayer (IPv4), is fed by the
// network layer through tcpip.TransportHandler, and takes all its time
// from a clock.Clock so that tests run on fake time.
//
// # Using it
//
// Whoever assembles a host (kernel/net/host, a test) creates one Protocol
// over the stack and registers it for tcpip.ProtoTCP; the stack never
// imports this package:
//
//	p := tcp.NewProtocol(s, s.Clock(), tcp.Options{})
//	s.RegisterTransport(tcpip.ProtoTCP, p)
//
// The socket layer wraps Endpoints, which follow the BSD socket calls:
//
//	e := p.NewEndpoint()
//	e.Bind(addr)                     // optional; port 0 = ephemeral
//	e.Listen(backlog); e.Accept(ctx) // passive open
//	e.Connect(ctx, remote)           // active open
//	e.Read(ctx, b); e.Write(ctx, b)
//	e.Shutdown(tcp.ShutWr); e.Close()
//	e.LocalAddr(); e.RemoteAddr()
//	e.SetNoDelay(on); e.SetNonblocking(on)
//	e.SetSendBufferSize(n); e.SetReceiveBufferSize(n)
//	e.SetKeepAlive(on); e.SetKeepAliveParams(idle, interval, count)
//	e.Readiness(); e.Queue()         // for poll and epoll
//	e.Error()                        // SO_ERROR: take the pending error
//	e.Info()                         // TCP_INFO: state, RTT, windows, queues
//	p.Stats()                        // netstat -s counters
//	p.Connections()                  // netstat/ss: every listener and connection
//	p.WriteProcNet(w)                // /proc/net/tcp in Linux's format
//
// Errors are syscall.Errno values, as Linux returns them: ECONNREFUSED,
// ECONNRESET, ETIMEDOUT, EPIPE, ENOTCONN, EISCONN, EALREADY, EINPROGRESS,
// EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH, EAGAIN. Read returns io.EOF at
// the end of the peer's data.
//
// Blocking and deadlines: a blocking call waits until it can proceed or
// its ctx ends. A cancelled ctx (a signal, a killed process) gives EINTR;
// an expired deadline gives EAGAIN, as SO_RCVTIMEO and SO_SNDTIMEO do
// (Connect gives ETIMEDOUT and abandons the attempt). With
// SetNonblocking(true) calls never wait: they return EAGAIN, or
// EINPROGRESS from Connect, and readiness events announce progress. A
// blocking Write returns once all of b is queued (or with the count so far
// and an error); a non-blocking one returns the count that fitted with a
// nil error. Every blocked caller sleeps on the endpoint's waiter queue
// with its own waiter.Sleeper, so a change (data, FIN, RST, Close) wakes
// all of them, not just the first. Readiness() gives waiter events (EventIn, EventOut, EventErr,
// EventHup, EventRdHup) with poll's meanings, and Queue() is where poll and
// epoll register for changes.
//
// # What is implemented
//
//   - The state machine of RFC 9293 section 3.10, including simultaneous
//     open and close, half-close, and TIME-WAIT for 2*MSL (Options.MSL).
//     A retransmitted FIN in TIME-WAIT is acknowledged and restarts it.
//   - Reset rules of section 3.10.7, with RFC 5961's defences: a RST is
//     accepted only at exactly RCV.NXT (in-window ones draw a challenge
//     ACK), a SYN in a synchronized state draws a challenge ACK, and ACKs
//     of data older than the send window are refused. A RST is judged by
//     the sequence number it carries, before any trimming. Challenge ACKs
//     (an out-of-window SYN draws one too) and ACKs for unacceptable
//     segments that occupy no sequence space (no data, no FIN) go out at
//     most once per Options.InvalidRateLimit (500 ms) per connection, as
//     Linux's tcp_invalid_ratelimit and tcp_oow_rate_limited; Options.ChallengeACKLimit adds a host-wide
//     bound randomised each second (off by default, as in Linux since 6.0,
//     because a shared count is the side channel of CVE-2016-5696).
//   - MSS and window-scale options (RFC 7323 section 2); unknown options
//     are skipped by length and a malformed option ends option parsing.
//     A data segment carries the MSS less the options on it (timestamps,
//     SACK blocks), so none passes the path MTU (Linux's
//     tcp_current_mss); offloaded packets are cut at that size too.
//   - Retransmission per RFC 6298 with Karn's algorithm (a handshake whose
//     SYN-ACK went twice gives no sample either), exponential
//     backoff cleared by new acknowledgements, and a retry limit after
//     which the connection fails with ETIMEDOUT (or with the ICMP soft
//     error that explains the silence). MinRTO is 200 ms, as Linux. A
//     timeout during fast recovery does not lower ssthresh again, and one
//     under a zero send window still resends the head segment as a probe.
//   - Slow start and congestion avoidance with byte counting (RFC 5681,
//     RFC 3465), initial window 10 segments (RFC 6928), fast retransmit,
//     limited transmit (RFC 3042) and early retransmit (RFC 5827).
//   - Selective acknowledgements (RFC 2018), offered and accepted unless
//     Options.DisableSACK: the receiver reports up to four out-of-order
//     blocks, newest first; the sender keeps a scoreboard and recovers with
//     a simplified RFC 6675 (holes below the highest SACKed byte are lost;
//     a pipe estimate keeps retransmissions and new data under the
//     congestion window; the first hole is resent at once on entry; after a
//     timeout only unSACKed data is resent). A lost retransmission is
//     noticed, as RACK (RFC 8985) would, when data sent after it is SACKed
//     or when it stays unacknowledged for SRTT+4*RTTVAR (a short timer in
//     front of the RTO, at most three times per recovery). A tail loss
//     probe (RFC 8985 section 7) goes out 2*SRTT after the last ACK so
//     that losses at the end of a flight do not wait for the RTO. Without
//     SACK: NewReno fast recovery with partial ACKs and the ACK heuristic
//     (RFC 6582).
//   - Delayed ACK (Options.DelayedACK, 40 ms by default) with an immediate
//     ACK for every second full segment, out-of-order data, filled holes
//     and FINs; Nagle's algorithm (SetNoDelay turns it off); sender and
//     receiver silly-window avoidance; zero-window probing with the
//     persist timer. Unanswered probes count toward Options.MaxRetries
//     (Linux's tcp_retries2), or Options.OrphanRetries (8) once the
//     application has closed the socket; an ACK clears the count, so a
//     live peer is probed as long as it keeps its window shut, but an
//     orphan gives up once its probes have backed off to MaxRTO. The
//     receive-side thresholds (window updates, ACK every second segment)
//     count in segments of at most half the receive buffer, so a buffer
//     smaller than one MSS (loopback) still gets prompt ACKs. A scaled
//     window is rounded up, so the advertised right edge never moves back.
//   - Out-of-order reassembly directly in the receive buffer: bytes land at
//     their offset and at most 32 holes are tracked, so memory is bounded
//     by the receive buffer.
//   - Listen backlog: at most Options.MaxSynBacklog half-open connections
//     per listener (each a small endpoint without buffers) and at most
//     backlog completed ones. When the SYN queue is full, SYN cookies
//     (RFC 4987) answer without keeping state, carrying MSS, window scale
//     and SACK in the sequence number; Options.DisableSynCookies drops the
//     SYNs instead. When the accept queue is full, SYNs and completing ACKs
//     are dropped (the peer retransmits).
//   - TIME-WAIT holds no buffers; at most Options.MaxTimeWait connections
//     wait at once (beyond that the wait is skipped, as Linux does), and a
//     new SYN with a higher sequence number reopens a four-tuple in
//     TIME-WAIT.
//   - Ephemeral ports from 32768-60999, unique per four-tuple, chosen by
//     RFC 6056's algorithm 4 (keyed double hash) for a connect and from a
//     random start for Bind. Binding
//     behaves as Linux with SO_REUSEADDR: a port is taken by bound and
//     listening endpoints, not by connections.
//   - ICMP errors (HandleControl): port or protocol unreachable during
//     SYN-SENT fails the connect with ECONNREFUSED; "fragmentation needed"
//     lowers the MSS to the next hop's MTU less the IP and TCP headers;
//     others are soft errors. Errors are believed only if
//     they quote a sequence number in flight (RFC 5927).
//   - Initial sequence numbers per RFC 6528 (keyed hash plus a 4 µs clock).
//   - Closing with unread data, or data arriving after Close or after
//     both directions are shut, resets the connection; an orphaned
//     FIN-WAIT-2 lasts Options.FinWait2Timeout. Shutdown(ShutRd) keeps
//     queued and later data readable, as Linux. Disconnect is connect(2)
//     with AF_UNSPEC (Linux's tcp_disconnect).
//   - Buffer memory is bounded protocol-wide as Linux's tcp_mem
//     (Options.Mem: min, pressure and hard limit in pages; mem.go):
//     under pressure buffers stop growing and windows close; past the
//     hard limit segments needing room are dropped unacknowledged and
//     writers block. Memory reports it (/proc/net/sockstat's TCP mem).
//   - Urgent data is received in line (as SO_OOBINLINE, RFC 6093's
//     advice): an urgent pointer raises EventPri (POLLPRI) until the reader
//     passes the mark. Sending urgent data (MSG_OOB) is not supported.
//     Data carried on a SYN is not kept (the peer sends
//     it again); data on a SYN-ACK is trimmed to the window and kept. The
//     urgent pointer of an unacceptable segment is ignored.
//   - Timestamps (RFC 7323 sections 3-5) unless Options.DisableTimestamps:
//     negotiated on the SYN, sent on every segment (a millisecond clock
//     plus a per-four-tuple offset), TS.Recent echoed, PAWS dropping old
//     duplicates (not a RST, nor a reordered duplicate ACK, as Linux).
//     RTT samples still come from one timed segment per round trip.
//   - Not implemented: undo of needless
//     retransmissions from D-SACK (the receiver does send D-SACK), PRR or
//     pacing; congestion control is Reno/NewReno only (no CUBIC).
//   - Keep-alives (RFC 1122 4.2.3.6), off by default: SetKeepAlive and
//     SetKeepAliveParams (Linux's defaults: 2 h idle, 75 s apart, 9
//     probes), then ETIMEDOUT.
//
// # Performance
//
// Each direction keeps its bytes in a ring buffer that grows on demand up
// to the buffer size and is then reused; headers are built in a per-
// endpoint buffer; timers are re-armed lazily (an RTO restart per ACK only
// moves a deadline). A bulk transfer allocates nothing per segment.
//
// # Locking
//
// Each endpoint has a mutex; the protocol has a read-write mutex over its
// tables. Lock order: listener endpoint, then child endpoint, then the
// protocol's tables; a listener's queue lock is a leaf. WritePacket is
// called with the endpoint's lock held, so the network layer must not
// deliver packets back into the protocol from inside WritePacket
// (loopback must queue them); HandlePacket and timers may run on any
// goroutine.
package tcp
