package procfs

import (
	"fmt"
	"time"

	"scone/kernel/file"
)

// MountProvider is a Provider that can list the mounts, for
// /proc/mounts (df and mount read it).
type MountProvider interface {
	Mounts() []file.MountPoint
}

// CPUProvider is a Provider that accounts CPU time, for /proc/stat (top
// reads it).
type CPUProvider interface {
	CPU() CPU
}

// CPU is the system's CPU time since boot, as /proc/stat's cpu line
// shows it.
type CPU struct {
	User, System time.Duration // every user thread's, as getrusage counts
	Boot         time.Time
}

const (
	inoMounts = 10
	inoStat   = 11
)

// Mounts is /proc/mounts: source, mount point, type, options and the two
// zeros of fstab's dump and pass fields, a line per mount.
func Mounts(ms []file.MountPoint) []byte {
	var b []byte
	for _, m := range ms {
		opt := "rw"
		if m.Info.ReadOnly {
			opt = "ro"
		}
		b = fmt.Appendf(b, "%s %s %s %s 0 0\n", m.Info.Source, m.Path, m.Info.Type, opt)
	}
	return b
}

// SystemStat is /proc/stat's lines for one CPU: the total and cpu0 lines in
// ticks (user nice system idle iowait irq softirq steal guest
// guest_nice) and btime. Idle is the uptime neither
// user threads nor their system calls took, so the kernel's own work
// (the network, the disk) counts as idle.
func SystemStat(c CPU, up time.Duration) []byte {
	tick := time.Second / Ticks
	user, sys := uint64(c.User/tick), uint64(c.System/tick)
	idle := uint64(0)
	if busy := c.User + c.System; up > busy {
		idle = uint64((up - busy) / tick)
	}
	var b []byte
	for _, name := range []string{"cpu ", "cpu0"} {
		b = fmt.Appendf(b, "%s %d 0 %d %d 0 0 0 0 0 0\n", name, user, sys, idle)
	}
	return fmt.Appendf(b, "btime %d\n", c.Boot.Unix())
}
