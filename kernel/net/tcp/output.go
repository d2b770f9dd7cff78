package tcp

import (
	"time"

	"scone/kernel/net/ipv4"
	"scone/kernel/net/tcpip"
)

// sendRaw builds and sends one segment from this connection. payload may
// alias the send ring: WritePacket copies it before returning.
func (e *Endpoint) sendRaw(seq, ack seqnum, flags uint8, payload []byte) {
	o := outSegment{
		srcPort: e.id.local.Port, dstPort: e.id.remote.Port,
		seq: seq, ack: ack, flags: flags, wndScale: -1,
	}
	if flags&flagACK != 0 {
		o.wnd = e.advertise()
		e.lastAck = ack
		if e.sackOK && (!e.ooo.empty() || e.dsackSet) {
			o.sack = e.sackBlocks()
		}
	}
	if e.tsOK {
		o.ts, o.tsVal, o.tsEcr = true, e.tsNow(), e.tsRecent
	}
	e.emit(&o, payload)
}

// tsNow is our TSval: a millisecond clock, as Linux's, plus the
// connection's offset, so that it reveals nothing about the host's uptime
// and differs between connections (RFC 7323 section 5.4).
func (e *Endpoint) tsNow() uint32 {
	return uint32(e.p.clk.Now().Sub(e.p.epoch)/time.Millisecond) + e.tsOffset
}

func (e *Endpoint) emit(o *outSegment, payload []byte) {
	// Segments never exceed the MSS, so none is fragmented: a device
	// that offloads checksums can take every one. Only output makes
	// larger ones, on a route whose device segments them (GSO), and
	// the device cuts those at the MSS.
	o.partial = e.route.ChecksumOffload
	h := o.build(e.hdr[:], e.route.Src, e.route.Dst, payload)
	r, segs := e.route, 1
	if len(h)+len(payload) > r.MTU {
		// The device repeats this header, options included, on every
		// segment it cuts, so each carries the MSS less the options.
		mss := e.sndMSS - (len(h) - headerLen)
		r.GSO.MSS = mss
		segs = (len(payload) + mss - 1) / mss
	}
	if e.p.net.WritePacket(r, tcpip.ProtoTCP, h, payload) != nil {
		return // treated as a loss: the retransmission timer recovers
	}
	if o.flags&flagRST != 0 {
		e.p.stats.outRsts.Add(1)
	}
	if o.seq.lt(e.sndMax) && (len(payload) > 0 || o.flags&(flagSYN|flagFIN) != 0) {
		e.p.stats.retransSegs.Add(uint64(segs))
	} else {
		e.p.stats.outSegs.Add(uint64(segs))
	}
}

// sendSize is the most output puts in one segment: mss, or with
// segmentation offload on the route as many whole mss-sized segments as
// the device takes in one packet (room left for the largest options).
func (e *Endpoint) sendSize(mss int) int {
	if g := e.route.GSO.MaxSize; g > 0 {
		return max((g-maxHeaderLen)/mss, 1) * mss
	}
	return mss
}

// syncMTU follows a change of the MTU of the connection's interface
// (SIOCSIFMTU), as Linux's tcp_sync_mss does when the route's MTU moves:
// the next segment is sized by the new MTU, within the MSS the peer
// announced. (An ICMP "fragmentation needed" lowers the MSS on its own;
// handleControl.)
func (e *Endpoint) syncMTU() {
	if e.p.mtuOf == nil {
		return
	}
	mtu := e.p.mtuOf(e.route.NIC) - ipv4.HeaderLen
	if mtu <= 0 || mtu == e.route.MTU {
		return
	}
	e.route.MTU = mtu
	e.sndMSS = max(min(e.peerMSS, mtu-headerLen), 64)
}

// segMSS is the most data the next segment may carry: the MSS less the
// options sendRaw will put on it (timestamps, SACK blocks), so that no
// segment passes the path MTU (Linux's tcp_current_mss).
func (e *Endpoint) segMSS() int { return e.sndMSS - e.optLen() }

// optLen is the length of the options sendRaw puts on the next segment
// with an ACK: the timestamps option if in use, and a SACK option (two
// NOPs, the kind and length, and 8 bytes a block: the blocks sackBlocks
// returns).
func (e *Endpoint) optLen() int {
	n := 0
	if e.tsOK {
		n = tsOptLen
	}
	k := e.ooo.n
	if e.dsackSet {
		k++
	}
	if e.sackOK && k > 0 {
		n += 4 + 8*min(k, e.sackLimit())
	}
	return n
}

