// Program bad is kcheck's test subject: nosplit functions that break the
// kernel-context rules, each in one way, beside ones that keep them.
package main

type node struct{ next *node }

var (
	global *node
	sink   []int
	total  uintptr
	ready  = make(chan int, 1)
)

// allocates returns a heap object: runtime.newobject.
//
//go:nosplit
//go:noinline
func allocates() *node { return &node{} }

// appends grows a slice: runtime.growslice.
//
//go:nosplit
//go:noinline
func appends(s []int) []int { return append(s, 1) }

// storesPointer writes a pointer into a global: a write barrier.
//
//go:nosplit
//go:noinline
func storesPointer(n *node) { global = n }

// sends sends on a channel, which takes the channel's lock
// (runtime.lock2) and may park the goroutine (runtime.gopark).
//
//go:nosplit
//go:noinline
func sends(v int) { ready <- v }

// callsSplittable calls an ordinary function, whose prologue may grow the
// stack: runtime.morestack, one call away.
//
//go:nosplit
//go:noinline
func callsSplittable() { total += splittable(3) }

//go:noinline
func splittable(n uintptr) uintptr {
	var buf [256]uintptr
	for i := range buf {
		buf[i] = n * uintptr(i)
	}
	return buf[n%256]
}

// arith keeps the rules.
//
//go:nosplit
//go:noinline
func arith(a, b uintptr) uintptr { return a + 2*b }

// chain keeps the rules through a call to another nosplit function, and a
// bounds check whose panic path is not followed.
//
//go:nosplit
//go:noinline
func chain(a []uintptr, i int) uintptr { return arith(a[i], 1) }

// asmCallsSplittable is in main_amd64.s: an assembly root.
func asmCallsSplittable()

func main() {
	global = allocates()
	sink = appends(sink)
	storesPointer(global)
	sends(1)
	callsSplittable()
	total += chain([]uintptr{1, 2}, 1)
	asmCallsSplittable()
	println(total, len(sink))
}
