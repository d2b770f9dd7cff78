package tcp

import (
	"testing"
	"time"
)

// TestRTORetransmitSegmentSize: with timestamps the data segments
// carry 1448 bytes; an RTO's retransmission of the first one takes
// sndMSS (1460) bytes, which sendData cuts into 1448 and a runt of 12
// (retransmitFirst sized by sndMSS, not segMSS). Linux resends the segment as it was (tcp_retransmit_skb
// of one mss_cache-sized skb).
func TestRTORetransmitSegmentSize(t *testing.T) {
	r := newRawPeer(t, Options{})
	c, _ := tsConn(t, r, true, 7000)
	c.e.Write(bg, make([]byte, 3000))
	first := r.recv()
	if len(first) == 0 {
		t.Fatal("nothing sent")
	}
	r.advance(3 * time.Second) // the RTO fires
	rtx := r.recv()
	if len(rtx) == 0 {
		t.Fatal("no retransmission")
	}
	for i, s := range rtx {
		t.Logf("retransmission %d: seq %d, %d bytes", i, s.seq, len(s.data))
	}
	if len(rtx) > 1 && len(rtx[1].data) < 100 && rtx[1].seq == rtx[0].seq.add(len(rtx[0].data)) {
		t.Errorf("the RTO retransmission went as %d + %d bytes: a runt segment for the timestamps option", len(rtx[0].data), len(rtx[1].data))
	}
}

// TestFastRetransmitSegmentSize: the fast retransmission (three
// duplicate ACKs, no SACK) of the first segment must be one 1448-byte
// segment, as sent, not 1448 plus a 12-byte runt.
func TestFastRetransmitSegmentSize(t *testing.T) {
	r := newRawPeer(t, Options{})
	c, _ := tsConn(t, r, true, 7000)
	c.e.Write(bg, make([]byte, 8*1448))
	sent := r.recv()
	if len(sent) < 5 {
		t.Fatalf("%d segments sent", len(sent))
	}
	for i := 0; i < 3; i++ {
		r.send(c.lport, outSegment{seq: c.seq, ack: c.ack, flags: flagACK, wnd: 0xffff, ts: true, tsVal: 7001}, nil)
	}
	rtx := r.recv()
	for i, s := range rtx {
		t.Logf("after dup ACKs %d: seq %d (first %d), %d bytes", i, s.seq, c.ack, len(s.data))
	}
	if len(rtx) >= 2 && rtx[0].seq == c.ack && rtx[1].seq == rtx[0].seq.add(len(rtx[0].data)) && len(rtx[1].data) < 100 {
		t.Errorf("fast retransmission went as %d + %d bytes: a runt for the timestamps option", len(rtx[0].data), len(rtx[1].data))
	}
}
