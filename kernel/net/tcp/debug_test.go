package tcp

import (
	"fmt"
	"time"
)

// dump describes the endpoint's variables for failure messages.
func (e *Endpoint) dump() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dumpLocked()
}

var _ = time.Second

func (e *Endpoint) dumpLocked() string {
	return fmt.Sprintf("%v una=%d nxt=%d max=%d sndlen=%d wnd=%d cwnd=%d ssth=%d rec=%v/%d dup=%d timer=%d@%v set=%v rto=%v retries=%d | rcvnxt=%d rcvlen=%d adv=%d ooo=%d lastack=%d finrcvd=%v shutwr=%v",
		e.state, e.sndUna-e.iss, e.sndNxt-e.iss, e.sndMax-e.iss, e.snd.len(), e.sndWnd, e.cwnd, e.ssthresh,
		e.inRecovery, e.recover-e.iss, e.dupAcks, e.timerKind, e.timerAt.Format("15:04:05.000"), e.timerSet.Format("15:04:05.000"), e.rto, e.retries,
		e.rcvNxt-e.irs, e.rcv.len(), e.rcvAdv-e.rcvNxt, e.ooo.n, e.lastAck-e.irs, e.finRcvd, e.shutWr)
}
