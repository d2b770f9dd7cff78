package qemu

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestNc64MiB: 64 MiB from the host into the guest's `nc -l`, then back
// out with `nc` to a host listener, checked byte for byte.
func TestNc64MiB(t *testing.T) {
	p := freePorts(t, 2)
	data := randomBytes(bulkSize, 2)
	back := hashListener(t, p[1])
	s, _ := bootShell(t, "e1000", fmt.Sprintf("tcp::%d-:5000", p[0]))
	typeLine(t, s, "nc -l -v 5000 > /tmp/in < /dev/null &", `listening on`, netTimeout)
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p[0]), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(bulkTimeout))
	if _, err := c.Write(data); err != nil {
		t.Fatalf("sending 64 MiB into the guest: %v\n%s", err, s.Transcript())
	}
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c) // the guest's nc closes when it has it all
	c.Close()
	typeLine(t, s, "wait; ls -l /tmp/in", strconv.Itoa(bulkSize), netTimeout)
	typeLine(t, s, fmt.Sprintf("nc 10.0.2.2 %d < /tmp/in", p[1]), `\$ `, bulkTimeout)
	got := back(s)
	if want := fmt.Sprintf("%x", sha256.Sum256(data)); got[0] != want {
		t.Fatalf("%s bytes came back from the guest, differing from the 64 MiB sent", got[1])
	}
}
