package start

import (
	"math"
	"path"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"syscall"
	"time"

	"scone/kernel/file"
	"scone/kernel/file/devfs"
	"scone/kernel/file/procfs"
	"scone/kernel/fs"
	"scone/kernel/knet"
	"scone/kernel/machine"
	"scone/kernel/mem"
	"scone/kernel/proc"
	"scone/kernel/tty"
)

// procInfo answers /proc from the process table and the machine.
type procInfo struct {
	console *tty.TTY
	ns      *file.Namespace
}

func (pi procInfo) Mounts() []file.MountPoint { return pi.ns.Mounts() }

func (procInfo) CPU() procfs.CPU {
	u := proc.CPUTotal()
	return procfs.CPU{User: u.Utime, System: u.Stime, Boot: boot}
}

func (procInfo) PIDs() []int { return proc.Procs() }

func (pi procInfo) Process(pid int) (procfs.Process, bool) {
	p := proc.Lookup(pid)
	if p == nil {
		return procfs.Process{}, false
	}
	zombie, threads := p.Status()
	pgid, sid := p.Groups()
	out := procfs.Process{PID: pid, PPID: p.Parent(), PGID: pgid, SID: sid, State: 'S', Threads: threads,
		Comm: comm(p.Exe()), Exe: p.Exe(), Cmdline: p.Args(), TPGID: -1}
	if zombie {
		out.State = 'Z'
	} else if p.Stopped() {
		out.State = 'T'
	}
	if m := p.Mem(); m != nil && !zombie {
		out.RSS = uint64(m.Pages())
	}
	self, _ := p.Usage()
	out.UTicks, out.STicks = uint64(self.Utime/(10*time.Millisecond)), uint64(self.Stime/(10*time.Millisecond))
	if p.FS != nil {
		out.Umask = p.FS.UmaskBits()
	}
	if pi.console != nil && pi.console.Session() == sid && sid != 0 {
		out.TTY, out.TPGID = devfs.Console, pi.console.Foreground()
	}
	return out, true
}

// comm is Linux's task name: the executable's base name, at most 15 bytes.
func comm(exe string) string {
	c := path.Base(exe)
	if len(c) > 15 {
		c = c[:15]
	}
	return c
}

// Memory is /proc/meminfo's figures.  As Linux's MemAvailable counts the
// page cache it could drop, Scone's counts what the kernel could give
// back without harm: free frames, the evictable blocks of the root's
// buffer cache, and kernel heap the Go runtime holds free but has not
// yet returned to the machine.
func (procInfo) Memory() procfs.Memory {
	m := machine.Memory()
	kb := m.PageSize / 1024
	out := procfs.Memory{TotalKB: m.TotalPages * kb, FreeKB: m.FreePages * kb, ShmemKB: uint64(mem.SharedPages()) * kb}
	var cachedKB, evictableKB uint64
	if root != nil {
		st := root.Stats()
		cachedKB, evictableKB = st.CacheBlocks*fs.BlockSize/1024, st.CacheEvictable*fs.BlockSize/1024
	}
	out.CachedKB = cachedKB
	out.AvailableKB = out.FreeKB + evictableKB + heapFreeKB()
	return out
}

// heapFreeKB is the kernel heap's free, unreleased spans.
func heapFreeKB() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64() / 1024
}

// DropCaches is /proc/sys/vm/drop_caches: 1 empties the root's buffer
// cache of what it can evict, 2 collects the kernel heap's garbage (the
// closest thing to Linux's reclaimable slab), and both give the heap's
// free memory back to the frame allocator, so that MemFree rises by what
// was dropped, as on Linux.
func (procInfo) DropCaches(what int) {
	if what&1 != 0 && root != nil {
		root.DropCache()
	}
	if what&3 != 0 {
		debug.FreeOSMemory()
	}
}

func (procInfo) Uptime() time.Duration { return time.Since(boot) }

// GC is /proc/gc: the kernel collector's count and pauses. MemStats keeps
// the last 256 pauses in a ring whose newest is at (NumGC+255)%256.
func (procInfo) GC() procfs.GCStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	kept := min(m.NumGC, uint32(len(m.PauseNs)))
	recent := make([]time.Duration, 0, kept)
	for i := m.NumGC - kept; i < m.NumGC; i++ {
		recent = append(recent, time.Duration(m.PauseNs[i%uint32(len(m.PauseNs))]))
	}
	h := []metrics.Sample{{Name: "/sched/pauses/stopping/gc:seconds"}, {Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(h)
	return procfs.GCStats{Collections: uint64(m.NumGC), PauseTotal: time.Duration(m.PauseTotalNs), Recent: recent,
		Stopping: buckets(h[0]), Whole: buckets(h[1])}
}

// buckets are a histogram of seconds' non-empty buckets.
func buckets(s metrics.Sample) []procfs.Bucket {
	if s.Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	h := s.Value.Float64Histogram()
	var out []procfs.Bucket
	for i, n := range h.Counts {
		if n == 0 {
			continue
		}
		up := time.Duration(-1)
		if hi := h.Buckets[i+1]; !math.IsInf(hi, 1) {
			up = time.Duration(math.Ceil(hi * 1e9))
		}
		out = append(out, procfs.Bucket{Upper: up, Count: n})
	}
	return out
}

// NetFiles lists /proc/net from the kernel's network (none without one).
func (procInfo) NetFiles() []procfs.NetFile {
	n := knet.Get()
	if n == nil {
		return nil
	}
	var fs []procfs.NetFile
	for _, f := range n.Host.ProcNetFiles() {
		fs = append(fs, procfs.NetFile{Name: f.Name, Write: f.Write})
	}
	return fs
}

// FDs lists a process's descriptors for /proc/PID/fd.
func (procInfo) FDs(pid int) ([]procfs.FD, bool) {
	p := proc.Lookup(pid)
	if p == nil || p.Files == nil {
		return nil, false
	}
	var out []procfs.FD
	for _, fd := range p.Files.Fds() {
		d, err := p.Files.Get(fd)
		if err != nil {
			continue // closed since Fds
		}
		out = append(out, procfs.FD{Num: fd, Access: d.Flags() & file.O_ACCMODE})
		d.DecRef()
	}
	return out, true
}

// FDPath is the target of /proc/PID/fd/N, as the caller sees it (Linux
// walks to the reader's root too).
func (procInfo) FDPath(caller, pid, fd int) (string, error) {
	p, c := proc.Lookup(pid), proc.Lookup(caller)
	if p == nil || p.Files == nil || c == nil || c.FS == nil {
		return "", syscall.ENOENT
	}
	d, err := p.Files.Get(fd)
	if err != nil {
		return "", err
	}
	defer d.DecRef()
	return c.FS.PathOf(d)
}
