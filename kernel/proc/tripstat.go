package proc

import (
	"fmt"
	"os"

	"scone/kernel/machine"
)

// tripStat sums where the time of a thread's trips from ring 3 into the
// kernel and back went, by the machine layer's stamps and the loop's own
// (the kernel command-line word "tripstat"); printed when the thread ends.
type tripStat struct {
	lastRun uint64 // TSC just before the current Run
	n       [2]uint64
	sum     [2][nseg]uint64 // by kind: system call, page fault
}

// The segments of one trip, in order.
const (
	segEnterRun = iota // Run's wrapper and entersyscall, to trap
	segRunTrap         // trap: sysRunUser, the switch to ring 3
	segRing3           // exit stub, user code, entry stub (CR3, FXSAVE)
	segTrap            // trap: leaveUser and the switch back
	segBack            // exit stub, exitsyscall, Run's return
	segHandle          // the system call's or fault's handler
	segLoop            // signals, contexts, slots: back to Run
	nseg
)

var segNames = [nseg]string{"enter-run", "run-trap", "ring3+stubs", "trap", "back-to-go", "handle", "loop"}

// beforeRun notes the time just before Run.
func (s *tripStat) beforeRun() { s.lastRun = machine.TSC() }

// afterTrip adds one trip that came back for kind (0 system call, 1 fault):
// returned is the TSC as Run returned, handled after the handler.
func (s *tripStat) afterTrip(kind int, st *[4]uint64, returned, handled uint64) {
	if st[machine.StampRunIn] == 0 || s.lastRun == 0 {
		return
	}
	seg := &s.sum[kind]
	seg[segEnterRun] += st[machine.StampRunIn] - s.lastRun
	seg[segRunTrap] += st[machine.StampRunOut] - st[machine.StampRunIn]
	seg[segRing3] += st[machine.StampTrapIn] - st[machine.StampRunOut]
	seg[segTrap] += st[machine.StampTrapOut] - st[machine.StampTrapIn]
	seg[segBack] += returned - st[machine.StampTrapOut]
	seg[segHandle] += handled - returned
	s.n[kind]++
}

// loopDone adds the loop's part once the next Run is about to start.
func (s *tripStat) loopDone(kind int, handled uint64) {
	s.sum[kind][segLoop] += machine.TSC() - handled
}

// report prints the mean of each segment in nanoseconds.
func (s *tripStat) report(pid, tid int) {
	hz := machine.TSCHz()
	for kind, name := range [2]string{"syscall", "fault"} {
		n := s.n[kind]
		if n == 0 || hz == 0 {
			continue
		}
		line := fmt.Sprintf("tripstat pid %d tid %d %s n=%d ns:", pid, tid, name, n)
		var total uint64
		for i, v := range s.sum[kind] {
			ns := v * 1_000_000_000 / hz / n
			total += ns
			line += fmt.Sprintf(" %s=%d", segNames[i], ns)
		}
		fmt.Fprintf(os.Stderr, "%s total=%d\n", line, total)
	}
}
