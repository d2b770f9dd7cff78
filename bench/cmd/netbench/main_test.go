package main

import (
	"testing"
	"time"

	"scone/bench/internal/workload"
)

// TestWorkloads runs every workload briefly on every stack: it checks the
// harness and the adapters (the figures are not asserted), including that
// the frames really crossed the cable.
func TestWorkloads(t *testing.T) {
	for _, s := range stacks {
		for _, m := range measurements {
			t.Run(s.Name+"/"+m.name, func(t *testing.T) {
				p, err := s.NewPair()
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				r, err := m.run(p, 20*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				if sent, _ := p.Frames(); r.Ops <= 0 || sent == 0 {
					t.Errorf("result %+v with %d frames on the cable: no progress measured", r, sent)
				}
			})
		}
	}
}

// TestMedianSpread checks the table's summary of the reps.
func TestMedianSpread(t *testing.T) {
	for _, tc := range []struct {
		vals        []float64
		med, spread float64
	}{
		{[]float64{100}, 100, 0},
		{[]float64{90, 100, 110}, 100, 10},
		{[]float64{80, 120}, 100, 20},
		{[]float64{0, 0}, 0, 0},
	} {
		var rs []workload.Result
		for _, v := range tc.vals {
			rs = append(rs, workload.Result{Ops: v})
		}
		med, spread := median(rs, func(r workload.Result) float64 { return r.Ops })
		if med != tc.med || spread != tc.spread {
			t.Errorf("median(%v) = %v ±%v%%, want %v ±%v%%", tc.vals, med, spread, tc.med, tc.spread)
		}
	}
}
