package proc

import (
	"context"
	"errors"
	"syscall"

	"sync"

	"scone/kernel/mem"
)

// Futexes: wait queues keyed by (address space, user address), or, for a
// word in MAP_SHARED anonymous memory, by (shared object, offset), so
// that processes sharing it wait and wake on one queue (Linux's shared
// futex key).  That key serves FUTEX_PRIVATE_FLAG calls too: at worst a
// wake reaches a waiter Linux would leave asleep, which futex allows.
// Waiters and wakers both hold futexes.mu, and a waiter compares the word
// and queues itself under it, so a wake that follows a store can never
// slip between the compare and the sleep.

type futexKey struct {
	obj  any // *mem.AddressSpace, or the shared object
	addr uintptr
}

func keyOf(as *mem.AddressSpace, addr uintptr) futexKey {
	obj, off := as.FutexKey(addr)
	return futexKey{obj, off}
}

type futexWaiter struct {
	key    futexKey
	bitset uint32
	woken  chan struct{}
}

var futexes = struct {
	mu sync.Mutex
	q  map[futexKey][]*futexWaiter
}{q: make(map[futexKey][]*futexWaiter)}

// FutexWait sleeps while the 32-bit word at addr holds val, until a wake
// whose bitset meets bitset, or ctx ends: EAGAIN if the word differs,
// EINTR for a signal, ETIMEDOUT past ctx's deadline.
func FutexWait(ctx context.Context, as *mem.AddressSpace, addr uintptr, val, bitset uint32) error {
	if addr%4 != 0 {
		return syscall.EINVAL
	}
	if bitset == 0 {
		return syscall.EINVAL
	}
	var b [4]byte
	w := &futexWaiter{key: keyOf(as, addr), bitset: bitset, woken: make(chan struct{})}
	futexes.mu.Lock()
	if err := as.CopyIn(b[:], addr); err != nil {
		futexes.mu.Unlock()
		return err
	}
	if le.Uint32(b[:]) != val {
		futexes.mu.Unlock()
		return syscall.EAGAIN
	}
	futexes.q[w.key] = append(futexes.q[w.key], w)
	futexes.mu.Unlock()
	select {
	case <-w.woken:
		return nil
	case <-ctx.Done():
	}
	futexes.mu.Lock()
	defer futexes.mu.Unlock()
	select {
	case <-w.woken: // woken as we gave up: the wake counts
		return nil
	default:
	}
	removeWaiter(w)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return syscall.ETIMEDOUT
	}
	return syscall.EINTR
}

// removeWaiter unqueues w.  futexes.mu is held.
func removeWaiter(w *futexWaiter) {
	q := futexes.q[w.key]
	for i, x := range q {
		if x == w {
			q = append(q[:i], q[i+1:]...)
			break
		}
	}
	if len(q) == 0 {
		delete(futexes.q, w.key)
	} else {
		futexes.q[w.key] = q
	}
}

// FutexWake wakes up to n waiters on addr whose bitset meets bitset and
// returns how many it woke.
func FutexWake(as *mem.AddressSpace, addr uintptr, n int, bitset uint32) int {
	futexes.mu.Lock()
	defer futexes.mu.Unlock()
	return wakeLocked(keyOf(as, addr), n, bitset)
}

func wakeLocked(k futexKey, n int, bitset uint32) int {
	woke := 0
	q := futexes.q[k]
	kept := q[:0]
	for _, w := range q {
		if woke < n && w.bitset&bitset != 0 {
			close(w.woken)
			woke++
			continue
		}
		kept = append(kept, w)
	}
	if len(kept) == 0 {
		delete(futexes.q, k)
	} else {
		futexes.q[k] = kept
	}
	return woke
}

