// Package proc is processes and threads: a goroutine per user thread that
// runs it in ring 3 (machine.AddressSpace.Run) and handles what brings it
// back (system calls, faults, signals) in ordinary Go, as Biscuit does.
// The system calls themselves are kernel/sys's; this package gives them
// the thread, its process and its memory, and does clone, exec, exit,
// wait and signal delivery.
package proc

import (
	"sync"
	"syscall"

	"scone/kernel/file"
	"scone/kernel/mem"
)

// Cred is a process's credentials.  Everything runs as root for now.
type Cred struct {
	UID, EUID, SUID, GID, EGID, SGID uint32
}

// Process is a thread group: an address space, files, signal actions and
// the threads that share them.
type Process struct {
	PID   int
	Files *file.Table
	FS    *file.FSContext
	Cred  Cred

	mem     *mem.AddressSpace
	sig     *sigActions // shared under CLONE_SIGHAND
	pending sigSet      // signals sent to the process as a whole
	args    []string    // argv of the last execve, for /proc
	rlMu    sync.Mutex
	rlim    rlimits
	infoMu  sync.Mutex
	info    [nsig + 1]SigInfo // siginfo of each pending process signal
	exe     string
	alarm   realTimer // ITIMER_REAL

	// Guarded by table.mu.
	parent     *Process
	children   map[*Process]bool
	threads    map[*Thread]bool
	pgid, sid  int
	exiting    bool // exit_group or a fatal signal: every thread leaves
	zombie     bool
	status     int           // wait status once a zombie
	changed    chan struct{} // closed and replaced when a child changes state
	vforkDone  chan struct{} // closed when a vfork child execs or exits
	exitSig    int           // signal the parent gets at exit (SIGCHLD)
	stopped    bool          // by a stop signal, until SIGCONT
	stopSig    int           // the signal that stopped it
	stopReport bool          // a stop wait(WUNTRACED) has not reported yet
	contReport bool          // a continue wait(WCONTINUED) has not reported yet
	cont       chan struct{} // closed when a stop ends
	dead       Rusage        // exited threads' CPU time; old address spaces' peak
	cusage     Rusage        // of the children reaped (RUSAGE_CHILDREN)
}

// table is every live process and thread id.
var table = struct {
	mu    sync.Mutex
	procs map[int]*Process
	ids   map[int]bool // pids and tids in use
	next  int
	init  *Process
}{procs: make(map[int]*Process), ids: make(map[int]bool), next: 1}

// MaxProcs bounds the number of processes, so a fork bomb meets EAGAIN.
var MaxProcs = 1024

// allocID returns an unused pid/tid.  table.mu is held.
func allocID() int {
	for {
		id := table.next
		table.next++
		if table.next >= 1<<22 {
			table.next = 2
		}
		if !table.ids[id] {
			table.ids[id] = true
			return id
		}
	}
}

// Mem returns the process's address space.
func (p *Process) Mem() *mem.AddressSpace { return p.mem }

// Parent returns the parent's pid (0 for init).
func (p *Process) Parent() int {
	table.mu.Lock()
	defer table.mu.Unlock()
	if p.parent == nil {
		return 0
	}
	return p.parent.PID
}

// Args returns the argv the process last exec'd with.
func (p *Process) Args() []string { return p.args }

// Exe returns the path of the executable.
func (p *Process) Exe() string { return p.exe }

// Groups returns the process group and session.
func (p *Process) Groups() (pgid, sid int) {
	table.mu.Lock()
	defer table.mu.Unlock()
	return p.pgid, p.sid
}

// Lookup returns the live (or zombie) process pid.
func Lookup(pid int) *Process {
	table.mu.Lock()
	defer table.mu.Unlock()
	return table.procs[pid]
}

// Procs returns the pids of every process, for /proc and ps.
func Procs() []int {
	table.mu.Lock()
	defer table.mu.Unlock()
	var pids []int
	for pid := range table.procs {
		pids = append(pids, pid)
	}
	return pids
}

// notifyLocked wakes whoever waits on p's children.  table.mu is held.
func (p *Process) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// errAgain is the process limit.
var errAgain = syscall.EAGAIN
