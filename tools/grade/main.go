// Grade is `make grade`: the MIT network lab's grading run against Scone.
// It starts dnsmasq (tools/nettest/dnsmasq.conf, answering the dns test on
// the host's 127.0.0.1:53, which the guest reaches as 10.0.2.2:53), the
// host peer (tools/nettest), and QEMU with the lab's UDP ports forwarded;
// types `nettest grade` at the guest's shell prompt; and prints each
// test's OK or FAIL and the score. It exits 0 only with a full score.
//
// Usage:
//
//	go run ./tools/grade [-nic e1000|virtio] [-accel tcg|kvm] [-t timeout]
//	go run ./tools/grade -loader bzImage -kernel initrd -kargs console=ttyS0
//
// The second form grades another guest (a Linux with busybox and nettest),
// which checks the grader, the forwards and dnsmasq without Scone.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"scone/tools/nettest"
	"scone/tools/runqemu"
)

func main() {
	nic := flag.String("nic", "e1000", "the guest's network card: e1000 or virtio")
	accel := flag.String("accel", "tcg", "tcg or kvm")
	timeout := flag.Duration("t", 5*time.Minute, "give up on the guest after `duration`")
	conf := flag.String("dnsmasq", "tools/nettest/dnsmasq.conf", "dnsmasq configuration `file`")
	// Another guest, to check the grader itself: a Linux bzImage as the
	// loader and an initramfs with a shell and nettest as the "kernel".
	var c runqemu.Config
	flag.StringVar(&c.Loader, "loader", "", "QEMU -kernel `image` (default: Scone's loader)")
	flag.StringVar(&c.Kernel, "kernel", "", "QEMU -initrd `image` (default: Scone's kernel)")
	flag.StringVar(&c.KArgs, "kargs", "", "kernel command `line`")
	flag.StringVar(&c.Disk, "disk", "build/fs.img", "the root file-system `image` (make rootfs); empty for none")
	flag.Parse()
	c.NIC, c.Accel = *nic, *accel
	ports := nettest.DefaultPorts()
	transcript, peerOut, err := run(c, *conf, ports, *timeout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "grade: %v\n", err)
	}
	// The guest's own lines first: a FAIL's reason is there.
	if i := strings.Index(transcript, "nettest -port"); i >= 0 {
		prefixWriter{"guest| ", os.Stdout}.Write([]byte(strings.ReplaceAll(strings.TrimSpace(transcript[i:]), "\r\n", "\n")))
	}
	score, max, lines := Score(transcript, peerOut)
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Printf("Score: %d/%d\n", score, max)
	if err != nil || score != max {
		os.Exit(1)
	}
}

// run does the grading run and returns the guest's console transcript and
// the peer's output.
func run(c runqemu.Config, conf string, ports nettest.Ports, timeout time.Duration) (string, string, error) {
	stopDNS, err := startDNS(conf)
	if err != nil {
		return "", "", err
	}
	defer stopDNS()

	peerOut := new(lockedBuffer)
	p, err := nettest.Listen(ports, io.MultiWriter(peerOut, prefixWriter{"peer| ", os.Stdout}))
	if err != nil {
		return "", "", err
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	peerDone := make(chan error, 1)
	go func() { peerDone <- p.Grade(ctx) }()

	httpPort, err := runqemu.FreePort()
	if err != nil {
		return "", "", err
	}
	c.Port = httpPort
	c.HostFwd = []string{
		fmt.Sprintf("udp:127.0.0.1:%d-:2000", ports.Fwd1),
		fmt.Sprintf("udp:127.0.0.1:%d-:2001", ports.Fwd2),
	}
	s, err := runqemu.Start(c)
	if err != nil {
		return "", peerOut.String(), err
	}
	defer s.Kill()
	fail := func(err error) (string, string, error) {
		return s.Output(), peerOut.String(), fmt.Errorf("%v\n--- guest console ---\n%s", err, s.Transcript())
	}
	if err := s.ExpectString("$ ", 2*time.Minute); err != nil {
		return fail(fmt.Errorf("no shell prompt: %w", err))
	}
	if err := s.Send(fmt.Sprintf("nettest -port %d -ns 10.0.2.2 grade\n", ports.Server)); err != nil {
		return fail(err)
	}
	if _, err := s.Expect(regexp.MustCompile(`free: [^\n]*\n`), timeout); err != nil {
		return fail(fmt.Errorf("the guest's nettest did not finish: %w", err))
	}
	s.Send("halt\n")
	if _, err := s.Wait(30 * time.Second); err != nil {
		fmt.Fprintf(os.Stderr, "grade: after halt: %v\n", err)
	}
	cancel()
	<-peerDone
	return s.Output(), peerOut.String(), nil
}

// startDNS runs dnsmasq with conf and waits until it serves.
func startDNS(conf string) (stop func(), err error) {
	if _, err := exec.LookPath("dnsmasq"); err != nil {
		return nil, fmt.Errorf("dnsmasq is not installed (make deps installs dnsmasq-base)")
	}
	cmd := exec.Command("dnsmasq", "-k", "-C", conf)
	errp, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(errp)
		var all []string
		for sc.Scan() {
			all = append(all, sc.Text())
			if strings.Contains(sc.Text(), "started") {
				ready <- nil
				io.Copy(io.Discard, errp)
				return
			}
		}
		ready <- fmt.Errorf("dnsmasq failed (is 127.0.0.1:53 taken, or are we not root?): %s", strings.Join(all, "; "))
	}()
	select {
	case err = <-ready:
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("dnsmasq did not start in 10 s")
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	if err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// prefixWriter marks the peer's lines on the terminal.
type prefixWriter struct {
	prefix string
	w      io.Writer
}

func (p prefixWriter) Write(b []byte) (int, error) {
	s := strings.TrimSuffix(string(b), "\n")
	_, err := io.WriteString(p.w, p.prefix+strings.ReplaceAll(s, "\n", "\n"+p.prefix)+"\n")
	return len(b), err
}
