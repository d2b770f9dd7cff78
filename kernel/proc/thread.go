package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"

	"scone/kernel/machine"
	"scone/kernel/mem"
)

// Thread is a user thread: its registers, signal mask and pending
// signals, and the goroutine that runs it.
type Thread struct {
	TID  int
	proc *Process
	Regs machine.UserRegs

	mu        sync.Mutex
	ctx       context.Context
	cancel    context.CancelFunc
	mask      sigSet
	pending   sigSet
	info      [nsig + 1]SigInfo // siginfo of each pending thread signal
	alt       altStack
	clearTID  uintptr // set_tid_address / CLONE_CHILD_CLEARTID
	exited    bool    // this thread called exit
	savedMask *sigSet // rt_sigsuspend's mask to restore after the handler
	cpu       cpuTime
	trip      *tripStat // where trips' time goes (machine.TripStats)
}

// Runner runs a thread in ring 3: machine.AddressSpace in the kernel.
type Runner interface {
	Run(regs *machine.UserRegs) (int, error)
}

// Syscall handles a system call of t (the kernel/sys dispatcher, which
// sets it in its init): it reads the number and arguments from t.Regs and
// leaves the result in RAX.
var Syscall func(t *Thread)

// Ctx returns a context that is cancelled when a signal is pending for
// the thread (or the process is exiting): a blocking call that sees it
// done returns EINTR, and the dispatcher restarts it if it may.
func (t *Thread) Ctx() context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ctx
}

// Mem returns the user memory of the thread's process.
func (t *Thread) Mem() *mem.AddressSpace { return t.proc.mem }

// Proc returns the thread's process.
func (t *Thread) Proc() *Process { return t.proc }

// newThread returns a thread of p with a fresh context.
func newThread(p *Process, tid int) *Thread {
	t := &Thread{TID: tid, proc: p}
	t.ctx, t.cancel = newContext()
	return t
}

func newContext() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// Kick makes every user thread in ring 3 come back to the kernel soon
// (machine.KickUser, set at boot; nil on the host).
var Kick func()

// interrupt cancels the thread's context if a signal is deliverable or
// the process is going: blocked calls return, and a thread in ring 3 is
// kicked out to take the signal.
func (t *Thread) interrupt() {
	t.mu.Lock()
	t.cancel()
	t.mu.Unlock()
	if Kick != nil {
		Kick()
	}
}

// freshContext gives the thread a new context once nothing is left to
// interrupt it for.
func (t *Thread) freshContext() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil && t.deliverableLocked() == 0 && !t.dyingLocked() {
		t.ctx, t.cancel = context.WithCancel(context.Background())
	}
}

func (t *Thread) dyingLocked() bool {
	table.mu.Lock()
	defer table.mu.Unlock()
	return t.proc.exiting || t.exited
}

