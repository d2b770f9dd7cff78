package procnet

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseGC(t *testing.T) {
	g, err := ParseGC(strings.NewReader("collections 3\npause_total_ns 500\nrecent_pauses_ns 100 300 100\nfuture 1 2\n" +
		"stw_stopping_hist_ns 1024:5 2048:1\nstw_whole_hist_ns 262144:5 inf:1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Collections != 3 || g.PauseTotal != 500 || !slices.Equal(g.Recent, []time.Duration{100, 300, 100}) {
		t.Errorf("got %+v", g)
	}
	if !slices.Equal(g.Stopping, []Bucket{{1024, 5}, {2048, 1}}) || !slices.Equal(g.Whole, []Bucket{{262144, 5}, {-1, 1}}) {
		t.Errorf("histograms %v %v", g.Stopping, g.Whole)
	}
	if Max(g.Stopping) != 2048 || Max(g.Whole) != -1 || Max(nil) != 0 {
		t.Errorf("Max: %v %v %v", Max(g.Stopping), Max(g.Whole), Max(nil))
	}
	for n, want := range map[int]time.Duration{0: 0, 1: 100, 2: 300, 3: 300, 300: 300} {
		if got := g.Longest(n); got != want {
			t.Errorf("Longest(%d) = %v, want %v", n, got, want)
		}
	}
	for _, bad := range []string{
		"",                                    // nothing
		"collections 3\n",                     // no total
		"collections x\npause_total_ns 1\n",   // not a number
		"collections 1 2\npause_total_ns 1\n", // two values
		"collections 1\npause_total_ns 1\nrecent_pauses_ns 1 -2\n",
		"collections 1\npause_total_ns 1\nstw_whole_hist_ns 100\n",
		"collections 1\npause_total_ns 1\nstw_whole_hist_ns x:1\n",
		"collections 1\npause_total_ns 1\nstw_whole_hist_ns 100:-1\n",
	} {
		if _, err := ParseGC(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseGC(%q) took it", bad)
		}
	}
}
