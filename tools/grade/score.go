package main

import (
	"fmt"
	"regexp"
)

// A test is one graded line: where it appears and what it is worth.
type test struct {
	name   string
	points int
	byPeer bool // the host peer prints it (txone), not the guest
}

// tests are the lab's, in its order; 100 points in all.
var tests = []test{
	{"txone", 10, true},
	{"rxone", 10, false},
	{"ping0", 10, false},
	{"ping1", 10, false},
	{"ping2", 10, false},
	{"ping3", 20, false},
	{"dns", 20, false},
	{"free", 10, false},
}

// Score reads the guest's transcript and the peer's output and returns
// the score, the most possible, and one line per test.
func Score(guest, peer string) (score, max int, lines []string) {
	for _, t := range tests {
		max += t.points
		out := guest
		if t.byPeer {
			out = peer
		}
		// A test passes on its own "name: OK" line, at the start of a
		// line (the console may add \r).
		ok := regexp.MustCompile(`(?m)^` + t.name + `: OK\r?$`).MatchString(out)
		verdict := "FAIL"
		if ok {
			verdict = "OK"
			score += t.points
		}
		lines = append(lines, fmt.Sprintf("%-6s %-4s (%d/%d)", t.name+":", verdict, map[bool]int{true: t.points}[ok], t.points))
	}
	return score, max, lines
}
