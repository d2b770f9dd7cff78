package clock

import (
	"testing"
	"time"
)

func TestFakeFiresInOrder(t *testing.T) {
	c := NewFake()
	var got []int
	c.AfterFunc(30*time.Millisecond, func() { got = append(got, 3) })
	c.AfterFunc(10*time.Millisecond, func() { got = append(got, 1) })
	c.AfterFunc(20*time.Millisecond, func() {
		got = append(got, 2)
		// A timer scheduled by a timer, due inside the window, fires too.
		c.AfterFunc(5*time.Millisecond, func() { got = append(got, 25) })
	})
	c.Advance(29 * time.Millisecond)
	want := []int{1, 2, 25}
	if len(got) != len(want) {
		t.Fatalf("after 29ms fired %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("after 29ms fired %v, want %v", got, want)
		}
	}
	c.Advance(time.Millisecond)
	if len(got) != 4 || got[3] != 3 {
		t.Fatalf("after 30ms fired %v", got)
	}
}

func TestFakeStopReset(t *testing.T) {
	c := NewFake()
	fired := 0
	tm := c.AfterFunc(10*time.Millisecond, func() { fired++ })
	if !tm.Stop() {
		t.Fatal("Stop of pending timer returned false")
	}
	if tm.Stop() {
		t.Fatal("second Stop returned true")
	}
	c.Advance(time.Second)
	if fired != 0 {
		t.Fatal("stopped timer fired")
	}
	if tm.Reset(5 * time.Millisecond) {
		t.Fatal("Reset of stopped timer reported pending")
	}
	if d, ok := c.Next(); !ok || d != 5*time.Millisecond {
		t.Fatalf("Next = %v, %v; want 5ms, true", d, ok)
	}
	c.Advance(5 * time.Millisecond)
	if fired != 1 {
		t.Fatalf("fired %d times, want 1", fired)
	}
	start := c.Now()
	c.Advance(time.Hour)
	if c.Now().Sub(start) != time.Hour {
		t.Fatalf("Now moved by %v, want 1h", c.Now().Sub(start))
	}
}