// quiet reports whether the loop's checks before Run would all do
// nothing: the process is not stopped or exiting, the thread has not
// exited, no signal is deliverable, no rt_sigsuspend mask waits to be
// restored and the context is live.  Most trips are quiet, and this
// takes two locks where the checks take eight.
func (t *Thread) quiet() bool {
	table.mu.Lock()
	busy := t.proc.stopped || t.proc.exiting || t.exited
	table.mu.Unlock()
	if busy {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.savedMask == nil && t.ctx.Err() == nil && t.deliverableLocked() == 0
}

// start runs t's goroutine.
func (t *Thread) start() {
	go t.loop()
}

// loop is the life of a user thread: run it in ring 3 until it traps,
// handle the trap, deliver signals, repeat until it exits.
func (t *Thread) loop() {
	if machine.TripStats() {
		t.trip = new(tripStat)
	}
	kind, handled := -1, uint64(0)
	for {
		if !t.quiet() {
			t.waitWhileStopped()
			t.deliverSignals()
			if t.dying() {
				break
			}
			t.freshContext()
		}
		// Looked up each time: execve replaces the address space.
		runner, ok := t.proc.mem.PageTable().(Runner)
		if !ok {
			break
		}
		if t.trip != nil {
			if kind >= 0 {
				t.trip.loopDone(kind, handled)
			}
			t.trip.beforeRun()
		}
		gate.enter()
		why, err := runner.Run(&t.Regs)
		gate.leave()
		addCPU(&t.cpu.user, &cpuTotal.user, int64(t.Regs.Ring3))
		var returned uint64
		if t.trip != nil {
			returned = machine.TSC()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "proc: pid %d tid %d: %v\n", t.proc.PID, t.TID, err)
			t.proc.kill(int(syscall.SIGKILL))
			break
		}
		switch why {
		case machine.UserSyscall:
			Syscall(t)
		case machine.UserFault:
			start := machine.Nanotime()
			t.pageFault()
			addCPU(&t.cpu.sys, &cpuTotal.sys, machine.Nanotime()-start)
		case machine.UserException:
			start := machine.Nanotime()
			t.exception()
			addCPU(&t.cpu.sys, &cpuTotal.sys, machine.Nanotime()-start)
		case machine.UserInterrupt:
			runtime.Gosched()
		}
		kind = -1
		if t.trip != nil && (why == machine.UserSyscall || why == machine.UserFault) {
			kind = why - machine.UserSyscall
			handled = machine.TSC()
			t.trip.afterTrip(kind, &t.Regs.Stamps, returned, handled)
		}
	}
	if t.trip != nil {
		t.trip.report(t.proc.PID, t.TID)
	}
	t.die()
}

// dying reports whether the thread should leave.
func (t *Thread) dying() bool {
	table.mu.Lock()
	defer table.mu.Unlock()
	return t.proc.exiting || t.exited
}

// pageFault handles a fault from ring 3: demand paging, or a signal.
func (t *Thread) pageFault() {
	addr := uintptr(t.Regs.FaultAddr)
	write := t.Regs.Error&2 != 0
	var err error
	if t.Regs.Error&0x10 != 0 { // an instruction fetch
		err = t.proc.mem.FetchFault(addr)
	} else {
		err = t.proc.mem.Fault(addr, write)
	}
	switch {
	case err == nil:
	case errors.Is(err, mem.ErrNoMemory):
		fmt.Fprintf(os.Stderr, "proc: pid %d out of memory at %#x: killed\n", t.proc.PID, addr)
		t.proc.kill(int(syscall.SIGKILL))
	case errors.Is(err, mem.ErrAccess):
		t.Force(SigInfo{Signo: int32(syscall.SIGSEGV), Code: segvAccErr, Addr: uint64(addr)})
	default:
		t.Force(SigInfo{Signo: int32(syscall.SIGSEGV), Code: segvMapErr, Addr: uint64(addr)})
	}
}

// exception turns a CPU exception from ring 3 into its signal.
func (t *Thread) exception() {
	info := SigInfo{Addr: t.Regs.RIP}
	switch t.Regs.Vector {
	case 0: // #DE
		info.Signo, info.Code = int32(syscall.SIGFPE), fpeIntDiv
	case 16, 19: // x87, SIMD
		info.Signo, info.Code = int32(syscall.SIGFPE), 0
	case 1, 3: // #DB, #BP
		info.Signo, info.Code = int32(syscall.SIGTRAP), 0x80 // SI_KERNEL
	case 6: // #UD
		info.Signo, info.Code = int32(syscall.SIGILL), illIllOpn
	case 17: // #AC
		info.Signo, info.Code = int32(syscall.SIGBUS), 1
	default: // #GP and the rest
		info.Signo, info.Code, info.Addr = int32(syscall.SIGSEGV), 0x80, 0
	}
	t.Force(info)
}

// machineRegs returns the registers a new program starts with.
func machineRegs(entry, sp uint64) machine.UserRegs {
	return machine.UserRegs{RIP: entry, RSP: sp, RFLAGS: 0x202}
}
