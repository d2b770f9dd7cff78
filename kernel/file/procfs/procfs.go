// Package procfs is /proc: self, PID/stat, PID/status, PID/cmdline,
// PID/comm, PID/exe, PID/fd, meminfo, uptime, mounts and stat in Linux's
// formats (ps, free, df and top parse them), over a Provider the process
// layer fills, net/ (dev, route,
// arp, tcp, udp, snmp) from the network's writers when the Provider is a
// NetProvider, Scone's own gc (the kernel collector's pauses) when it
// is a GCProvider, and sys/vm/drop_caches when it is a CacheDropper.
package procfs

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"syscall"
	"time"

	"scone/kernel/file"
)

// Provider is what /proc asks the process layer.
type Provider interface {
	PIDs() []int
	Process(pid int) (Process, bool)
	Memory() Memory
	Uptime() time.Duration
}

// NetProvider is what /proc/net asks of the network. A Provider that
// also implements it gets a net directory; NetFiles is called at each
// lookup, so files appear when the network comes up.
type NetProvider interface {
	NetFiles() []NetFile
}

// NetFile is one file of /proc/net: its name and what writes it.
type NetFile struct {
	Name  string
	Write func(io.Writer) error
}

// Process is one process as /proc reports it.
type Process struct {
	PID, PPID, PGID, SID int
	State                byte   // R, S, Z (Linux's letters)
	Comm                 string // the executable's base name (up to 15 bytes)
	Exe                  string // the executable's path
	Cmdline              []string
	Threads              int
	VSize                uint64 // bytes of address space
	RSS                  uint64 // resident pages
	StartTicks           uint64 // start time in clock ticks (100 Hz) after boot
	UTicks, STicks       uint64 // CPU time in ticks
	TTY                  uint64 // the controlling terminal's device number, 0 for none
	TPGID                int    // its foreground group, -1 for none
	Umask                uint32
}

// Memory is the system's memory in KiB, as meminfo shows it.
type Memory struct {
	TotalKB, FreeKB, AvailableKB, BuffersKB, CachedKB uint64
	ShmemKB                                           uint64 // MAP_SHARED anonymous memory
}

// Ticks is USER_HZ: /proc's clock ticks per second.
const Ticks = 100

// inode numbers: the root 1, top-level files 2.., a process's directory
// pid<<8 and its files pid<<8 | n.
const (
	inoRoot    = 1
	inoSelf    = 2
	inoMeminfo = 3
	inoUptime  = 4
	inoNet     = 5
	inoGC      = 6
	inoNetFile = 16 // + the file's index
)

// New returns the tree to mount on /proc.
func New(p Provider) *file.TreeFS {
	text := func(ino uint64, gen func() ([]byte, error)) *file.TreeNode {
		return &file.TreeNode{Ino: ino, Mode: file.S_IFREG | 0o444, Open: file.TextFile(ino, gen)}
	}
	meminfo := text(inoMeminfo, func() ([]byte, error) { return Meminfo(p.Memory()), nil })
	uptime := text(inoUptime, func() ([]byte, error) { return Uptime(p.Uptime()), nil })
	self := &file.TreeNode{Ino: inoSelf, Mode: file.S_IFLNK | 0o777, Target: func(pid int) (string, error) {
		if pid <= 0 {
			return "", syscall.ENOENT
		}
		return strconv.Itoa(pid), nil
	}}
	root := &file.TreeNode{Ino: inoRoot, Mode: file.S_IFDIR | 0o555}
	root.Entries = func() []file.TreeEntry {
		es := []file.TreeEntry{{Name: "meminfo", Node: meminfo}, {Name: "self", Node: self}, {Name: "uptime", Node: uptime}}
		if mp, ok := p.(MountProvider); ok {
			es = append(es, file.TreeEntry{Name: "mounts", Node: text(inoMounts, func() ([]byte, error) { return Mounts(mp.Mounts()), nil })})
		}
		if cp, ok := p.(CPUProvider); ok {
			es = append(es, file.TreeEntry{Name: "stat", Node: text(inoStat, func() ([]byte, error) {
				return SystemStat(cp.CPU(), p.Uptime()), nil
			})})
		}
		if gp, ok := p.(GCProvider); ok {
			es = append(es, file.TreeEntry{Name: "gc", Node: text(inoGC, func() ([]byte, error) { return GC(gp.GC()), nil })})
		}
		if np, ok := p.(NetProvider); ok {
			es = append(es, file.TreeEntry{Name: "net", Node: netDir(np)})
		}
		if d, ok := p.(CacheDropper); ok {
			es = append(es, file.TreeEntry{Name: "sys", Node: sysDir(d)})
		}
		pids := p.PIDs()
		slices.Sort(pids)
		for _, pid := range pids {
			es = append(es, file.TreeEntry{Name: strconv.Itoa(pid), Node: pidDir(p, pid)})
		}
		return es
	}
	t := file.NewTreeFS(root)
	t.About = file.FSInfo{Source: "proc", Type: "proc", Magic: 0x9fa0} // PROC_SUPER_MAGIC
	return t
}

// netDir is /proc/net: one text file per NetFile, written when opened.
func netDir(np NetProvider) *file.TreeNode {
	return &file.TreeNode{Ino: inoNet, Mode: file.S_IFDIR | 0o555, Entries: func() []file.TreeEntry {
		var es []file.TreeEntry
		for i, f := range np.NetFiles() {
			ino := uint64(inoNetFile + i)
			es = append(es, file.TreeEntry{Name: f.Name, Node: &file.TreeNode{Ino: ino, Mode: file.S_IFREG | 0o444,
				Open: file.TextFile(ino, func() ([]byte, error) {
					var b bytes.Buffer
					err := f.Write(&b)
					return b.Bytes(), err
				})}})
		}
		return es
	}}
}

