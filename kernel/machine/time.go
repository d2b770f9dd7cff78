package machine

// Time: the TSC, calibrated against the PIT at boot, is the clock; the PIT
// interrupts 1000 times a second to end sleeps and time slices (except
// while idle: see tickless.go); the CMOS real-time clock gives the
// wall-clock time once, at boot.

import (
	"math/bits"
	"syscall"
)

const (
	pitHz      = 1193182
	tickHz     = 1000
	pitDivisor = (pitHz + tickHz/2) / tickHz

	calibrateCount = pitHz / 200 // 5 ms on PIT channel 2
)

var (
	tscStart   uint64
	tscHz      uint64
	nsMult     uint64 // ns = (tsc delta * nsMult) >> 32
	wallOffset int64  // unix ns at monotonic 0
)

// initClock calibrates the TSC, programs the PIT and reads the RTC.
//
//go:nosplit
func initClock() {
	// The median of three calibrations: a single one can be thrown off by
	// the host descheduling the emulator at the wrong moment.
	a, b, c := calibrateTSC(), calibrateTSC(), calibrateTSC()
	tscHz = max(min(a, b), min(max(a, b), c))
	if tscHz < 1_000_000 {
		tscHz = 1_000_000_000 // no usable PIT: assume 1 GHz rather than divide by ~0
	}
	nsMult = (1_000_000_000 << 32) / tscHz
	tscStart = rdtsc()

	periodicTick() // channel 0 (tickless.go stops it while idle)

	wallOffset = readRTC()*1_000_000_000 - nanotime()
}

// calibrateTSC counts TSC ticks against PIT channel 2 counting down from
// 0xffff for about calibrateCount PIT ticks.  Both ends read the PIT's
// counter between two TSC reads, so the measured interval does not depend
// on how soon a polling loop notices the count.
//
//go:nosplit
func calibrateTSC() uint64 {
	Out8(0x61, In8(0x61)&^0x02|0x01) // gate on, speaker off
	Out8(0x43, 0xb0)                 // channel 2, lo/hi, mode 0
	Out8(0x42, 0xff)
	Out8(0x42, 0xff)
	c0, t0 := readPIT2()
	c1, t1 := c0, t0
	for i := 0; i < 1<<24 && c0-c1 < calibrateCount; i++ {
		c1, t1 = readPIT2()
		if c1 > c0 { // wrapped: cannot happen within 55 ms unless stuck
			return 0
		}
	}
	if c0 == c1 {
		return 0
	}
	return (t1 - t0) * pitHz / uint64(c0-c1)
}

// readPIT2 latches and reads channel 2's count, with the TSC at that moment
// (the midpoint of two reads around the port accesses).
//
//go:nosplit
func readPIT2() (count uint16, tsc uint64) {
	a := rdtsc()
	Out8(0x43, 0x80) // latch channel 2
	lo := In8(0x42)
	hi := In8(0x42)
	b := rdtsc()
	return uint16(hi)<<8 | uint16(lo), a + (b-a)/2
}

// nanotime is monotonic time since boot.
//
//go:nosplit
func nanotime() int64 {
	hi, lo := bits.Mul64(rdtsc()-tscStart, nsMult)
	return int64(hi<<32 | lo>>32)
}

//go:nosplit
func cmos(reg uint8) uint8 {
	Out8(0x70, reg)
	return In8(0x71)
}

// readRTC returns the CMOS clock as Unix seconds (the RTC keeps UTC in QEMU).
//
//go:nosplit
func readRTC() int64 {
	for i := 0; i < 1_000_000 && cmos(0x0a)&0x80 != 0; i++ { // update in progress
	}
	sec, min, hour := int64(cmos(0x00)), int64(cmos(0x02)), int64(cmos(0x04))
	day, mon, year := int64(cmos(0x07)), int64(cmos(0x08)), int64(cmos(0x09))
	status := cmos(0x0b)
	if status&0x04 == 0 { // BCD
		sec, min, day, mon, year = bcd(sec), bcd(min), bcd(day), bcd(mon), bcd(year)
		hour = bcd(hour&0x7f) | hour&0x80
	}
	if status&0x02 == 0 && hour&0x80 != 0 { // 12-hour clock, PM
		hour = (hour&0x7f)%12 + 12
	}
	return daysFromCivil(2000+year, mon, day)*86400 + hour*3600 + min*60 + sec
}

//go:nosplit
func bcd(v int64) int64 { return v>>4*10 + v&0xf }

// daysFromCivil returns the days from 1970-01-01 to the given date
// (proleptic Gregorian), by counting in 400-year eras that start in March.
//
//go:nosplit
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// timerTick runs on IRQ 0: it ends expired waits and time slices.
//
//go:nosplit
func timerTick() {
	now := nanotime()
	wakeExpired(now)
	if cur != 0 && now-sliceStart >= timeSlice {
		resched = true
	}
}

// Clock ids.
const (
	clockRealtime       = 0
	clockRealtimeCoarse = 5
	clockTAI            = 11
)

//go:nosplit
func sysClockGettime(id int64, ts uintptr) int64 {
	if id < 0 || id > clockTAI {
		return -int64(syscall.EINVAL)
	}
	if !touch(ts, 16, true) {
		return -int64(syscall.EFAULT)
	}
	now := nanotime()
	if id == clockRealtime || id == clockRealtimeCoarse || id == clockTAI {
		now += wallOffset
	}
	writeTimespec(ts, now)
	return 0
}

//go:nosplit
func writeTimespec(ts uintptr, ns int64) {
	*(*int64)(ptr(ts)) = ns / 1_000_000_000
	*(*int64)(ptr(ts + 8)) = ns % 1_000_000_000
}

// readTimespec reads a relative timeout; ok is false for a bad pointer or
// value.
//
//go:nosplit
func readTimespec(ts uintptr) (ns int64, ok bool) {
	if !touch(ts, 16, false) {
		return 0, false
	}
	sec := *(*int64)(ptr(ts))
	nsec := *(*int64)(ptr(ts + 8))
	if sec < 0 || nsec < 0 || nsec >= 1_000_000_000 {
		return 0, false
	}
	if sec > 1<<32 {
		sec = 1 << 32 // over a century: as good as forever
	}
	return sec*1_000_000_000 + nsec, true
}

//go:nosplit
func sysNanosleep(t *thread, req uintptr) int64 {
	ns, ok := readTimespec(req)
	if !ok {
		return -int64(syscall.EINVAL)
	}
	if ns == 0 {
		resched = true
		return 0
	}
	block(t, waitSleep, 0, nanotime()+ns)
	return blocked
}
