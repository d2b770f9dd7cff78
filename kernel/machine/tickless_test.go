package machine

import "testing"

func TestOneShotCount(t *testing.T) {
	const now = 1_000_000_000
	ms := int64(1_000_000)
	tests := []struct {
		name      string
		deadlines []int64 // of blocked threads; 0 = none
		runnable  int64   // deadline left on a runnable thread: ignored
		want      uint16
		wantOK    bool
	}{
		{"no deadline: the PIT's maximum", []int64{0, 0}, 0, pitMaxCount, true},
		{"far deadline: the maximum", []int64{now + 3600_000*ms}, 0, pitMaxCount, true},
		{"just over the maximum", []int64{now + pitMaxNS}, 0, pitMaxCount, true},
		{"10 ms", []int64{now + 10*ms}, 0, 11933, true},
		{"nearest of several", []int64{now + 40*ms, 0, now + 10*ms, now + 20*ms}, 0, 11933, true},
		{"runnable thread's stale deadline", []int64{now + 10*ms}, now + 3*ms, 11933, true},
		{"too close: keep the tick", []int64{now + ms}, 0, 0, false},
		{"past: keep the tick", []int64{now - ms}, 0, 0, false},
		{"at the threshold", []int64{now + minOneShot}, 0, 2388, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ram := fakeMachine(t, 16*pageSize)
			defer keep(ram)
			threads[1].state = tRunnable
			threads[1].deadline = tt.runnable
			for k, d := range tt.deadlines {
				threads[2+k] = thread{state: tBlocked, wait: waitSleep, deadline: d}
			}
			hiThread = 2 + len(tt.deadlines)
			got, ok := oneShotCount(now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("oneShotCount = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
			if ok && tt.want < pitMaxCount {
				// Never before the deadline on the PIT's clock.
				var nearest int64
				for _, d := range tt.deadlines {
					if d != 0 && (nearest == 0 || d < nearest) {
						nearest = d
					}
				}
				if fire := int64(got) * 1_000_000_000 / pitHz; now+fire < nearest {
					t.Errorf("fires at +%d ns, before the deadline at +%d ns", fire, nearest-now)
				}
			}
		})
	}
}