// pidDir is /proc/PID. Its files look the process up when opened, so an
// open of a process that has gone is ESRCH, as on Linux.
func pidDir(p Provider, pid int) *file.TreeNode {
	base := uint64(pid) << 8
	gen := func(f func(Process) []byte) func() ([]byte, error) {
		return func() ([]byte, error) {
			pr, ok := p.Process(pid)
			if !ok {
				return nil, syscall.ESRCH
			}
			return f(pr), nil
		}
	}
	files := []file.TreeEntry{
		{Name: "cmdline", Node: &file.TreeNode{Ino: base | 1, Mode: file.S_IFREG | 0o444, Open: file.TextFile(base|1, gen(Cmdline))}},
		{Name: "exe", Node: &file.TreeNode{Ino: base | 5, Mode: file.S_IFLNK | 0o777, Target: func(int) (string, error) {
			pr, ok := p.Process(pid)
			if !ok {
				return "", syscall.ESRCH
			}
			if pr.Exe == "" || pr.State == 'Z' {
				return "", syscall.ENOENT
			}
			return pr.Exe, nil
		}}},
		{Name: "comm", Node: &file.TreeNode{Ino: base | 2, Mode: file.S_IFREG | 0o644, Open: file.TextFile(base|2, gen(func(pr Process) []byte { return []byte(pr.Comm + "\n") }))}},
		{Name: "stat", Node: &file.TreeNode{Ino: base | 3, Mode: file.S_IFREG | 0o444, Open: file.TextFile(base|3, gen(Stat))}},
		{Name: "status", Node: &file.TreeNode{Ino: base | 4, Mode: file.S_IFREG | 0o444, Open: file.TextFile(base|4, gen(Status))}},
	}
	if fp, ok := p.(FDProvider); ok {
		files = append(files, file.TreeEntry{Name: "fd", Node: fdDir(fp, pid)})
	}
	return &file.TreeNode{Ino: base, Mode: file.S_IFDIR | 0o555, Entries: func() []file.TreeEntry { return files }}
}

// Cmdline is /proc/PID/cmdline: the arguments, each ended by a NUL (empty
// for a zombie).
func Cmdline(p Process) []byte {
	var b []byte
	if p.State == 'Z' {
		return b
	}
	for _, a := range p.Cmdline {
		b = append(append(b, a...), 0)
	}
	return b
}

// Stat is /proc/PID/stat: the 52 fields of Linux's proc_pid_stat, with 0
// for what Scone does not track (faults, priorities, addresses).
func Stat(p Process) []byte {
	return fmt.Appendf(nil, "%d (%s) %c %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d\n",
		p.PID, p.Comm, p.State, p.PPID, p.PGID, p.SID, p.TTY, p.TPGID,
		0,          // flags
		0, 0, 0, 0, // minflt cminflt majflt cmajflt
		p.UTicks, p.STicks, 0, 0, // utime stime cutime cstime
		20, 0, p.Threads, 0, // priority nice num_threads itrealvalue
		p.StartTicks, p.VSize, p.RSS, uint64(1<<64-1), // starttime vsize rss rsslim
		0, 0, 0, 0, 0, // startcode endcode startstack kstkesp kstkeip
		0, 0, 0, 0, // signal blocked sigignore sigcatch (obsolete, as Linux says)
		0, 0, 0, // wchan nswap cnswap
		17, 0, 0, 0, // exit_signal processor rt_priority policy
		0, 0, 0, // delayacct_blkio_ticks guest_time cguest_time
		0, 0, 0, 0, 0, 0, 0, // start_data end_data start_brk arg_start arg_end env_start env_end
		0) // exit_code
}

// stateNames are the words Linux prints after the state letter.
var stateNames = map[byte]string{'R': "running", 'S': "sleeping", 'D': "disk sleep", 'T': "stopped", 'Z': "zombie"}

// Status is /proc/PID/status, the fields ps, top and people read, in
// Linux's order and layout.
func Status(p Process) []byte {
	kb := p.VSize / 1024
	rss := p.RSS * 4
	return fmt.Appendf(nil, "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n"+
		"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n"+
		"VmPeak:\t%8d kB\nVmSize:\t%8d kB\nVmRSS:\t%8d kB\nThreads:\t%d\n",
		p.Comm, p.Umask, p.State, stateNames[p.State], p.PID, p.PID, p.PPID,
		p.PID, p.PID, p.PGID, p.SID, kb, kb, rss, p.Threads)
}

// Meminfo is /proc/meminfo's first lines, the ones free reads, in
// Linux's "%-16s%8d kB" layout.
func Meminfo(m Memory) []byte {
	var b []byte
	for _, f := range []struct {
		name string
		kb   uint64
	}{
		{"MemTotal", m.TotalKB}, {"MemFree", m.FreeKB}, {"MemAvailable", m.AvailableKB},
		{"Buffers", m.BuffersKB}, {"Cached", m.CachedKB}, {"SwapCached", 0},
		{"SwapTotal", 0}, {"SwapFree", 0}, {"Shmem", m.ShmemKB}, {"SReclaimable", 0},
	} {
		b = fmt.Appendf(b, "%-16s%8d kB\n", f.name+":", f.kb)
	}
	return b
}

// Uptime is /proc/uptime: seconds since boot and idle seconds (not kept:
// 0), with two decimals.
func Uptime(up time.Duration) []byte {
	cs := up.Milliseconds() / 10
	return fmt.Appendf(nil, "%d.%02d 0.00\n", cs/100, cs%100)
}
