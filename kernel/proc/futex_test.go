package proc

import (
	"context"
	"testing"
	"time"

	"scone/kernel/mem"
)

// TestFutexSharedAnon: a word in MAP_SHARED anonymous memory is one futex
// in parent and child, so the child's wake reaches the parent's waiter;
// in private memory each process has its own.
func TestFutexSharedAnon(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags int
		woken int
	}{
		{"shared", mem.MapShared | mem.MapAnonymous, 1},
		{"private", mem.MapPrivate | mem.MapAnonymous, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := mem.New(mem.NewFake())
			va, err := parent.Mmap(0, 2*mem.PageSize, mem.ProtRead|mem.ProtWrite, c.flags, nil, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			child, err := parent.Fork(mem.NewFake())
			if err != nil {
				t.Fatal(err)
			}
			defer parent.Release()
			defer child.Release()
			addr := va + mem.PageSize + 8
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- FutexWait(ctx, parent, addr, 0, ^uint32(0)) }()
			for i := 0; FutexWaiters(parent, addr) == 0; i++ {
				if i > 5000 {
					t.Fatal("the waiter never queued")
				}
				time.Sleep(time.Millisecond)
			}
			if n := FutexWake(child, addr, 1, ^uint32(0)); n != c.woken {
				t.Fatalf("the child's wake woke %d, want %d", n, c.woken)
			}
			if c.woken == 0 {
				FutexWake(parent, addr, 1, ^uint32(0))
			}
			if err := <-done; err != nil {
				t.Errorf("wait: %v", err)
			}
		})
	}
}
