package qemu

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"scone/kernel/machine"
	"scone/kernel/selftest"
	"scone/tools/runqemu"
)

// Bounds on the waits. TCG boots Scone to its prompt in about 0.2 s;
// the bounds are generous for a loaded machine, never a fixed delay.
const (
	bootTimeout     = 60 * time.Second
	commandTimeout  = 20 * time.Second
	exitTimeout     = 30 * time.Second
	selftestTimeout = 4 * time.Minute
)

var prompt = regexp.MustCompile(regexp.QuoteMeta("scone> "))

// repoRoot finds the directory holding go.mod above the test's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		dir = filepath.Dir(dir)
	}
	t.Fatal("no go.mod above the test directory")
	return ""
}

// boot starts QEMU with the given NIC and kernel arguments, on a free host
// port and a private pcap file, and kills it when the test ends.
func boot(t *testing.T, nic, kargs string) *runqemu.Session {
	t.Helper()
	return bootConfig(t, runqemu.Config{NIC: nic, KArgs: kargs})
}

// bootConfig is boot with more of the machine chosen: c's root, port and
// pcap path are filled in.
func bootConfig(t *testing.T, c runqemu.Config) *runqemu.Session {
	t.Helper()
	port, err := runqemu.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c.Root, c.Port, c.Pcap = repoRoot(t), port, filepath.Join(t.TempDir(), "packets.pcap")
	if os.Getenv("ACCEL") == "kvm" {
		c.Accel = "kvm"
	}
	if err := c.CheckImages(); err != nil {
		t.Fatalf("%v\nthe boot tests need the kernel images: run `make build` (make test does)", err)
	}
	s, err := runqemu.Start(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	return s
}

func expect(t *testing.T, s *runqemu.Session, re string, timeout time.Duration) string {
	t.Helper()
	m, err := s.Expect(regexp.MustCompile(re), timeout)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// expectAll waits for every one of res, in whatever order they come.
func expectAll(t *testing.T, s *runqemu.Session, timeout time.Duration, res ...string) []string {
	t.Helper()
	rs := make([]*regexp.Regexp, len(res))
	for i, re := range res {
		rs[i] = regexp.MustCompile(re)
	}
	ms, err := s.ExpectAll(timeout, rs...)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// command types line at the prompt and returns its output up to the next
// prompt.
func command(t *testing.T, s *runqemu.Session, line string) string {
	t.Helper()
	if err := s.Send(line + "\r"); err != nil {
		t.Fatal(err)
	}
	return expect(t, s, `(?s)`+regexp.QuoteMeta(line)+`\r?\n.*?scone> `, commandTimeout)
}

func wantExit(t *testing.T, s *runqemu.Session, want int) {
	t.Helper()
	status, err := s.Wait(exitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if status != want {
		t.Fatalf("kernel exit status %d, want %d\n%s", status, want, s.Transcript())
	}
}

// TestBootNIC boots with each NIC, checks the random source, finds the NIC
// in the PCI table printed at boot, reaches the prompt and halts with
// status 0.
func TestBootNIC(t *testing.T) {
	tests := []struct{ nic, id string }{
		{"e1000", `8086:100e`},
		{"virtio", `1af4:10(00|41)`},
	}
	for _, tt := range tests {
		t.Run(tt.nic, func(t *testing.T) {
			s := boot(t, tt.nic, "")
			// runqemu's TCG CPU has RDRAND, so getrandom is not the
			// TSC-seeded fallback.
			expect(t, s, `random: rdrand`, bootTimeout)
			expect(t, s, `(?m)^pci: 00:[0-9a-f]{2}\.[0-7] `+tt.id+` 02\.00 ethernet .*bar\d`, bootTimeout)
			expect(t, s, prompt.String(), bootTimeout)
			if err := s.Send("halt\r"); err != nil {
				t.Fatal(err)
			}
			wantExit(t, s, 0)
			// filter-dump writes the pcap header when QEMU starts; frames
			// follow once drivers send them.
			b, err := os.ReadFile(s.Config.Pcap)
			if err != nil || len(b) < 24 || !bytes.Equal(b[:4], []byte{0xd4, 0xc3, 0xb2, 0xa1}) {
				t.Errorf("packet dump %s: %d bytes, %v; want a pcap file", s.Config.Pcap, len(b), err)
			}
		})
	}
}

// TestConsole drives the console: help, an unknown command, line editing,
// mem, pci, uptime, gc and halt.
func TestConsole(t *testing.T) {
	s := boot(t, "e1000", "")
	expect(t, s, `Scone`, bootTimeout)
	expect(t, s, prompt.String(), bootTimeout)

	out := command(t, s, "help")
	for _, c := range []string{"help", "mem", "pci", "gc", "uptime", "halt"} {
		if !regexp.MustCompile(`(?m)^\s+` + c + `\s`).MatchString(out) {
			t.Errorf("help lacks %s:\n%s", c, out)
		}
	}
	if out := command(t, s, "frobnicate now"); !regexp.MustCompile(`frobnicate: unknown command`).MatchString(out) {
		t.Errorf("unknown command output:\n%s", out)
	}
	// A burst longer than the UART's 16-byte FIFO, in one write: no
	// keystroke may be lost between interrupts.
	long := strings.Repeat("abcdefghij", 20)
	if out := command(t, s, long); !strings.Contains(out, long+": unknown command") {
		t.Errorf("a 200-key burst came back as:\n%s", out)
	}
	// "memx", a backspace, then Enter: the console must run "mem".
	if err := s.Send("memx\x7f\r"); err != nil {
		t.Fatal(err)
	}
	expect(t, s, `frames: \d+ free of \d+`, commandTimeout)
	expect(t, s, `go heap: .* (\d+) GCs`, commandTimeout)
	expect(t, s, prompt.String(), commandTimeout)
	if out := command(t, s, "pci"); !regexp.MustCompile(`8086:100e`).MatchString(out) {
		t.Errorf("pci output lacks the NIC:\n%s", out)
	}
	if out := command(t, s, "uptime"); !regexp.MustCompile(`up \d`).MatchString(out) {
		t.Errorf("uptime output:\n%s", out)
	}
	if out := command(t, s, "gc"); !regexp.MustCompile(`gc: heap .* MiB in .*GC #\d+`).MatchString(out) {
		t.Errorf("gc output:\n%s", out)
	}
	if err := s.Send("halt\r"); err != nil {
		t.Fatal(err)
	}
	wantExit(t, s, 0)
}

// TestSelftest runs the in-kernel self-tests: at least 10, none failed,
// exit status 0.
func TestSelftest(t *testing.T) {
	s := boot(t, "e1000", "selftest")
	m := expect(t, s, `selftest: (\d+) passed, (\d+) failed`, selftestTimeout)
	sub := regexp.MustCompile(`(\d+) passed, (\d+) failed`).FindStringSubmatch(m)
	passed, _ := strconv.Atoi(sub[1])
	failed, _ := strconv.Atoi(sub[2])
	if passed != len(selftest.All) || failed != 0 {
		t.Errorf("%d passed, %d failed; want all %d passed\n%s", passed, failed, len(selftest.All), s.Transcript())
	}
	want := 0
	if failed > 0 {
		want = 1
	}
	wantExit(t, s, want)
	// The enosys self-test made the unknown call three times: the machine
	// layer must have logged it exactly once, with its number.
	logged := regexp.MustCompile(fmt.Sprintf(`(?m)^scone: unknown system call %d \(ENOSYS\)`, selftest.NoSuchSyscall))
	if n := len(logged.FindAllString(s.Output(), -1)); n != 1 {
		t.Errorf("unknown system call %d logged %d times, want once\n%s", selftest.NoSuchSyscall, n, s.Transcript())
	}
}

// TestExits boots with the command-line words that end the kernel on
// purpose and checks what it prints and the status QEMU ends with:
// usertest runs programs in ring 3; panictest panics, so the runtime
// prints a Go stack trace and exits 2; crashtest faults in kernel
// context, which the machine layer must report and end QEMU with
// machine.FatalStatus, never hang.
func TestExits(t *testing.T) {
	tests := []struct {
		word   string
		want   []string // patterns the kernel prints, in order
		status int
	}{
		{"usertest", []string{`usertest: 11 passed, 0 failed`}, 0},
		{"panictest", []string{`panic: panictest`, `goroutine 1 \[running\]`}, 2},
		{"crashtest", []string{`scone: fatal: trap inside the kernel`, `rip=0x`}, machine.FatalStatus},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			s := boot(t, "e1000", tt.word)
			for _, re := range tt.want {
				expect(t, s, re, bootTimeout)
			}
			wantExit(t, s, tt.status)
		})
	}
}

// TestIdleHalts checks that an idle kernel halts the CPU rather than
// polling: QEMU, sitting at the prompt with the NIC up and a DHCP lease,
// must stay nearly idle: under the 5% of a core. With the 1 kHz
// tick running through idle, 5 s windows read 4.8-7.2%; the tickless idle
// (kernel/machine/tickless.go) brought it to 0.4-1.0%, so 5% holds
// with a wide margin and still catches a driver that polls (a whole core)
// or a deadline that keeps the PIT ticking.
//
// It runs with e1000, and with virtio-net plus a virtio-blk root disk, so
// that neither virtio driver polls either.
func TestIdleHalts(t *testing.T) {
	for _, nic := range []string{"e1000", "virtio"} {
		t.Run(nic, func(t *testing.T) {
			c := runqemu.Config{NIC: nic}
			if nic == "virtio" {
				c.Disk = newImage(t)
			}
			s := bootConfig(t, c)
			expectAll(t, s, bootTimeout, `net: eth0 10\.0\.2\.15/24`, prompt.String())
			busy, err := s.CPUShare(5 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("QEMU used %.1f%% of a core while the kernel was idle", 100*busy)
			if busy > 0.05 {
				t.Errorf("idle kernel kept QEMU %.1f%% busy: it polls instead of halting", 100*busy)
			}
			if err := s.Send("halt\r"); err != nil {
				t.Fatal(err)
			}
			wantExit(t, s, 0)
		})
	}
}

// TestTypeAhead types a command the moment QEMU starts, long before the
// kernel has a console: the keys wait in the UART and QEMU's input queue,
// and the console must run the command whole once it prompts. The first
// key reaches the UART's receive register while the firmware runs; a
// kernel that empties the receiver while setting up the port loses it,
// and QEMU, which offers the next key only when the receive register is
// read, then holds the rest back until another key is typed.
func TestTypeAhead(t *testing.T) {
	s := boot(t, "e1000", "")
	if err := s.Send("uptime\r"); err != nil {
		t.Fatal(err)
	}
	expect(t, s, prompt.String(), bootTimeout)
	out := expect(t, s, `(?s).*?scone> `, commandTimeout)
	if !regexp.MustCompile(`(?m)^up \d`).MatchString(out) {
		t.Errorf("keys typed during boot came out as:\n%s", out)
	}
	if err := s.Send("halt\r"); err != nil {
		t.Fatal(err)
	}
	wantExit(t, s, 0)
}
