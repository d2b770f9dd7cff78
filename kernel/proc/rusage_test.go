package proc

import (
	"context"
	"testing"
	"time"

	"scone/kernel/mem"
)

// A child's CPU time and peak resident set reach wait4 and its parent's
// RUSAGE_CHILDREN once reaped, and not before; RUSAGE_SELF and
// RUSAGE_THREAD see a process's own.
func TestRusage(t *testing.T) {
	parent, child := newTestThread(t), newTestThread(t)
	table.mu.Lock()
	child.proc.parent = parent.proc
	parent.proc.children[child.proc] = true
	table.mu.Unlock()

	va, err := child.proc.mem.Mmap(0, 3*mem.PageSize, mem.ProtRead|mem.ProtWrite, mem.MapPrivate|mem.MapAnonymous, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := child.proc.mem.CopyOut(va, make([]byte, 3*mem.PageSize)); err != nil {
		t.Fatal(err)
	}
	child.cpu.user.Add(int64(3 * time.Second))
	child.cpu.sys.Add(int64(time.Second))
	want := Rusage{Utime: 3 * time.Second, Stime: time.Second, MaxRSS: 12}
	for _, who := range []int{RusageSelf, RusageThread} {
		if r, err := child.Rusage(who); err != nil || r != want {
			t.Errorf("child getrusage(%d) = %+v, %v; want %+v", who, r, err, want)
		}
	}
	if _, err := child.Rusage(7); err == nil {
		t.Error("getrusage(7) did not fail")
	}
	if r, _ := parent.Rusage(RusageChildren); r != (Rusage{}) {
		t.Errorf("RUSAGE_CHILDREN before the reap: %+v", r)
	}
	child.die()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := parent.proc.Wait(ctx, -1, WEXITED)
	if err != nil || w.PID != child.proc.PID || w.Rusage != want {
		t.Errorf("wait: %+v, %v; want rusage %+v", w, err, want)
	}
	if r, _ := parent.Rusage(RusageChildren); r != want {
		t.Errorf("RUSAGE_CHILDREN after the reap: %+v, want %+v", r, want)
	}
	if r, _ := parent.Rusage(RusageSelf); r.Utime != 0 || r.Stime != 0 {
		t.Errorf("parent's own usage took the child's: %+v", r)
	}
}
