package main

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"scone/user/internal/testnet"
)

func TestFormat(t *testing.T) {
	tm := time.Date(1982, time.February, 22, 17, 37, 43, 0, time.FixedZone("PST", -8*3600))
	if got := string(daytime(tm)); got != "Monday, February 22, 1982 17:37:43-PST\r\n" {
		t.Errorf("got %q", got)
	}
}

// freeAddr finds a loopback port free for both TCP and UDP.
func freeAddr(t *testing.T) string {
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		pc, err := net.ListenPacket("udp", addr)
		if err == nil {
			pc.Close()
			return addr
		}
	}
	t.Fatal("no port free for both TCP and UDP")
	return ""
}

func TestServeAndAsk(t *testing.T) {
	addr := freeAddr(t)
	logw := new(testnet.Buffer)
	go serve(addr, logw)
	// The server is up once a TCP connection is taken.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			io.ReadAll(c)
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for name, ask := range map[string]func(string, time.Duration) (string, error){"tcp": askTCP, "udp": askUDP} {
		s, err := ask(addr, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := time.Parse(layout+"\r\n", s)
		if err != nil {
			t.Fatalf("%s: reply %q does not parse: %v", name, s, err)
		}
		if d := time.Since(got); d < -2*time.Second || d > time.Minute {
			t.Errorf("%s: reply %q is %v off", name, s, d)
		}
	}
	// The server logs each request after its reply, so wait for the lines.
	if log, ok := logw.Wait(10*time.Second, "daytime: tcp 127.0.0.1:", "daytime: udp 127.0.0.1:"); !ok {
		t.Errorf("log: %q", log)
	}
}

func TestAskErrors(t *testing.T) {
	// A TCP server that closes without a word, one that talks too much,
	// and a UDP port that never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var talk = make(chan []byte, 2)
	talk <- nil
	talk <- []byte(strings.Repeat("x", 4096))
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write(<-talk)
			c.Close()
		}
	}()
	if _, err := askTCP(l.Addr().String(), 5*time.Second); err == nil || !strings.Contains(err.Error(), "without sending") {
		t.Errorf("silent server: %v", err)
	}
	if _, err := askTCP(l.Addr().String(), 5*time.Second); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("chatty server: %v", err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := askUDP(pc.LocalAddr().String(), 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), "no reply") {
		t.Errorf("deaf UDP server: %v", err)
	}
}