// sackLimit is how many SACK blocks fit beside the other options.
func (e *Endpoint) sackLimit() int {
	if e.tsOK {
		return maxSACKTS
	}
	return maxSACK
}

// sendAck sends a bare acknowledgement.
func (e *Endpoint) sendAck() { e.sendRaw(e.sndNxt, e.rcvNxt, flagACK, nil) }

// sendReset aborts the peer's side: <SEQ=SND.NXT><CTL=RST>.
func (e *Endpoint) sendReset() { e.sendRaw(e.sndNxt, 0, flagRST, nil) }

// sendSyn sends (or resends) our SYN, or SYN-ACK in SYN-RECEIVED, with our
// options, and arms the retransmission timer.
func (e *Endpoint) sendSyn() {
	o := outSegment{
		srcPort: e.id.local.Port, dstPort: e.id.remote.Port,
		seq: e.iss, flags: flagSYN, wndScale: -1,
		mss: uint16(min(e.rcvMSS, 0xffff)),
		wnd: uint16(min(e.rcv.free(), 0xffff)),
	}
	// Offer window scaling in a SYN, or accept it in a SYN-ACK only if the
	// peer offered it (RFC 7323 section 1.3).
	if e.state == StateSynSent || e.wsOK {
		o.wndScale = e.rcvShift
	}
	o.sackOK = (e.state == StateSynSent && !e.p.opts.DisableSACK) || e.sackOK
	// Offer timestamps in a SYN; in a SYN-ACK only if the SYN did, echoing
	// its TSval (RFC 7323 section 3.2).
	if (e.state == StateSynSent && !e.p.opts.DisableTimestamps) || e.tsOK {
		o.ts, o.tsVal, o.tsEcr = true, e.tsNow(), e.tsRecent
	}
	if e.state == StateSynReceived {
		o.flags |= flagACK
		o.ack = e.rcvNxt
		e.lastAck = e.rcvNxt
		e.rcvAdv = e.rcvNxt.add(int(o.wnd))
	}
	if e.retries == 0 {
		e.rttStart = e.p.clk.Now()
	}
	e.emit(&o, nil)
	e.sndNxt = e.iss + 1
	e.sndMax = seqMax(e.sndMax, e.sndNxt)
	if e.timerKind != timerRTO || e.timerAt.IsZero() {
		e.armTimer(timerRTO, e.curRTO())
	}
}

// advertise returns the window field for an outgoing segment and records
// the right edge it promises. The edge never moves back (RFC 9293 section
// 3.8.6.2.2) and, to avoid silly windows, moves forward only by at least
// a segment or half the buffer.
func (e *Endpoint) advertise() uint16 {
	edge := e.rcvNxt.add(e.rcv.free())
	if e.rcvAdv.gt(e.rcvNxt) || e.rcvAdv == e.rcvNxt {
		if edge.lt(e.rcvAdv) || int(edge-e.rcvAdv) < e.rcvSegSize() {
			edge = seqMax(e.rcvAdv, e.rcvNxt)
		}
	}
	// Round up, as Linux does: rounding down would move the right edge
	// back. trim accepts data up to the edge advertised, which may pass
	// the buffer limit by less than one scaling unit.
	wnd := int(edge - e.rcvNxt)
	scaled := min((wnd+1<<e.rcvShift-1)>>e.rcvShift, 0xffff)
	e.rcvAdv = e.rcvNxt.add(scaled << e.rcvShift)
	return uint16(scaled)
}

// windowUpdate tells the peer about buffer space freed by a read, when the
// window has at least doubled and grown by a segment or more.
func (e *Endpoint) windowUpdate() {
	if !e.state.synchronized() || e.finRcvd {
		return
	}
	adv := int(int32(e.rcvAdv - e.rcvNxt))
	wnd := e.rcv.free()
	if wnd-adv >= e.rcvSegSize() && wnd >= 2*adv {
		e.sendAck()
	}
}

// rcvSegSize is the segment size the receive-side thresholds count in:
// our MSS, but no more than half the receive buffer (the buffer memory
// pressure leaves it), as Linux clamps its rcv_mss to half the window.
// Over loopback (MSS 65,495) a buffer smaller than one MSS would otherwise
// never see a "full" segment: no window update after a read, and every
// ACK left to the delayed-ACK timer.
func (e *Endpoint) rcvSegSize() int { return max(min(e.rcvMSS, e.rcv.room()/2), 1) }

