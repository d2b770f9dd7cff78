package tcp

import (
	"context"
	"syscall"
	"testing"

	"scone/kernel/net/tcpip"
)

// TestDisconnect checks connect(AF_UNSPEC) as Linux's tcp_disconnect:
// which states send a RST and leave ECONNRESET pending, and that the
// endpoint is CLOSED and can connect again afterwards.
func TestDisconnect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(r *rawPeer) (*Endpoint, uint16)
		wantRST bool
		wantErr error
	}{
		{"established", func(r *rawPeer) (*Endpoint, uint16) {
			c := r.established()
			c.e.Write(bg, []byte("unsent and unacknowledged"))
			r.recv()
			return c.e, c.lport
		}, true, syscall.ECONNRESET},
		{"close-wait", func(r *rawPeer) (*Endpoint, uint16) {
			c := r.established()
			c.seg(flagACK|flagFIN, nil)
			r.recv()
			return c.e, c.lport
		}, true, syscall.ECONNRESET},
		{"syn-sent", func(r *rawPeer) (*Endpoint, uint16) {
			e := r.p.NewEndpoint()
			e.SetNonblocking(true)
			e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
			syn := r.expect("SYN")
			return e, syn.srcPort
		}, false, syscall.ECONNRESET},
		{"last-ack-fin-sent", func(r *rawPeer) (*Endpoint, uint16) {
			c := r.established()
			c.seg(flagACK|flagFIN, nil)
			c.e.Shutdown(ShutWr)
			r.recv()
			return c.e, c.lport
		}, false, nil},
		{"time-wait", func(r *rawPeer) (*Endpoint, uint16) {
			c := r.established()
			c.e.Shutdown(ShutWr)
			fin := r.expect("FIN")
			r.send(c.lport, outSegment{seq: c.seq, ack: fin.seq + 1, flags: flagACK | flagFIN, wnd: 100}, nil)
			r.recv()
			if s := c.e.State(); s != StateTimeWait {
				t.Fatalf("state %v, want TIME-WAIT", s)
			}
			return c.e, c.lport
		}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, Options{})
			e, lport := tc.setup(r)
			if err := e.Disconnect(); err != nil {
				t.Fatalf("Disconnect = %v", err)
			}
			segs := r.recv()
			gotRST := len(segs) == 1 && segs[0].flags&flagRST != 0 && segs[0].srcPort == lport
			if gotRST != tc.wantRST || (!tc.wantRST && len(segs) != 0) {
				t.Errorf("sent %+v, want a RST: %v", segs, tc.wantRST)
			}
			if s := e.State(); s != StateClosed {
				t.Errorf("state %v, want CLOSED", s)
			}
			if _, err := e.RemoteAddr(); err != syscall.ENOTCONN {
				t.Errorf("RemoteAddr = %v, want ENOTCONN", err)
			}
			if err := e.Error(); err != tc.wantErr {
				t.Errorf("SO_ERROR = %v, want %v", err, tc.wantErr)
			}
			if r.p.ConnCount() != 0 {
				t.Errorf("%d connections still in the table", r.p.ConnCount())
			}
			if used, _, _ := r.p.Memory(); used != 0 {
				t.Errorf("%d bytes of buffers still charged", used)
			}
			// The endpoint is reusable: a new attempt sends a SYN.
			if err := e.Connect(context.Background(), tcpip.FullAddr{Addr: r.addr, Port: r.port}); err != syscall.EINPROGRESS {
				t.Fatalf("Connect after Disconnect = %v, want EINPROGRESS", err)
			}
			if syn := r.expect("SYN of the new attempt"); syn.flags != flagSYN {
				t.Errorf("new attempt sent %+v", syn)
			}
		})
	}
}

// TestDisconnectPorts: as Linux, a port the application bound stays
// bound across a disconnect, and a port chosen for it is given back; a
// listener stops listening and keeps its bound port.
func TestDisconnectPorts(t *testing.T) {
	r := newRawPeer(t, Options{})
	bound := r.p.NewEndpoint()
	bound.SetReuseAddr(false)
	if err := bound.Bind(tcpip.FullAddr{Port: 4000}); err != nil {
		t.Fatal(err)
	}
	bound.SetNonblocking(true)
	bound.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
	r.recv()
	auto := r.p.NewEndpoint()
	auto.SetNonblocking(true)
	auto.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
	r.recv()
	bound.Disconnect()
	auto.Disconnect()
	if a, _ := bound.LocalAddr(); a.Port != 4000 {
		t.Errorf("bound endpoint's address after Disconnect %v, want port 4000", a)
	}
	if err := r.p.NewEndpoint().Bind(tcpip.FullAddr{Port: 4000}); err != syscall.EADDRINUSE {
		t.Errorf("Bind of the port kept by the disconnected endpoint = %v, want EADDRINUSE", err)
	}
	if a, _ := auto.LocalAddr(); a != (tcpip.FullAddr{}) {
		t.Errorf("auto-bound endpoint's address after Disconnect %v, want none", a)
	}

	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(4)
	if err := l.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if l.State() != StateClosed {
		t.Errorf("listener state %v after Disconnect", l.State())
	}
	r.send(80, outSegment{seq: 1, flags: flagSYN, wndScale: -1}, nil)
	if rst := r.expect("reply to a SYN"); rst.flags&flagRST == 0 {
		t.Errorf("SYN to the stopped listener answered %+v, want RST", rst)
	}
	if err := l.Listen(4); err != nil {
		t.Fatalf("Listen again = %v", err)
	}
	if a, _ := l.LocalAddr(); a.Port != 80 {
		t.Errorf("listener address %v, want port 80", a)
	}
}
