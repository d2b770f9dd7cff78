package tcp

import (
	"syscall"
	"testing"

	"scone/kernel/net/waiter"
)

// Tests for the defects of issue 7 that have no better home.

// TestResetJudgedBeforeTrim sends a RST that starts before RCV.NXT but
// whose payload reaches into the window. Trimming would move its sequence
// number onto RCV.NXT; RFC 5961 section 3.2 judges the number it carries:
// a challenge ACK, not a reset (defect 4).
func TestResetJudgedBeforeTrim(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	r.send(c.lport, outSegment{seq: c.seq - 1000, ack: c.ack, flags: flagRST | flagACK}, make([]byte, 1460))
	if s := c.e.State(); s != StateEstablished {
		t.Fatalf("state %v after a RST 1000 bytes before RCV.NXT, want ESTABLISHED", s)
	}
	ack := r.expect("challenge ACK")
	if ack.flags != flagACK || ack.ack != c.seq {
		t.Errorf("reply %+v, want a challenge ACK of %d", ack, c.seq)
	}
	if n := c.e.rcv.len(); n != 0 {
		t.Errorf("%d bytes of the RST's payload queued", n)
	}
}

// TestUrgentOutOfWindowIgnored sends URG on segments the acceptability
// test rejects: no EventPri (defect 9). An acceptable one still raises it.
func TestUrgentOutOfWindowIgnored(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	for _, seq := range []seqnum{c.seq + 1<<30, c.seq - 5000} {
		r.send(c.lport, outSegment{seq: seq, ack: c.ack, flags: flagACK | flagURG, up: 10, wnd: 0xffff}, make([]byte, 20))
		if ev := c.e.Readiness(); ev&waiter.EventPri != 0 {
			t.Fatalf("EventPri after an unacceptable URG segment at %d (RCV.NXT %d)", seq, c.seq)
		}
	}
	c.r.send(c.lport, outSegment{seq: c.seq, ack: c.ack, flags: flagACK | flagURG, up: 10, wnd: 0xffff}, make([]byte, 20))
	if ev := c.e.Readiness(); ev&waiter.EventPri == 0 {
		t.Fatal("no EventPri after an acceptable URG segment")
	}
}

var _ = syscall.EINVAL
