package runqemu

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A Session is a running QEMU whose serial console is driven by a program:
// the boot tests and the boot benchmark. Output is collected as it arrives;
// Expect waits for a pattern in it, bounded by a timeout, never by a fixed
// delay.
type Session struct {
	Config  Config // as started, defaults filled in
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	Started time.Time

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever out grows or QEMU ends
	out     bytes.Buffer  // serial output so far
	mark    int           // Expect searches out[mark:]
	stderr  bytes.Buffer  // QEMU's own diagnostics
	done    bool
	waitErr error
}

// Start boots c with the console on pipes.
func Start(c Config) (*Session, error) {
	if err := c.CheckImages(); err != nil {
		return nil, err
	}
	cmd, err := c.Command()
	if err != nil {
		return nil, err
	}
	s := &Session{Config: c.withDefaults(), cmd: cmd, changed: make(chan struct{})}
	s.Config.Pcap = c.path(s.Config.Pcap)
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = lockedWriter{s, &s.stderr}
	s.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		io.Copy(lockedWriter{s, &s.out}, stdout)
		err := cmd.Wait()
		s.mu.Lock()
		s.done, s.waitErr = true, err
		s.signal()
		s.mu.Unlock()
	}()
	return s, nil
}

// lockedWriter appends to one of the session's buffers and wakes waiters.
type lockedWriter struct {
	s   *Session
	buf *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.buf.Write(p)
	w.s.signal()
	return len(p), nil
}

// signal wakes every waiter; s.mu must be held.
func (s *Session) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Expect waits until the output after the previous match matches re, and
// returns the match. It fails when QEMU ends first or after timeout.
func (s *Session) Expect(re *regexp.Regexp, timeout time.Duration) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		rest := s.out.Bytes()[s.mark:]
		if loc := re.FindIndex(rest); loc != nil {
			m := string(rest[loc[0]:loc[1]])
			s.mark += loc[1]
			s.mu.Unlock()
			return m, nil
		}
		done, changed := s.done, s.changed
		s.mu.Unlock()
		if done {
			return "", fmt.Errorf("QEMU ended before %q appeared\n%s", re, s.Transcript())
		}
		select {
		case <-changed:
		case <-deadline.C:
			return "", fmt.Errorf("%q did not appear within %v\n%s", re, timeout, s.Transcript())
		}
	}
}

// ExpectAll waits until every one of res matches the output after the
// previous match, in whatever order they come (boot messages printed by
// concurrent parts of the kernel), and moves past the last of their
// matches. It returns the matches in the order of res, and fails when QEMU
// ends first or after timeout.
func (s *Session) ExpectAll(timeout time.Duration, res ...*regexp.Regexp) ([]string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		rest := s.out.Bytes()[s.mark:]
		ms, end := make([]string, len(res)), 0
		found := true
		for i, re := range res {
			loc := re.FindIndex(rest)
			if loc == nil {
				found = false
				break
			}
			ms[i], end = string(rest[loc[0]:loc[1]]), max(end, loc[1])
		}
		if found {
			s.mark += end
			s.mu.Unlock()
			return ms, nil
		}
		done, changed := s.done, s.changed
		s.mu.Unlock()
		if done {
			return nil, fmt.Errorf("QEMU ended before all of %q appeared\n%s", res, s.Transcript())
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil, fmt.Errorf("not all of %q appeared within %v\n%s", res, timeout, s.Transcript())
		}
	}
}

// ExpectString is Expect for a literal string.
func (s *Session) ExpectString(lit string, timeout time.Duration) error {
	_, err := s.Expect(regexp.MustCompile(regexp.QuoteMeta(lit)), timeout)
	return err
}

// Send types text on the serial console.
func (s *Session) Send(text string) error {
	_, err := io.WriteString(s.stdin, text)
	return err
}

// Output returns all serial output so far.
func (s *Session) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// Transcript is the serial output and QEMU's stderr, for failure messages.
func (s *Session) Transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "--- serial output (%d bytes) ---\n%s\n", s.out.Len(), s.out.Bytes())
	if s.stderr.Len() > 0 {
		fmt.Fprintf(&b, "--- QEMU stderr ---\n%s\n", s.stderr.Bytes())
	}
	return b.String()
}

// Wait waits up to timeout for QEMU to end and returns the kernel's exit
// status (see KernelStatus). After the timeout QEMU is killed.
func (s *Session) Wait(timeout time.Duration) (int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		done, changed, err := s.done, s.changed, s.waitErr
		stderr := s.stderr.String()
		s.mu.Unlock()
		if done {
			return Status(err, stderr)
		}
		select {
		case <-changed:
		case <-deadline.C:
			s.Kill()
			return 0, fmt.Errorf("QEMU still running after %v; killed\n%s", timeout, s.Transcript())
		}
	}
}

// Kill ends QEMU at once; it is safe to call on an ended session.
func (s *Session) Kill() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
	}
}

// Status turns the result of exec.Cmd.Wait into the kernel's status.
func Status(waitErr error, stderr string) (int, error) {
	code := 0
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return 0, waitErr
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 0, fmt.Errorf("runqemu: QEMU killed by %v", ws.Signal())
		}
		code = ee.ExitCode()
	}
	if code == 1 && qemuComplained(stderr) {
		return 0, fmt.Errorf("runqemu: QEMU failed: %s", strings.TrimSpace(stderr))
	}
	return KernelStatus(code)
}

// qemuComplained reports whether QEMU printed an error (not a warning):
// QEMU's own failures exit 1, the same status as a kernel exit(0).
func qemuComplained(stderr string) bool {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "qemu-system") && !strings.Contains(line, "warning:") {
			return true
		}
	}
	return false
}

// CPUShare measures the fraction of one host core that QEMU uses over
// the next interval (user plus system time from /proc/PID/stat). It is a
// measurement over a fixed window, not a wait for an event.
func (s *Session) CPUShare(interval time.Duration) (float64, error) {
	before, err := cpuTicks(s.cmd.Process.Pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	time.Sleep(interval)
	after, err := cpuTicks(s.cmd.Process.Pid)
	if err != nil {
		return 0, err
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return float64(after-before) / ticksPerSecond / time.Since(start).Seconds(), nil
}

// cpuTicks is the user plus system CPU time of pid, in clock ticks.
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields are counted
	// after its closing parenthesis. utime and stime are fields 14, 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("runqemu: malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("runqemu: short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("runqemu: malformed /proc/%d/stat", pid)
	}
	return utime + stime, nil
}
