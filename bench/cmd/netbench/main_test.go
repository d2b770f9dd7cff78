package main

import (
	"testing"
	"time"
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
