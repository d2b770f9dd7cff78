package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ps lists processes from /proc: PID, parent, state, CPU time and the
// command line ([name] for a process without one).
func ps(args []string) int {
	if _, _, err := flags(args, "efA", ""); err != nil {
		return usage(err, "[-ef]")
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		warn("/proc: %s", errText(err))
		return 1
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	tick := float64(100) // USER_HZ: Linux reports times in 1/100 s
	fmt.Printf("%5s %5s %s %8s %s\n", "PID", "PPID", "S", "TIME", "CMD")
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // it exited
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		comm := s[open+1 : close]
		f := strings.Fields(s[close+1:])
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseFloat(f[11], 64)
		stime, _ := strconv.ParseFloat(f[12], 64)
		secs := int((utime + stime) / tick)
		cmd := "[" + comm + "]"
		if cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(cl) > 0 {
			cmd = strings.TrimRight(strings.ReplaceAll(string(cl), "\x00", " "), " ")
		}
		fmt.Printf("%5d %5s %s %02d:%02d:%02d %s\n", pid, f[1], f[0], secs/3600, secs/60%60, secs%60, cmd)
	}
	return 0
}

// signals maps the names kill accepts (without SIG) to numbers.
var signals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"ILL": syscall.SIGILL, "TRAP": syscall.SIGTRAP, "ABRT": syscall.SIGABRT,
	"BUS": syscall.SIGBUS, "FPE": syscall.SIGFPE, "KILL": syscall.SIGKILL,
	"USR1": syscall.SIGUSR1, "SEGV": syscall.SIGSEGV, "USR2": syscall.SIGUSR2,
	"PIPE": syscall.SIGPIPE, "ALRM": syscall.SIGALRM, "TERM": syscall.SIGTERM,
	"CHLD": syscall.SIGCHLD, "CONT": syscall.SIGCONT, "STOP": syscall.SIGSTOP,
	"TSTP": syscall.SIGTSTP, "TTIN": syscall.SIGTTIN, "TTOU": syscall.SIGTTOU,
	"WINCH": syscall.SIGWINCH,
}

// kill sends a signal (TERM, or -NAME, -N, -s NAME) to processes; a
// negative PID names a process group.  -l lists the signal names.
func kill(args []string) int {
	sig := syscall.SIGTERM
	if len(args) > 0 && args[0] == "-l" {
		var names []string
		for n, s := range signals {
			names = append(names, fmt.Sprintf("%2d %s", int(s), n))
		}
		sort.Strings(names)
		fmt.Println(strings.Join(names, "\n"))
		return 0
	}
	if len(args) > 1 && args[0] == "-s" {
		args = append([]string{"-" + args[1]}, args[2:]...)
	}
	if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && (args[0][1] < '0' || args[0][1] > '9' || len(args) > 1) {
		name := strings.TrimPrefix(strings.ToUpper(args[0][1:]), "SIG")
		if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < 65 {
			sig = syscall.Signal(n)
		} else if s, ok := signals[name]; ok {
			sig = s
		} else {
			warn("%s: invalid signal specification", args[0][1:])
			return 1
		}
		args = args[1:]
	}
	if len(args) == 0 {
		return usage(errors.New("no process ID"), "[-SIGNAL | -s SIGNAL] PID...")
	}
	st := 0
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		if err == nil {
			err = syscall.Kill(pid, sig)
		}
		if err != nil {
			warn("(%s) - %s", a, errText(err))
			st = 1
		}
	}
	return st
}

// sleep sleeps for the sum of its arguments, each a number of seconds
// with an optional s, m, h or d suffix.
func sleep(args []string) int {
	if len(args) == 0 {
		return usage(errors.New("missing operand"), "NUMBER[smhd]...")
	}
	var total time.Duration
	for _, a := range args {
		unit := time.Second
		switch {
		case strings.HasSuffix(a, "s"):
			a = a[:len(a)-1]
		case strings.HasSuffix(a, "m"):
			a, unit = a[:len(a)-1], time.Minute
		case strings.HasSuffix(a, "h"):
			a, unit = a[:len(a)-1], time.Hour
		case strings.HasSuffix(a, "d"):
			a, unit = a[:len(a)-1], 24*time.Hour
		}
		f, err := strconv.ParseFloat(a, 64)
		if err != nil || f < 0 {
			warn("invalid time interval '%s'", a)
			return 1
		}
		total += time.Duration(f * float64(unit))
	}
	time.Sleep(total)
	return 0
}

// date prints the time as date(1) does by default; -u in UTC; +%s as
// seconds since the epoch.
func date(args []string) int {
	opts, rest, err := flags(args, "u", "")
	if err != nil {
		return usage(err, "[-u] [+%s]")
	}
	now := time.Now()
	if has(opts, 'u') {
		now = now.UTC()
	}
	switch {
	case len(rest) == 1 && rest[0] == "+%s":
		fmt.Println(now.Unix())
	case len(rest) > 0:
		return usage(fmt.Errorf("unsupported operand '%s'", rest[0]), "[-u] [+%s]")
	default:
		fmt.Println(now.Format("Mon Jan _2 15:04:05 MST 2006"))
	}
	return 0
}

