package proc

import (
	"sync/atomic"
	"syscall"
	"time"

	"scone/kernel/mem"
)

// Rusage is what Scone accounts of Linux's struct rusage.
type Rusage struct {
	Utime, Stime time.Duration
	MaxRSS       int64 // KiB, the largest resident set
}

func (r *Rusage) add(o Rusage) {
	r.Utime += o.Utime
	r.Stime += o.Stime
	r.MaxRSS = max(r.MaxRSS, o.MaxRSS)
}

// getrusage's who.
const (
	RusageSelf     = 0
	RusageChildren = -1
	RusageThread   = 1
)

// cpuTime is a thread's CPU time.  User time is the time in ring 3: Run
// returns at every trap and timer tick, so that is the CPU the thread
// used.  System time counts the kernel's handling of its page faults and
// exceptions; system calls are left out, since without per-goroutine CPU
// accounting a call that blocks cannot be told from one that works.
type cpuTime struct{ user, sys atomic.Int64 }

func (c *cpuTime) usage() Rusage {
	return Rusage{Utime: time.Duration(c.user.Load()), Stime: time.Duration(c.sys.Load())}
}

// cpuTotal is every user thread's CPU time together, for /proc/stat.
var cpuTotal cpuTime

// addCPU adds n nanoseconds to d and to the total.
func addCPU(d, total *atomic.Int64, n int64) {
	d.Add(n)
	total.Add(n)
}

// CPUTotal is the CPU time of every user thread since boot, ring 3 and
// kernel as getrusage counts them.
func CPUTotal() Rusage { return cpuTotal.usage() }

func rssKiB(as *mem.AddressSpace) int64 { return int64(as.MaxRSS()) * mem.PageSize / 1024 }

// Rusage returns the resource usage getrusage(who) reports.
func (t *Thread) Rusage(who int) (Rusage, error) {
	p := t.proc
	switch who {
	case RusageThread:
		r := t.cpu.usage()
		r.MaxRSS = max(p.maxRSS(), rssKiB(p.mem))
		return r, nil
	case RusageSelf:
		table.mu.Lock()
		defer table.mu.Unlock()
		return p.selfLocked(), nil
	case RusageChildren:
		table.mu.Lock()
		defer table.mu.Unlock()
		return p.cusage, nil
	}
	return Rusage{}, syscall.EINVAL
}

// Usage returns p's own resource usage and its reaped children's, for
// times(2) and /proc/PID/stat.
func (p *Process) Usage() (self, children Rusage) {
	table.mu.Lock()
	defer table.mu.Unlock()
	return p.selfLocked(), p.cusage
}

// maxRSS is the largest resident set of the address spaces p left at
// exec.
func (p *Process) maxRSS() int64 {
	table.mu.Lock()
	defer table.mu.Unlock()
	return p.dead.MaxRSS
}

// selfLocked is p's own usage: its exited threads, its live ones and its
// memory.  table.mu is held.
func (p *Process) selfLocked() Rusage {
	r := p.dead
	for t := range p.threads {
		r.add(t.cpu.usage())
	}
	if !p.zombie {
		r.MaxRSS = max(r.MaxRSS, rssKiB(p.mem))
	}
	return r
}
