package sys

import (
	"time"

	"scone/kernel/proc"
)

// sysGetrusage is getrusage(who, usage): RUSAGE_SELF, RUSAGE_CHILDREN
// (the reaped ones) or RUSAGE_THREAD.
func sysGetrusage(t *proc.Thread, a Args) (uintptr, error) {
	r, err := t.Rusage(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	return 0, t.Mem().CopyOut(a[1], encodeRusage(r))
}

// encodeRusage writes Linux's struct rusage (144 bytes): ru_utime and
// ru_stime as timevals, then ru_maxrss; the counters Scone does not keep
// stay zero.
func encodeRusage(r proc.Rusage) []byte {
	b := make([]byte, 144)
	tv := func(off int, d time.Duration) {
		le.PutUint64(b[off:], uint64(d/time.Second))
		le.PutUint64(b[off+8:], uint64(d%time.Second/time.Microsecond))
	}
	tv(0, r.Utime)
	tv(16, r.Stime)
	le.PutUint64(b[32:], uint64(r.MaxRSS))
	return b
}
