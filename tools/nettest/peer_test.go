package nettest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestGrade plays the guest's part on loopback: txone, rxone's datagram
// arriving on the "forwarded" port, then echoes.
func TestGrade(t *testing.T) {
	guest, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer guest.Close()
	out := new(lockedBuilder)
	p, err := Listen(Ports{Server: 0, Fwd2: guest.LocalAddr().(*net.UDPAddr).Port}, out)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Grade(ctx) }()

	guest.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := guest.WriteToUDP([]byte("txone"), p.Addr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, _, err := guest.ReadFromUDP(buf)
	if err != nil || string(buf[:n]) != "rxone" {
		t.Fatalf("rxone: %q %v", buf[:n], err)
	}
	for _, m := range []string{"ping0", "p 1", "p a!"} {
		guest.WriteToUDP([]byte(m), p.Addr())
		n, from, err := guest.ReadFromUDP(buf)
		if err != nil || string(buf[:n]) != m || from.Port != p.Addr().Port {
			t.Fatalf("echo of %q: %q from %v, %v", m, buf[:n], from, err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Grade: %v", err)
	}
	if got := out.String(); got != "txone: OK\nrxone: sending one UDP packet\n" {
		t.Errorf("output %q", got)
	}
}

func TestTxOneWrongPayload(t *testing.T) {
	out := new(lockedBuilder)
	p, err := Listen(Ports{}, out)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, _ := net.DialUDP("udp4", nil, p.Addr())
	defer c.Close()
	c.Write([]byte("nope"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.TxOne(ctx); err == nil || !strings.Contains(out.String(), `txone: received incorrect payload "nope"`) {
		t.Errorf("%v, %q", err, out.String())
	}
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := p.TxOne(ctx); err == nil || !strings.Contains(out.String(), "txone: FAIL -- no packet") {
		t.Errorf("silence: %v, %q", err, out.String())
	}
}

func TestDefaultPorts(t *testing.T) {
	p := DefaultPorts()
	if p.Fwd1-p.Server != 900 || p.Fwd2-p.Server != 5900 || p.Server < 25099 || p.Server >= 30099 {
		t.Errorf("%+v", p)
	}
}
