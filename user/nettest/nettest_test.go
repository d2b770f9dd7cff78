package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"scone/user/internal/testnet"
)

// TestGradeOnLinux runs the whole grade sequence on the host, in a
// namespace of its own: tools/nettest's peer, dnsmasq with make grade's
// configuration on 127.0.0.1:53, and this program in the guest's role,
// talking to 127.0.0.1 instead of QEMU's 10.0.2.2. Linux bounds a UDP
// queue by bytes rather than by 16 datagrams, so ping3 shrinks the
// flooded sockets' SO_RCVBUF (-rcvbuf) to hold it to the lab's bound; the
// free test's count is not checked here (it needs Scone's memory). Run
// again without -rcvbuf, ping3 must fail on Linux.
func TestGradeOnLinux(t *testing.T) {
	testnet.Need(t, "dnsmasq")
	conf, err := filepath.Abs("../../tools/nettest/dnsmasq.conf")
	if err != nil {
		t.Fatal(err)
	}
	guest := testnet.Build(t, "scone/user/nettest")
	peer := testnet.Build(t, "scone/tools/nettest/cmd/nettest")
	const port = 25099
	script := fmt.Sprintf(`
dnsmasq -k -C %[4]s >dns.log 2>&1 &
dns=$!
%[1]s -port %[3]d -fwd2 2001 -t 60s grade &
peer=$!
for i in $(seq 100); do grep -q started dns.log && break; sleep 0.1; done
for i in $(seq 100); do ss -lun | grep -q ':%[3]d ' && break; sleep 0.1; done
%[2]s -server 127.0.0.1 -port %[3]d -ns 127.0.0.1 -rcvbuf 1 grade || echo "grade status $?"
echo ---
%[2]s -server 127.0.0.1 -port %[3]d ping3 || echo "ping3 status $?"
kill $dns $peer
wait
`, peer, guest, port, conf)
	t.Chdir(t.TempDir())
	out, err := testnet.Netns(t, 2*time.Minute, script)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"txone: sending one packet\n", "txone: OK\n",
		"rxone: sending one UDP packet\n", "rxone: OK\n",
		"ping0: starting\nping0: OK\n", "ping1: starting\nping1: OK\n", "ping2: starting\nping2: OK\n",
		"ping3: starting\nping3: OK\n",
		"dns: starting\nDNS arecord for pdos.csail.mit.edu. is 128.52.129.126\ndns: OK\n",
		"free: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// ping3 has teeth: Linux's default queue holds (nearly) all 129
	// replies; a loaded machine may deliver one after the count.
	m := regexp.MustCompile(`---\nping3: starting\nping3: too many packets \((\d+)\) were queued on a UDP port\nping3 status 1\n`).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("ping3 without -rcvbuf did not fail as it should on Linux:\n%s", out)
	} else if n, _ := strconv.Atoi(m[1]); n <= maxQueued {
		t.Errorf("ping3 counted %d, not more than %d", n, maxQueued)
	}
}

func TestSockstatField(t *testing.T) {
	const s = "sockets: used 3\nTCP: inuse 2 orphan 0 tw 1 alloc 3 mem 7\nUDP: inuse 1 mem 2\nFRAG: inuse 1 memory 5000\n"
	for _, tt := range []struct {
		proto, field string
		want         int
		ok           bool
	}{
		{"TCP:", "mem", 7, true}, {"UDP:", "mem", 2, true}, {"FRAG:", "memory", 5000, true},
		{"TCP:", "inuse", 2, true}, {"RAW:", "inuse", 0, false}, {"UDP:", "memory", 0, false},
	} {
		got, err := sockstatField(s, tt.proto, tt.field)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("sockstatField(%s %s) = %d, %v; want %d (ok %v)", tt.proto, tt.field, got, err, tt.want, tt.ok)
		}
	}
}
