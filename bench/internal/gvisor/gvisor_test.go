package gvisor

import (
	"testing"
	"time"

	"scone/bench/internal/workload"
)

// TestWorkloads runs every workload briefly on a gVisor pair: it checks the
// harness and this adapter, not gVisor's speed.
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
			if r.Ops <= 0 || r.Elapsed <= 0 {
				t.Errorf("result %+v: no progress measured", r)
			}
		})
	}
}
