// Command init is Scone's first user process (PID 1).
//
// It makes /dev/console its standard input, output and error if they are
// not open, then runs one of:
//
//   - the start-up script /etc/rc (or $INITRC), if it exists, with sh,
//     and once it returns the shell, /bin/sh, on the console in a new
//     session, restarted whenever it exits (the default);
//   - /bin/usertests, when the kernel command line holds the word
//     "usertests", then halts: power off (QEMU status 0) if it passed,
//     exit with its status otherwise (the kernel ends QEMU with that status);
//   - /bin/syscallfuzz, when it holds "syscallfuzz", the same way.
//
// The kernel passes its command line as Linux does: words without '=' are
// init's arguments, NAME=VALUE words its environment.  Throughout, init
// reaps every orphan the kernel reparents to it.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// jobs are the command-line words that name a program init runs once,
// found in PATH like the shell, before it halts.
var jobs = []string{"usertests", "syscallfuzz"}

func main() {
	if err := openConsole(); err != nil {
		// No console to say it on: the kernel reports init's exit status.
		os.Exit(111)
	}
	env := environ()
	for _, word := range jobs {
		if slices.Contains(os.Args[1:], word) {
			os.Exit(runOnce(word, env))
		}
	}
	runRC(env)
	for {
		start := time.Now()
		status := runShell(env)
		fmt.Fprintf(os.Stderr, "init: sh exited (%s); restarting\n", status)
		// A shell that dies at once would otherwise spin.
		if time.Since(start) < time.Second {
			time.Sleep(time.Second)
		}
	}
}

// openConsole opens /dev/console as descriptors 0, 1 and 2 unless fd 0 is
// already open (the kernel or a test harness gave us a terminal).
func openConsole() error {
	if _, err := unix.FcntlInt(0, unix.F_GETFD, 0); err == nil {
		return nil
	}
	fd, err := unix.Open("/dev/console", unix.O_RDWR, 0)
	if err != nil {
		return err
	}
	for i := 0; i < 3; i++ {
		if fd != i {
			if err := unix.Dup3(fd, i, 0); err != nil {
				return err
			}
		}
	}
	if fd > 2 {
		unix.Close(fd)
	}
	return nil
}

// environ is the environment the kernel gave init plus defaults for PATH,
// HOME and TERM, which it also sets in init's own environment so that
// os/exec.LookPath searches PATH.
func environ() []string {
	for _, kv := range [][2]string{{"PATH", "/bin"}, {"HOME", "/"}, {"TERM", "vt100"}} {
		if _, ok := os.LookupEnv(kv[0]); !ok {
			os.Setenv(kv[0], kv[1])
		}
	}
	return os.Environ()
}

// start starts the program name (found in PATH) with argv, the console as
// its standard files, as the leader of a new session; if ctty and the
// console is a terminal, it becomes the session's controlling terminal.
func start(name string, argv []string, env []string, ctty bool) (*os.Process, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, err
	}
	if ctty {
		_, err = unix.IoctlGetTermios(0, unix.TCGETS)
	}
	attr := &os.ProcAttr{
		Dir:   "/",
		Env:   env,
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Setsid: true, Setctty: ctty && err == nil, Ctty: 0},
	}
	return os.StartProcess(path, argv, attr)
}

// runShell starts sh as a session leader with the console as its
// controlling terminal, reaps orphans until the shell exits, and returns
// how it ended.
func runShell(env []string) string {
	// The leading '-' marks a login shell, as login(1) does.
	p, err := start("sh", []string{"-sh"}, env, true)
	if err != nil {
		return err.Error()
	}
	return describe(reapUntil(p.Pid))
}

// rcPath is the start-up script: $INITRC if set (the kernel command line
// word INITRC=FILE puts it in init's environment), else /etc/rc for PID 1
// alone, so that init run by hand on a host (as its tests do) never runs
// the host's.
func rcPath() string {
	if p, ok := os.LookupEnv("INITRC"); ok {
		return p
	}
	if os.Getpid() == 1 {
		return "/etc/rc"
	}
	return ""
}

// runRC runs the start-up script, if there is one, with sh before the
// first shell starts, and waits for it: it starts services (`httpd -q &`)
// and returns. It gets a session of its own without a controlling
// terminal, so what it leaves running keeps no hold on the console and
// no ^C typed at the shell reaches it. A failure is reported, and the
// shell starts all the same.
func runRC(env []string) {
	path := rcPath()
	if path == "" {
		return
	}
	if _, err := os.Stat(path); err != nil {
		if !os.IsNotExist(err) {
			fmt.Fprintf(os.Stderr, "init: %v\n", err)
		}
		return
	}
	p, err := start("sh", []string{"sh", path}, env, false)
	if err != nil {
		fmt.Fprintf(os.Stderr, "init: %s: %v\n", path, err)
		return
	}
	if ws := reapUntil(p.Pid); !ws.Exited() || ws.ExitStatus() != 0 {
		fmt.Fprintf(os.Stderr, "init: %s: %s\n", path, describe(ws))
	}
}

// runOnce runs prog with the console as its terminal, reaps orphans until
// it exits, syncs, and returns the status init should exit with.  On
// success it powers the machine off instead of returning.
func runOnce(prog string, env []string) int {
	p, err := start(prog, []string{prog}, env, true)
	if err != nil {
		fmt.Fprintf(os.Stderr, "init: %v\n", err)
		return 1
	}
	ws := reapUntil(p.Pid)
	fmt.Fprintf(os.Stderr, "init: %s %s\n", prog, describe(ws))
	unix.Sync()
	// Only PID 1 powers off: init run by hand (or by its test) as root on
	// a host must never turn the host off.
	if ws.Exited() && ws.ExitStatus() == 0 && os.Getpid() == 1 {
		if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
			fmt.Fprintf(os.Stderr, "init: power off: %v\n", err)
		}
		return 0
	}
	if ws.Exited() {
		return ws.ExitStatus()
	}
	return 128 + int(ws.Signal())
}

// reapUntil waits for any child, discarding orphans, until pid exits, and
// returns pid's status.  init ignores no signal: an ignored signal stays
// ignored across fork and exec, and the shell's children need ^C.  (The
// kernel, like Linux's, sends PID 1 only the signals it handles.)
func reapUntil(pid int) unix.WaitStatus {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// ECHILD: pid is gone without our seeing it (cannot happen
			// unless someone else reaped it).
			return ws
		}
		if got == pid {
			return ws
		}
	}
}

// describe says how a process ended, as a shell would.
func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by %v", ws.Signal())
	}
	return fmt.Sprintf("status %#x", uint32(ws))
}