// FutexRequeue wakes up to n waiters on addr and moves up to n2 of the
// rest to addr2 (FUTEX_REQUEUE; with cmp, FUTEX_CMP_REQUEUE: EAGAIN unless
// the word at addr holds *cmp).  It returns the woken plus the moved.
func FutexRequeue(as *mem.AddressSpace, addr uintptr, n int, addr2 uintptr, n2 int, cmp *uint32) (int, error) {
	futexes.mu.Lock()
	defer futexes.mu.Unlock()
	if cmp != nil {
		var b [4]byte
		if err := as.CopyIn(b[:], addr); err != nil {
			return 0, err
		}
		if le.Uint32(b[:]) != *cmp {
			return 0, syscall.EAGAIN
		}
	}
	k, k2 := keyOf(as, addr), keyOf(as, addr2)
	woke := wakeLocked(k, n, ^uint32(0))
	moved := 0
	for len(futexes.q[k]) > 0 && moved < n2 {
		w := futexes.q[k][0]
		removeWaiter(w)
		w.key = k2
		futexes.q[k2] = append(futexes.q[k2], w)
		moved++
	}
	return woke + moved, nil
}

// FutexWakeOp is FUTEX_WAKE_OP: it changes the word at addr2 by the
// operation encoded in op (Linux's FUTEX_OP: an operation, a comparison
// and two 12-bit signed arguments), wakes up to n waiters on addr, and,
// if the old value of the word at addr2 passes the comparison, up to n2
// waiters on addr2. It returns how many it woke in all. The word is
// read, changed and written back under futexes.mu, so against other
// futex calls the change is atomic; a plain store by another thread of
// the process running between the read and the write (Scone has no
// atomic operation on user memory yet) would be lost.
func FutexWakeOp(as *mem.AddressSpace, addr uintptr, n int, addr2 uintptr, n2 int, op uint32) (int, error) {
	if addr%4 != 0 || addr2%4 != 0 {
		return 0, syscall.EINVAL
	}
	kind, cmp := op>>28&7, op>>24&15
	oparg, cmparg := signExtend12(op>>12), signExtend12(op)
	if op>>28&8 != 0 { // FUTEX_OP_OPARG_SHIFT: the argument is 1 << oparg
		oparg = 1 << (uint32(oparg) & 31)
	}
	futexes.mu.Lock()
	defer futexes.mu.Unlock()
	var b [4]byte
	if err := as.CopyIn(b[:], addr2); err != nil {
		return 0, err
	}
	old := int32(le.Uint32(b[:]))
	var v int32
	switch kind {
	case 0: // FUTEX_OP_SET
		v = oparg
	case 1: // FUTEX_OP_ADD
		v = old + oparg
	case 2: // FUTEX_OP_OR
		v = old | oparg
	case 3: // FUTEX_OP_ANDN
		v = old &^ oparg
	case 4: // FUTEX_OP_XOR
		v = old ^ oparg
	default:
		return 0, syscall.ENOSYS
	}
	var pass bool
	switch cmp {
	case 0:
		pass = old == cmparg
	case 1:
		pass = old != cmparg
	case 2:
		pass = old < cmparg
	case 3:
		pass = old <= cmparg
	case 4:
		pass = old > cmparg
	case 5:
		pass = old >= cmparg
	default:
		return 0, syscall.ENOSYS
	}
	le.PutUint32(b[:], uint32(v))
	if err := as.CopyOut(addr2, b[:]); err != nil {
		return 0, err
	}
	woke := wakeLocked(keyOf(as, addr), n, ^uint32(0))
	if pass {
		woke += wakeLocked(keyOf(as, addr2), n2, ^uint32(0))
	}
	return woke, nil
}

// signExtend12 is the low 12 bits of v as a signed number.
func signExtend12(v uint32) int32 { return int32(v<<20) >> 20 }

// FutexWaiters is how many threads wait on addr (for tests).
func FutexWaiters(as *mem.AddressSpace, addr uintptr) int {
	futexes.mu.Lock()
	defer futexes.mu.Unlock()
	return len(futexes.q[keyOf(as, addr)])
}
