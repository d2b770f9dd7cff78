package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("goroutines", testGoroutines)
	register("fdlimit", testFDLimit)
	register("memhog", testMemHog)
	register("forkbomb", testForkBomb)
}

// helper2 holds the helpers of the limit tests.
func helper2(what string, n int) int {
	switch what {
	case "waitchild":
		c := exec.Command(self(), "-child", "sleep")
		out, _ := c.StdoutPipe()
		c.Start()
		bufio.NewReader(out).ReadString('\n')
		fmt.Println("ready")
		c.Wait()
		return 1
	case "ignoreall":
		for s := 1; s < 65; s++ {
			if s != int(unix.SIGKILL) && s != int(unix.SIGSTOP) {
				unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(s), 0, 0, 8, 0, 0)
			}
		}
		var all unix.Sigset_t
		for i := range all.Val {
			all.Val[i] = ^uint64(0)
		}
		unix.PthreadSigmask(unix.SIG_BLOCK, &all, nil)
		fmt.Println("ready")
		var ts = unix.Timespec{Sec: 3600}
		for {
			unix.Nanosleep(&ts, nil)
		}
	case "memhog":
		return memHog()
	case "bomb":
		return bomb()
	}
	return sockHelper(what, n)
}

// testGoroutines: 100 goroutines blocked in read system calls (so 100
// threads) all complete when their pipes are written.
func testGoroutines() error {
	const n = 100
	fds := make([][2]int, n)
	for i := range fds {
		if err := unix.Pipe2(fds[i][:], 0); err != nil {
			return fmt.Errorf("pipe %d: %v", i, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range fds {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			b := make([]byte, 8)
			k, err := unix.Read(fds[i][0], b) // raw: the thread blocks in the kernel
			if err != nil || string(b[:k]) != strconv.Itoa(i) {
				errs <- fmt.Errorf("reader %d: %q, %v", i, b[:k], err)
			}
		}(i)
	}
	// Let them block; the threads show in /proc where it exists.
	deadline := time.Now().Add(5 * time.Second)
	threads := 0
	for time.Now().Before(deadline) {
		threads = countThreads()
		if threads > n || threads < 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range fds {
		unix.Write(fds[i][1], []byte(strconv.Itoa(i)))
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		return fmt.Errorf("not every reader finished in 20 s")
	}
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Printf("%d threads at the peak\n", threads)
	if threads >= 0 && threads <= n {
		return fmt.Errorf("only %d threads for %d blocked readers", threads, n)
	}
	return nil
}

// countThreads reads Threads: from /proc/self/status, or -1.
func countThreads() int { return statusField("Threads:") }

// vmSize reads VmSize: (KiB) from /proc/self/status, or -1.
func vmSize() int { return statusField("VmSize:") }

// statusField reads a number from a /proc/self/status line, or -1.
func statusField(name string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// testFDLimit: with RLIMIT_NOFILE at 64, opens fail with EMFILE at
// descriptor 64; closing one makes room.
func testFDLimit() error {
	lim := unix.Rlimit{Cur: 64, Max: 64}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	var fds []int
	var err error
	for i := 0; i < 100; i++ {
		var fd int
		fd, err = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		fds = append(fds, fd)
	}
	if err != unix.EMFILE {
		return fmt.Errorf("opened %d files then %v, want EMFILE", len(fds), err)
	}
	if top := fds[len(fds)-1]; top != 63 {
		return fmt.Errorf("highest descriptor %d, want 63", top)
	}
	if _, err := unix.Dup(0); err != unix.EMFILE {
		return fmt.Errorf("dup at the limit: %v, want EMFILE", err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != unix.EMFILE {
		return fmt.Errorf("pipe at the limit: %v, want EMFILE", err)
	}
	unix.Close(fds[10])
	fd, err := unix.Open("/dev/null", unix.O_RDONLY, 0)
	if err != nil || fd != fds[10] {
		return fmt.Errorf("open after a close: %d, %v; want %d (the lowest free)", fd, err, fds[10])
	}
	if err := unix.Dup2(0, 64); err != unix.EBADF {
		return fmt.Errorf("dup2 to 64 with the limit at 64: %v, want EBADF", err)
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	return nil
}

// memHog maps and touches memory a MiB at a time until it cannot.  It
// exits 3 when mmap fails (ENOMEM); the kernel may kill it instead.
func memHog() int {
	if onLinuxHost() {
		// Never exhaust a shared host: allow 512 MiB more address space
		// than the Go runtime has reserved already.
		lim := uint64(vmSize()+512<<10) << 10
		unix.Setrlimit(unix.RLIMIT_AS, &unix.Rlimit{Cur: lim, Max: lim})
	}
	total := 0
	for i := 0; i < 1<<20; i++ {
		b, err := unix.Mmap(-1, 0, 1<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			fmt.Printf("mmap failed after %d MiB: %v\n", total, err)
			return 3
		}
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		total++
	}
	return 0
}

// testMemHog: a process that takes all the memory it can dies (or fails
// its mmap) alone; afterwards processes still start and memory returns.
func testMemHog() error {
	before := memFree()
	for round := 0; round < 2; round++ {
		cmd := exec.Command(self(), "-child", "memhog")
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState == nil {
			return fmt.Errorf("memhog did not start")
		}
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !(ws.Exited() && ws.ExitStatus() == 3) && !ws.Signaled() {
			return fmt.Errorf("memhog: %v: %s", cmd.ProcessState, out)
		}
		fmt.Printf("round %d: %v: %s", round, cmd.ProcessState, out)
		if err := exec.Command(self(), "-child", "exit", "0").Run(); err != nil {
			return fmt.Errorf("a process after memhog: %v", err)
		}
	}
	return memBack(before, "after memhog")
}

// testForkBomb: processes that start processes until they cannot are
// stopped by a limit (EAGAIN), and all can be killed.  RLIMIT_NPROC is 64;
// on a Linux host, where root is exempt, the bomb runs as nobody.
func testForkBomb() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(self(), "-child", "bomb")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if onLinuxHost() && os.Getuid() == 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	w.Close()
	pgid := cmd.Process.Pid
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 64)
		n, _ := r.Read(b)
		got <- string(b[:n])
	}()
	var result error
	select {
	case s := <-got:
		if !strings.HasPrefix(s, "limit") {
			result = fmt.Errorf("bomb reported %q", s)
		} else {
			fmt.Printf("bomb stopped: %s\n", s)
		}
	case <-time.After(4 * time.Minute):
		result = fmt.Errorf("no process hit a limit in 4 minutes")
	}
	// Kill the bomb's process group until it is empty (our child, a
	// zombie until reaped, counts as a member; the others' zombies are
	// init's to reap).
	unix.Kill(-pgid, unix.SIGKILL)
	cmd.Wait()
	for i := 0; i < 100; i++ {
		if err := unix.Kill(-pgid, unix.SIGKILL); err == unix.ESRCH {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := unix.Kill(-pgid, 0); err != unix.ESRCH {
		return fmt.Errorf("bomb's group still alive after SIGKILLs: %v", err)
	}
	if result == nil {
		if err := exec.Command(self(), "-child", "exit", "0").Run(); err != nil {
			return fmt.Errorf("a process after the bomb: %v", err)
		}
	}
	return result
}

// bomb starts copies of itself until it cannot, reports the first
// failure on descriptor 3, and sleeps.
func bomb() int {
	unix.Setrlimit(unix.RLIMIT_NPROC, &unix.Rlimit{Cur: 64, Max: 64})
	report := os.NewFile(3, "report")
	for i := 0; i < 10; i++ {
		cmd := exec.Command(self(), "-child", "bomb")
		cmd.ExtraFiles = []*os.File{report}
		if err := cmd.Start(); err != nil {
			fmt.Fprintf(report, "limit: %v", err)
			break
		}
	}
	time.Sleep(time.Hour)
	return 0
}