// sendPendingAck sends the ACK the last segment deserves, now or later:
// at once for out-of-order data, FINs and every second full-sized
// segment; otherwise after the delayed-ACK timeout (RFC 5681 section 4.2).
func (e *Endpoint) sendPendingAck() {
	if e.lastAck == e.rcvNxt && !e.ackNow {
		return
	}
	if e.ackNow || int(e.rcvNxt-e.lastAck) >= 2*min(max(e.segMax, e.rcvMSS/2), e.rcvSegSize()) {
		e.ackNow = false
		e.sendAck()
		return
	}
	if !e.delackSet {
		e.delackSet = true
		if e.delack == nil {
			e.delack = e.p.clk.AfterFunc(e.p.opts.DelayedACK, e.onDelack)
		} else {
			e.delack.Reset(e.p.opts.DelayedACK)
		}
	}
}

// canSend reports whether the state lets data or a FIN go out.
func (e *Endpoint) canSend() bool {
	switch e.state {
	case StateEstablished, StateCloseWait, StateFinWait1, StateClosing, StateLastAck:
		return true
	}
	return false
}

// output sends whatever the windows, Nagle's algorithm and sender-side
// silly-window avoidance allow (RFC 9293 section 3.8.6.2.1, RFC 896).
func (e *Endpoint) output() {
	if !e.canSend() {
		return
	}
	e.syncMTU()
	for {
		mss := e.segMSS()
		off := int(e.sndNxt - e.sndUna)
		unsent := max(e.snd.len()-off, 0)
		inflight := off
		room := min(e.sndWnd-inflight, e.cwnd+e.limitedTransmit()-e.pipe())
		n := min(unsent, e.sendSize(mss), max(room, 0))
		if n > mss && n < unsent {
			n -= n % mss // whole segments, as without offload
		}
		fin := e.shutWr && !e.finAcked && e.sndNxt.add(n) == e.finSeq
		if n == 0 && !fin {
			break
		}
		if n < mss && !fin {
			if n < unsent {
				// Window-limited: wait for a useful window.
				if n < e.maxSndWnd/2 || room < e.sndWnd-inflight {
					break
				}
			} else if inflight > 0 && !e.noDelay {
				break // Nagle: one small segment in flight at a time
			}
		}
		e.sendData(e.sndNxt, n, fin)
		e.sndNxt = e.sndNxt.add(n)
		if fin {
			e.sndNxt++
		}
		e.sndMax = seqMax(e.sndMax, e.sndNxt)
		if fin {
			break
		}
	}
	e.armSendTimers()
}

// sendData sends n bytes from seq (which must be at or after SND.UNA),
// plus a FIN if fin is set. Without segmentation offload, n bytes that do
// not fit one segment beside its options go as several, as Linux's
// tcp_fragment cuts a retransmission sized before the SACK option grew.
func (e *Endpoint) sendData(seq seqnum, n int, fin bool) {
	e.syncMTU()
	if e.route.GSO.MaxSize == 0 {
		for mss := e.segMSS(); n > mss; mss = e.segMSS() {
			e.sendSegment(seq, mss, false)
			seq, n = seq.add(mss), n-mss
		}
	}
	e.sendSegment(seq, n, fin)
}

// sendSegment sends one segment (or, with offload, one packet the device
// cuts) of n bytes from seq.
func (e *Endpoint) sendSegment(seq seqnum, n int, fin bool) {
	off := int(seq - e.sndUna)
	var payload []byte
	if n > 0 {
		if payload = e.snd.slice(off, n); payload == nil {
			if cap(e.scratch) < n {
				e.scratch = make([]byte, max(n, e.sndMSS))
			}
			payload = e.scratch[:n]
			e.snd.peek(off, payload)
		}
	}
	flags := uint8(flagACK)
	if fin {
		flags |= flagFIN
	}
	if n > 0 && off+n == e.snd.len() {
		flags |= flagPSH
	}
	if seq.lt(e.sndMax) {
		e.rttTiming = false // Karn: never time a retransmission
	} else if !e.rttTiming && n > 0 {
		e.rttTiming, e.rttSeq, e.rttStart = true, seq, e.p.clk.Now()
	}
	e.sendRaw(seq, e.rcvNxt, flags, payload)
}

// armSendTimers runs the retransmission timer while anything is in flight
// and the persist timer while data waits on a window too small to use.
func (e *Endpoint) armSendTimers() {
	switch {
	case e.sndMax != e.sndUna && e.sndNxt != e.sndUna:
		if e.timerKind != timerRTO && e.timerKind != timerTLP && e.timerKind != timerRACK || e.timerAt.IsZero() {
			e.armLossTimer()
		}
	case e.snd.len() > int(e.sndNxt-e.sndUna):
		if e.timerAt.IsZero() {
			e.armTimer(timerPersist, e.curRTO())
		}
	}
}
