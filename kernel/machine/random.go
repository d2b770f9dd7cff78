package machine

// Randomness for getrandom and AT_RANDOM.  RDRAND when the CPU has it;
// otherwise a xorshift64* generator seeded at boot from the TSC (whose low
// bits vary with the emulator's and firmware's timing) and the RTC, and
// re-stirred with the TSC on every call.  That is not cryptographic
// randomness, and the boot log says which source is in use.

import "syscall"

var (
	haveRDRAND bool
	rngState   uint64
)

//go:nosplit
func initRandom() {
	_, _, c, _ := cpuid(1, 0)
	haveRDRAND = c&(1<<30) != 0
	rngState = rdtsc() ^ uint64(wallOffset) ^ 0x9e3779b97f4a7c15
	if rngState == 0 {
		rngState = 1
	}
}

//go:nosplit
func random64() uint64 {
	if haveRDRAND {
		for i := 0; i < 10; i++ {
			if v, ok := rdrand(); ok {
				return v
			}
		}
	}
	x := rngState ^ rdtsc()<<17
	if x == 0 {
		x = 1
	}
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	rngState = x
	return x * 0x2545f4914f6cdd1d
}

//go:nosplit
func fillRandom(p, n uintptr) {
	for i := uintptr(0); i < n; i += 8 {
		v := random64()
		for j := uintptr(0); j < 8 && i+j < n; j++ {
			*(*byte)(ptr(p + i + j)) = byte(v >> (8 * j))
		}
	}
}

//go:nosplit
func sysGetrandom(buf, n uintptr) int64 {
	if n > 1<<25 {
		n = 1 << 25
	}
	if !touch(buf, n, true) {
		return -int64(syscall.EFAULT)
	}
	fillRandom(buf, n)
	return int64(n)
}
