package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// A job is one started pipeline: its processes share the process group
// pgid (under job control).  A goroutine waits for them all and closes
// done; status is then the last command's.
type job struct {
	id    int
	pgid  int
	text  string
	procs []*os.Process
	pids  []int
	// starts holds each command's status if it failed to start, else -1.
	starts []int
	status int
	done   chan struct{}
	told   bool // "Done" has been reported
}

func (j *job) add(p *os.Process, status int) {
	j.procs = append(j.procs, p)
	if p != nil {
		j.pids = append(j.pids, p.Pid)
		status = -1
	} else {
		j.pids = append(j.pids, 0)
	}
	j.starts = append(j.starts, status)
}

// wait waits for every process and sets the job's status from the last
// command, then closes done.
func (j *job) wait() {
	status := 0
	for i, p := range j.procs {
		st := j.starts[i]
		if p != nil {
			ps, err := p.Wait()
			st = 1
			if err == nil {
				st = exitStatus(ps.Sys().(syscall.WaitStatus))
				if i == len(j.procs)-1 {
					j.signal(ps.Sys().(syscall.WaitStatus))
				}
			}
		}
		status = st
	}
	j.status = status
	close(j.done)
}

// signal reports a last command killed by a signal other than SIGINT or
// SIGPIPE, as shells do.
func (j *job) signal(ws syscall.WaitStatus) {
	if ws.Signaled() && ws.Signal() != syscall.SIGINT && ws.Signal() != syscall.SIGPIPE {
		fmt.Fprintf(os.Stderr, "%s\n", unix.SignalName(ws.Signal()))
	}
}

// A jobTable holds the background jobs until they are reported done.
type jobTable struct {
	mu   sync.Mutex
	jobs map[int]*job
}

// add numbers j and, if it runs in the background, keeps it in the table.
func (t *jobTable) add(j *job, bg bool) {
	if !bg {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.jobs == nil {
		t.jobs = map[int]*job{}
	}
	j.id = 1
	for t.jobs[j.id] != nil {
		j.id++
	}
	t.jobs[j.id] = j
}

// list returns the jobs in order of their numbers.
func (t *jobTable) list() []*job {
	t.mu.Lock()
	defer t.mu.Unlock()
	var js []*job
	for _, j := range t.jobs {
		js = append(js, j)
	}
	sort.Slice(js, func(a, b int) bool { return js[a].id < js[b].id })
	return js
}

func (t *jobTable) remove(j *job) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.jobs, j.id)
}

func finished(j *job) bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// report prints and forgets the background jobs that have finished, as an
// interactive shell does before each prompt.
func (sh *shell) report() {
	for _, j := range sh.jobs.list() {
		if finished(j) {
			fmt.Fprintf(os.Stderr, "[%d]+ Done(%d)\t%s\n", j.id, j.status, j.text)
			sh.jobs.remove(j)
		}
	}
}

// waitFg waits for a foreground job, then takes the terminal back.
func (sh *shell) waitFg(j *job) int {
	<-j.done
	if sh.jobControl {
		sh.setForeground(sh.pgid)
	}
	return j.status
}

// setForeground makes pgid the terminal's foreground process group.  A
// background process that calls TIOCSPGRP gets SIGTTOU unless it blocks
// or ignores it; the shell blocks it on this thread for the call, rather
// than ignoring it, because an ignored signal stays ignored in children.
func (sh *shell) setForeground(pgid int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	bit := uint(unix.SIGTTOU - 1)
	set.Val[bit/64] |= 1 << (bit % 64)
	unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old)
	unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, pgid)
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
}
