package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("forkexec", testForkExec)
	register("children", testChildren)
	register("zombie", testZombie)
	register("orphan", testOrphan)
	register("execerrors", testExecErrors)
	register("script", testScript)
}

// helper runs this program as a helper process of a test.
func helper(what string, args []string) int {
	n := 0
	if len(args) > 0 {
		n, _ = strconv.Atoi(args[0])
	}
	switch what {
	case "exit":
		return n
	case "chain":
		if n == 0 {
			return 42
		}
		cmd := exec.Command(self(), "-child", "chain", strconv.Itoa(n-1))
		err := cmd.Run()
		if cmd.ProcessState == nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return cmd.ProcessState.ExitCode()
	case "orphan":
		// Start a grandchild that reports its parent once we are gone.
		cmd := exec.Command(self(), "-child", "parent", strconv.Itoa(os.Getpid()))
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			return 1
		}
		return 0
	case "parent":
		for i := 0; i < 500 && os.Getppid() == n; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		fmt.Println(os.Getppid())
		return 0
	case "block":
		// Say we are ready, then block reading standard input for ever.
		fmt.Println("ready")
		b := make([]byte, 1)
		_, err := unix.Read(0, b)
		fmt.Println("read returned", err)
		return 1
	case "sleep":
		if n > 0 {
			// The kernel's default action for signal n, not Go's handler.
			var dfl [4]uint64
			unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(n), ptr(&dfl), 0, 8, 0, 0)
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
		return 1
	}
	return helper2(what, n)
}

// testForkExec runs a chain of 10 processes, each starting the next and
// passing its exit status back up.
func testForkExec() error {
	for round := 0; round < 3; round++ {
		cmd := exec.Command(self(), "-child", "chain", "10")
		cmd.Run()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 42 {
			return fmt.Errorf("chain of 10: %v", cmd.ProcessState)
		}
	}
	return nil
}

// testChildren starts 30 children at once and reaps them with wait4(-1),
// checking each PID and status.
func testChildren() error {
	want := map[int]int{}
	for i := 0; i < 30; i++ {
		cmd := exec.Command(self(), "-child", "exit", strconv.Itoa(i))
		if err := cmd.Start(); err != nil {
			return err
		}
		want[cmd.Process.Pid] = i
	}
	for len(want) > 0 {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err != nil {
			return fmt.Errorf("wait4 with %d children left: %v", len(want), err)
		}
		st, ok := want[pid]
		if !ok {
			return fmt.Errorf("wait4 returned pid %d we did not start", pid)
		}
		if !ws.Exited() || ws.ExitStatus() != st {
			return fmt.Errorf("pid %d: status %#x, want exit %d", pid, uint32(ws), st)
		}
		delete(want, pid)
	}
	if _, err := unix.Wait4(-1, nil, unix.WNOHANG, nil); err != unix.ECHILD {
		return fmt.Errorf("wait4 with no children: %v, want ECHILD", err)
	}
	return nil
}

// procState reads the state letter of a process from /proc/PID/stat.
func procState(pid int) (byte, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0, fmt.Errorf("bad stat %q", b)
	}
	return b[i+2], nil
}

// testZombie: an exited child stays a zombie (state Z, still signalable)
// until waited for, then is gone.
func testZombie() error {
	cmd := exec.Command(self(), "-child", "exit", "7")
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	// waitid with WNOWAIT waits for the exit without reaping.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		return fmt.Errorf("waitid WNOWAIT: %v", err)
	}
	if st, err := procState(pid); err != nil || st != 'Z' {
		return fmt.Errorf("exited child: state %q (%v), want Z", st, err)
	}
	if err := unix.Kill(pid, 0); err != nil {
		return fmt.Errorf("kill(zombie, 0): %v, want success", err)
	}
	var ws unix.WaitStatus
	if got, err := unix.Wait4(pid, &ws, 0, nil); got != pid || err != nil || ws.ExitStatus() != 7 {
		return fmt.Errorf("wait4: %d %v status %#x", got, err, uint32(ws))
	}
	if err := unix.Kill(pid, 0); err != unix.ESRCH {
		return fmt.Errorf("kill(reaped, 0): %v, want ESRCH", err)
	}
	return nil
}

// testOrphan: a child whose parent exits is re-parented (to init, or to a
// subreaper on a Linux host) and still runs.
func testOrphan() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(self(), "-child", "orphan")
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		return err
	}
	parent := cmd.Process.Pid
	w.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("middle process: %v", err)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no report from the orphan: %v", err)
	}
	ppid, _ := strconv.Atoi(strings.TrimSpace(line))
	if ppid == parent || ppid == 0 {
		return fmt.Errorf("orphan's parent is %d after its parent %d exited", ppid, parent)
	}
	if !onLinuxHost() && ppid != 1 {
		return fmt.Errorf("orphan's parent is %d, want init (1)", ppid)
	}
	return nil
}

