package start

import (
	"path"
	"time"

	"scone/kernel/file/devfs"
	"scone/kernel/file/procfs"
	"scone/kernel/knet"
	"scone/kernel/machine"
	"scone/kernel/proc"
	"scone/kernel/tty"
)

// procInfo answers /proc from the process table and the machine.
type procInfo struct{ console *tty.TTY }

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

func (procInfo) Memory() procfs.Memory {
	m := machine.Memory()
	kb := m.PageSize / 1024
	return procfs.Memory{TotalKB: m.TotalPages * kb, FreeKB: m.FreePages * kb, AvailableKB: m.FreePages * kb}
}

func (procInfo) Uptime() time.Duration { return time.Since(boot) }

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
