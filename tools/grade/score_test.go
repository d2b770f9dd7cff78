package main

import (
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	full := "$ nettest -port 25099 -ns 10.0.2.2 grade\r\ntxone: sending one packet\r\nrxone: received one packet from 10.0.2.2:5555\r\nrxone: OK\r\n" +
		"ping0: starting\r\nping0: OK\r\nping1: starting\r\nping1: OK\r\nping2: starting\r\nping2: OK\r\n" +
		"ping3: starting\r\nping3: OK\r\ndns: starting\r\nDNS arecord for pdos.csail.mit.edu. is 128.52.129.126\r\ndns: OK\r\nfree: OK\r\n"
	peer := "txone: OK\nrxone: sending one UDP packet\n"
	for _, tc := range []struct {
		name        string
		guest, peer string
		score       int
		fails       []string
	}{
		{"full", full, peer, 100, nil},
		{"no txone", full, "txone: received incorrect payload \"x\"\n", 90, []string{"txone:"}},
		{"ping3 overflow", strings.Replace(full, "ping3: OK", "ping3: too many packets (129) were queued on a UDP port", 1), peer, 80, []string{"ping3:"}},
		{"free lost", strings.Replace(full, "free: OK", "free: FAILED -- lost too many free pages 10 (out of 100)", 1), peer, 90, []string{"free:"}},
		{"mid-line is not a pass", strings.Replace(full, "\r\ndns: OK", " dns: OK", 1), peer, 80, []string{"dns:"}},
		{"nothing", "", "", 0, []string{"txone:", "rxone:", "ping0:", "ping1:", "ping2:", "ping3:", "dns:", "free:"}},
	} {
		score, max, lines := Score(tc.guest, tc.peer)
		if max != 100 || score != tc.score {
			t.Errorf("%s: score %d/%d, want %d/100", tc.name, score, max, tc.score)
		}
		var fails []string
		for _, l := range lines {
			if strings.Contains(l, "FAIL") {
				fails = append(fails, strings.Fields(l)[0])
			}
		}
		if strings.Join(fails, " ") != strings.Join(tc.fails, " ") {
			t.Errorf("%s: failed %v, want %v\n%s", tc.name, fails, tc.fails, strings.Join(lines, "\n"))
		}
	}
}
