package interop

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// startProcess starts a long-running command whose output is watched; the
// cleanup kills it and waits for it, bounded.
func (e *env) startProcess(label, name string, args ...string) *logWatcher {
	e.t.Helper()
	w := &logWatcher{label: label, changed: make(chan struct{}, 1), exited: make(chan struct{})}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = w, w
	// Its own process group, so the kill reaches dnsmasq under ip netns exec.
	cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start %s: %v", label, err)
	}
	go func() {
		w.err = cmd.Wait()
		close(w.exited)
	}()
	e.t.Cleanup(func() {
		unix.Kill(-cmd.Process.Pid, unix.SIGTERM)
		select {
		case <-w.exited:
		case <-time.After(5 * time.Second):
			unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
			<-w.exited
		}
		if e.t.Failed() {
			e.t.Logf("%s output:\n%s", label, w)
		}
	})
	return w
}

// logWatcher collects a process's output and lets a test wait for a line.
type logWatcher struct {
	label   string
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
	exited  chan struct{}
	err     error
}

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *logWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor waits until the output contains s, the process exits, or timeout.
func (w *logWatcher) waitFor(s string, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if strings.Contains(w.String(), s) {
			return nil
		}
		select {
		case <-w.changed:
		case <-w.exited:
			if strings.Contains(w.String(), s) {
				return nil
			}
			return fmt.Errorf("%s exited (%v) before printing %q", w.label, w.err, s)
		case <-deadline.C:
			return fmt.Errorf("%s did not print %q within %v", w.label, s, timeout)
		}
	}
}