// testExecErrors: execve of what cannot run fails with Linux's errno and
// the process goes on.
func testExecErrors() error {
	elf, err := os.ReadFile(self())
	if err != nil {
		return err
	}
	files := []struct {
		name string
		body []byte
		mode os.FileMode
		want []syscall.Errno
	}{
		{"garbage", []byte("\x01\x02garbage, not a program\n"), 0o755, []syscall.Errno{unix.ENOEXEC}},
		{"empty", nil, 0o755, []syscall.Errno{unix.ENOEXEC}},
		{"truncated", elf[:100], 0o755, []syscall.Errno{unix.ENOEXEC, unix.EIO}},
		{"noexec", elf, 0o644, []syscall.Errno{unix.EACCES}},
		{"badinterp", []byte("#!/nonexistent/interpreter\n"), 0o755, []syscall.Errno{unix.ENOENT}},
	}
	for _, f := range files {
		if err := os.WriteFile(f.name, f.body, f.mode); err != nil {
			return err
		}
	}
	os.Mkdir("dir", 0o755)
	cases := []struct {
		path string
		want []syscall.Errno
	}{
		{"/nonexistent/program", []syscall.Errno{unix.ENOENT}},
		{"dir", []syscall.Errno{unix.EACCES}},
		{"dir/", []syscall.Errno{unix.EACCES}},
		{"garbage/x", []syscall.Errno{unix.ENOTDIR}},
	}
	for _, f := range files {
		cases = append(cases, struct {
			path string
			want []syscall.Errno
		}{"./" + f.name, f.want})
	}
	for _, c := range cases {
		err := syscall.Exec(c.path, []string{c.path}, nil)
		ok := false
		for _, w := range c.want {
			ok = ok || errors.Is(err, w)
		}
		if !ok {
			return fmt.Errorf("execve(%s) = %v, want %v", c.path, err, c.want)
		}
	}
	// An ELF header with no loadable segments: Linux execs it and the
	// process dies of SIGSEGV at its entry; refusing it (ENOEXEC) is as
	// good.  Either way only that process suffers.
	os.WriteFile("hollow", append(append([]byte{}, elf[:64]...), make([]byte, 4000)...), 0o755)
	hollow := exec.Command("./hollow")
	err = hollow.Run()
	if hollow.ProcessState == nil {
		if !errors.Is(err, unix.ENOEXEC) {
			return fmt.Errorf("an ELF with no segments: %v, want ENOEXEC or death by SIGSEGV", err)
		}
	} else if ws := hollow.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGSEGV {
		return fmt.Errorf("an ELF with no segments: %v, want death by SIGSEGV or ENOEXEC", hollow.ProcessState)
	}
	// E2BIG: arguments beyond the limit.
	huge := strings.Repeat("x", 200000)
	args := make([]string, 20)
	for i := range args {
		args[i] = huge
	}
	if err := syscall.Exec(self(), args, nil); !errors.Is(err, unix.E2BIG) {
		return fmt.Errorf("execve with 4 MB of arguments = %v, want E2BIG", err)
	}
	// A #! script runs, with its interpreter's argv.
	os.WriteFile("script", []byte("#!"+self()+" -child\nbody\n"), 0o755)
	cmd := exec.Command("./script", "3")
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil {
		return fmt.Errorf("#! script: %v", err)
	}
	// argv is [self, "-child", "./script", "3"]: helper "./script" is unknown.
	if cmd.ProcessState.ExitCode() != 99 || !strings.Contains(string(out), "./script") {
		return fmt.Errorf("#! script: status %d, %q", cmd.ProcessState.ExitCode(), out)
	}
	return nil
}

// testScript runs shell scripts through sh.
func testScript() error {
	script := `
echo one > f
echo two >> f
cat f | wc -l > n
ls nosuch 2>/dev/null || echo missing
true && echo and
false || echo or
X=value; export X
sh -c 'echo child $X'
sleep 0.05 &
wait
echo done $?
`
	os.WriteFile("t.sh", []byte(script), 0o644)
	out, err := exec.Command("sh", "t.sh").CombinedOutput()
	want := "missing\nand\nor\nchild value\ndone 0\n"
	if err != nil || string(out) != want {
		return fmt.Errorf("sh t.sh: %v\n%s\nwant:\n%s", err, out, want)
	}
	n, _ := os.ReadFile("n")
	if strings.TrimSpace(string(n)) != "2" {
		return fmt.Errorf("pipeline to a file wrote %q", n)
	}
	return nil
}