// uname prints system information: -s (the default), -n, -r, -v, -m, -a.
func uname(args []string) int {
	opts, _, err := flags(args, "asnrvmo", "")
	if err != nil {
		return usage(err, "[-asnrvm]")
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		warn("%s", errText(err))
		return 1
	}
	str := func(b []byte) string { return unix.ByteSliceToString(b) }
	fields := []struct {
		c byte
		v string
	}{{'s', str(u.Sysname[:])}, {'n', str(u.Nodename[:])}, {'r', str(u.Release[:])}, {'v', str(u.Version[:])}, {'m', str(u.Machine[:])}, {'o', "GNU/Linux"}}
	if len(opts) == 0 {
		opts['s'] = ""
	}
	var out []string
	for _, f := range fields {
		if has(opts, f.c) || has(opts, 'a') {
			out = append(out, f.v)
		}
	}
	fmt.Println(strings.Join(out, " "))
	return 0
}

// free prints memory use from /proc/meminfo in KiB, as procps free does
// (used = total - free - buffers - cache).
func free(args []string) int {
	if _, _, err := flags(args, "km", ""); err != nil {
		return usage(err, "")
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		warn("/proc/meminfo: %s", errText(err))
		return 1
	}
	defer f.Close()
	m := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok {
			fs := strings.Fields(v)
			if len(fs) > 0 {
				m[k], _ = strconv.ParseInt(fs[0], 10, 64)
			}
		}
	}
	if _, ok := m["MemTotal"]; !ok {
		warn("/proc/meminfo has no MemTotal")
		return 1
	}
	cache := m["Cached"] + m["SReclaimable"]
	used := m["MemTotal"] - m["MemFree"] - m["Buffers"] - cache
	avail, ok := m["MemAvailable"]
	if !ok {
		avail = m["MemFree"]
	}
	fmt.Printf("%-8s%12s%12s%12s%12s%12s%12s\n", "", "total", "used", "free", "shared", "buff/cache", "available")
	fmt.Printf("%-8s%12d%12d%12d%12d%12d%12d\n", "Mem:", m["MemTotal"], used, m["MemFree"], m["Shmem"], m["Buffers"]+cache, avail)
	fmt.Printf("%-8s%12d%12d%12d\n", "Swap:", m["SwapTotal"], m["SwapTotal"]-m["SwapFree"], m["SwapFree"])
	return 0
}

// df prints the size and use of the file systems holding the named files
// (default /), in 1 KiB blocks.
func df(args []string) int {
	_, names, err := flags(args, "k", "")
	if err != nil {
		return usage(err, "[FILE...]")
	}
	if len(names) == 0 {
		names = []string{"/"}
	}
	fmt.Printf("%-14s %10s %10s %10s %4s %s\n", "Filesystem", "1K-blocks", "Used", "Available", "Use%", "Mounted on")
	st := 0
	for _, n := range names {
		var s unix.Statfs_t
		if err := unix.Statfs(n, &s); err != nil {
			warn("%s: %s", n, errText(err))
			st = 1
			continue
		}
		k := int64(s.Bsize) / 1024
		total, free, avail := int64(s.Blocks)*k, int64(s.Bfree)*k, int64(s.Bavail)*k
		used := total - free
		pct := "-"
		if used+avail > 0 {
			pct = fmt.Sprintf("%d%%", (used*100+used+avail-1)/(used+avail))
		}
		fmt.Printf("%-14s %10d %10d %10d %4s %s\n", fmt.Sprintf("%#x", s.Type), total, used, avail, pct, n)
	}
	return st
}

// env prints the environment, or runs a command in a changed one:
// -i starts empty, -u NAME removes NAME, NAME=VALUE sets it.
func env(args []string) int {
	vars := os.Environ()
	for len(args) > 0 {
		switch a := args[0]; {
		case a == "-i" || a == "-":
			vars = nil
		case a == "-u" && len(args) > 1:
			vars = unsetVar(vars, args[1])
			args = args[1:]
		case strings.Contains(a, "=") && a[0] != '=':
			name, _, _ := strings.Cut(a, "=")
			vars = append(unsetVar(vars, name), a)
		default:
			goto run
		}
		args = args[1:]
	}
run:
	if len(args) == 0 {
		for _, kv := range vars {
			fmt.Println(kv)
		}
		return 0
	}
	for _, kv := range vars {
		if strings.HasPrefix(kv, "PATH=") {
			os.Setenv("PATH", kv[5:]) // LookPath searches the new PATH
		}
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		warn("'%s': No such file or directory", args[0])
		return 127
	}
	err = syscall.Exec(path, args, vars)
	warn("'%s': %s", args[0], errText(err))
	return 126
}

func unsetVar(vars []string, name string) []string {
	var out []string
	for _, kv := range vars {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func syncCmd(args []string) int {
	unix.Sync()
	return 0
}

// halt writes out the file systems and powers the machine off; Scone then
// ends QEMU with status 0.  It refuses on a Linux host (which has
// /sys/kernel; Scone has no sysfs) unless -f, so that running the tool by
// mistake there never turns a shared machine off.
func halt(args []string) int {
	opts, _, err := flags(args, "f", "")
	if err != nil {
		return usage(err, "[-f]")
	}
	if _, err := os.Stat("/sys/kernel"); err == nil && !has(opts, 'f') {
		warn("this is not Scone (/sys/kernel exists); use -f to power off anyway")
		return 1
	}
	unix.Sync()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		warn("%s", errText(err))
		return 1
	}
	return 0
}
