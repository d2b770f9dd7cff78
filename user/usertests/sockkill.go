package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"scone/user/internal/procnet"
)

func init() {
	register("sockkill", testSockKill)
}

// TCP states in /proc/net/tcp.
const (
	tcpEstablished = 1
	tcpSynSent     = 2
	tcpTimeWait    = 6
)

// testSockKill: SIGKILL ends a process blocked in accept, in recv and in
// connect (to a listener whose backlog is full, so the SYN goes
// unanswered and the socket stays in SYN_SENT). The process is reaped
// within 5 s and its socket leaves /proc/net/tcp: the listener and the
// connecting socket at once, the connection after its FIN (the peer
// reads end of file) and the peer's close, except for TIME_WAIT.
func testSockKill() error {
	for _, what := range []string{"accept", "recv", "connect"} {
		if err := sockKill(what); err != nil {
			return fmt.Errorf("%s: %v", what, err)
		}
	}
	return nil
}

func sockKill(what string) error {
	// The test's end: a listener for recv's child to connect to, or one
	// with a full backlog for connect's.
	var l, port int
	var stuck []int
	defer func() {
		for _, fd := range append(stuck, l) {
			unix.Close(fd)
		}
	}()
	var err error
	switch what {
	case "recv":
		l, port, err = tcpListener(1)
	case "connect":
		l, port, stuck, err = fullListener()
	}
	if err != nil {
		return err
	}
	cmd := exec.Command(self(), "-child", "sock"+what, strconv.Itoa(port))
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return err
	}
	var local int
	line, err := bufio.NewReader(out).ReadString('\n')
	if _, serr := fmt.Sscanf(line, "ready %d\n", &local); serr != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("helper said %q, %v", line, err)
	}
	peer := -1
	if what == "recv" {
		if peer, _, err = unix.Accept4(l, unix.SOCK_CLOEXEC); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return fmt.Errorf("accept: %v", err)
		}
		defer unix.Close(peer)
	}
	want := map[string]int{"accept": procnet.StateListen, "recv": tcpEstablished, "connect": tcpSynSent}[what]
	if !waitFor(5*time.Second, func() bool { st, _ := tcpState(local); return st == want }) {
		st, err := tcpState(local)
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("port %d in /proc/net/tcp: state %d, %v; want %d", local, st, err, want)
	}
	threadSleeps(cmd.Process.Pid)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if d := time.Since(start); d > 5*time.Second {
		return fmt.Errorf("took %v to die", d)
	}
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		return fmt.Errorf("after SIGKILL: %v", cmd.ProcessState)
	}
	if peer >= 0 {
		// The dead process's socket sent its FIN; closing ours lets it go.
		unix.SetsockoptTimeval(peer, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5})
		if n, err := unix.Read(peer, make([]byte, 16)); n != 0 || err != nil {
			return fmt.Errorf("peer read %d, %v; want end of file", n, err)
		}
		unix.Close(peer)
		peer = -1
	}
	gone := func() bool { st, _ := tcpState(local); return st == 0 || st == tcpTimeWait }
	if !waitFor(5*time.Second, gone) {
		st, err := tcpState(local)
		return fmt.Errorf("port %d still in /proc/net/tcp 5 s after the kill: state %d, %v", local, st, err)
	}
	return nil
}

// fullListener is a listener whose accept queue is full: connections
// are made to it until one stays unanswered (Linux drops a SYN when the
// queue is full, whatever the backlog says exactly). It returns the
// connections, which the caller closes.
func fullListener() (l, port int, conns []int, err error) {
	if l, port, err = tcpListener(1); err != nil {
		return -1, 0, nil, err
	}
	for i := 0; i < 8; i++ {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return l, port, conns, err
		}
		conns = append(conns, fd)
		err = unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port})
		if err == nil {
			continue
		}
		if err != unix.EINPROGRESS {
			return l, port, conns, fmt.Errorf("connect to a busy listener: %v", err)
		}
		// 2 s: a loopback handshake is far quicker even under TCG on a
		// loaded host, and a queued one must not be taken for a drop.
		if ok, err := pollWithin(fd, unix.POLLOUT, 2*time.Second); !ok && err == nil {
			return l, port, conns, nil // unanswered: the queue is full
		}
	}
	return l, port, conns, fmt.Errorf("8 connections to a listener with backlog 1 all completed")
}

// tcpState is the state of the TCP socket with local port port in
// /proc/net/tcp, 0 if there is none.
func tcpState(port int) (int, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	socks, err := procnet.ParseSockets(f)
	if err != nil {
		return 0, err
	}
	for _, s := range socks {
		if int(s.Local.Port()) == port {
			return s.State, nil
		}
	}
	return 0, nil
}

// sockHelper is a helper process that blocks in a socket call for
// sockkill, after printing "ready" and its socket's local port.
func sockHelper(what string, port int) int {
	switch what {
	case "sockaccept":
		l, lport, err := tcpListener(1)
		if err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println("ready", lport)
		unix.Accept4(l, 0)
	case "sockrecv":
		c, err := tcpConnect(port)
		if err != nil {
			fmt.Println(err)
			return 1
		}
		lport, _ := sockPort(c)
		fmt.Println("ready", lport)
		unix.Read(c, make([]byte, 16))
	case "sockconnect":
		fd, lport, err := boundTCP()
		if err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println("ready", lport)
		err = unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port})
		fmt.Println("connect returned", err)
	default:
		fmt.Printf("no helper %q\n", what)
		return 99
	}
	return 1
}
