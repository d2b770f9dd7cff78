package scone

import (
	"testing"
	"time"

	"scone/bench/internal/workload"
)

// TestWorkloads runs every workload briefly on a pair of our stacks: it
// checks the harness and this adapter, not the stack's speed.
func TestWorkloads(t *testing.T) {
	tests := []struct {
		name string
		run  func(workload.Pair, time.Duration) (workload.Result, error)
	}{
		{"bulk", workload.Bulk},
		{"rr", workload.RoundTrips},
		{"conn", workload.Connections},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPair()
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			r, err := tt.run(p, 20*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if sent, _ := p.Frames(); r.Ops <= 0 || sent == 0 {
				t.Errorf("result %+v with %d frames on the cable: no progress measured", r, sent)
			}
		})
	}
}
