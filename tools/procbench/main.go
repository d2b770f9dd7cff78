// Command procbench runs user/procbench on Scone and on the reference
// Linux guest under the same QEMU command line (`make bench-proc`) and
// prints one table: each row's Linux and Scone figures and their ratio,
// plus the time from QEMU's start to Scone's shell prompt and to the Linux
// guest's ready line. It prints figures and asserts nothing.
//
//	procbench [-dir build/linux] [-bin build/root/bin/procbench] [-disk build/fs.img]
//	          [-guests linux,scone] [-run REGEXP] [-kargs ARGS]
//
// -guests picks the guests to run (a missing one prints "-"), -run the
// rows (procbench's own -run), -kargs Scone's kernel command line.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"scone/tools/linuxguest"
	"scone/tools/runqemu"
)

// initScript boots the Linux guest to a busybox shell's equivalent: /tmp
// is a tmpfs (Scone's is its disk file system), and the benchmark runs
// from the initramfs once the guest says it is ready.
const initScript = `#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t devtmpfs dev /dev
$B mount -t tmpfs tmp /tmp
echo linux ready
/bin/procbench %s
exec $B poweroff -f
`

var (
	row     = regexp.MustCompile(`(?m)^procbench (\S+) (\S+) (\S+)\r?$`)
	done    = regexp.MustCompile(`procbench done`)
	prompt  = regexp.MustCompile(`\$ `)
	ready   = regexp.MustCompile(`linux ready`)
	timeout = 20 * time.Minute
)

// result is one guest's run: each row's value and unit, and the boot time.
type result struct {
	boot  time.Duration
	rows  map[string]float64
	units map[string]string
	order []string
}

func main() {
	dir := flag.String("dir", "build/linux", "where the Linux guest is unpacked and built")
	bin := flag.String("bin", "build/root/bin/procbench", "the benchmark binary (static)")
	disk := flag.String("disk", "build/fs.img", "Scone's root image (a scratch copy is booted)")
	guests := flag.String("guests", "linux,scone", "the guests to run, comma-separated")
	only := flag.String("run", "", "run only the rows matching this regular expression")
	kargs := flag.String("kargs", "", "Scone's kernel command line")
	flag.Parse()
	if _, err := regexp.Compile(*only); err != nil {
		fatal(err)
	}
	args := "-dir /tmp"
	if *only != "" {
		args += " -run '" + *only + "'"
	}

	lin, sc := &result{}, &result{}
	var err error
	if strings.Contains(*guests, "linux") {
		if lin, err = runLinux(*dir, *bin, args); err != nil {
			fatal(fmt.Errorf("linux: %v", err))
		}
	}
	if strings.Contains(*guests, "scone") {
		if sc, err = runScone(*disk, args, *kargs); err != nil {
			fatal(fmt.Errorf("scone: %v", err))
		}
	}
	print(lin, sc)
}

func runLinux(dir, bin, args string) (*result, error) {
	k, err := linuxguest.Unpack(dir)
	if err != nil {
		return nil, err
	}
	pb, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var rd linuxguest.Initramfs
	rd.Busybox("/bin/busybox")
	rd.File("bin/procbench", 0o755, pb)
	rd.File("init", 0o755, []byte(fmt.Sprintf(initScript, args)))
	initrd := filepath.Join(dir, "procbench-initrd.cpio.gz")
	if err := rd.Write(initrd); err != nil {
		return nil, err
	}
	c := runqemu.Config{Loader: k.Vmlinuz, Kernel: initrd, KArgs: "console=ttyS0 quiet",
		Pcap: filepath.Join(dir, "procbench.pcap")}
	return run(c, ready, nil)
}

func runScone(disk, args, kargs string) (*result, error) {
	scratch := filepath.Join(filepath.Dir(disk), "procbench-fs.img")
	b, err := os.ReadFile(disk)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(scratch, b, 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(scratch)
	c := runqemu.Config{Disk: scratch, KArgs: kargs, Pcap: filepath.Join(filepath.Dir(disk), "procbench.pcap")}
	return run(c, prompt, func(s *runqemu.Session) error { return s.Send("procbench " + args + "\r") })
}

// run boots c, times it to bootRe, starts the benchmark with start (nil:
// the guest starts it itself) and collects its rows.
func run(c runqemu.Config, bootRe *regexp.Regexp, start func(*runqemu.Session) error) (*result, error) {
	port, err := runqemu.FreePort()
	if err != nil {
		return nil, err
	}
	c.Port = port
	s, err := runqemu.Start(c)
	if err != nil {
		return nil, err
	}
	defer s.Kill()
	if _, err := s.Expect(bootRe, 2*time.Minute); err != nil {
		return nil, err
	}
	r := &result{boot: time.Since(s.Started), rows: map[string]float64{}, units: map[string]string{}}
	if start != nil {
		if err := start(s); err != nil {
			return nil, err
		}
	}
	if _, err := s.Expect(done, timeout); err != nil {
		return nil, err
	}
	for _, m := range row.FindAllStringSubmatch(s.Output(), -1) {
		if m[2] == "error" {
			fmt.Fprintf(os.Stderr, "procbench: %s failed: %s\n", m[1], m[3])
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		r.rows[m[1]], r.units[m[1]] = v, m[3]
		r.order = append(r.order, m[1])
	}
	if start != nil {
		s.Send("halt\r")
		s.Wait(time.Minute)
	}
	return r, nil
}

// print writes the table. ratio is Scone/Linux of the row's figure: for
// a time (us) above 1 means Scone is slower, for MB/s below 1 does.
func print(lin, sc *result) {
	fmt.Printf("%-32s %14s %14s %8s\n", "row", "Linux", "Scone", "ratio")
	boot := func(r *result) string {
		if r.rows == nil {
			return "-" // not run
		}
		return fmt.Sprintf("%.2f", r.boot.Seconds())
	}
	bootRatio := "-"
	if lin.rows != nil && sc.rows != nil {
		bootRatio = fmt.Sprintf("%.2f", sc.boot.Seconds()/lin.boot.Seconds())
	}
	fmt.Printf("%-32s %14s %14s %8s\n", "boot-to-prompt (s)", boot(lin), boot(sc), bootRatio)
	names := lin.order
	for _, n := range sc.order {
		if _, ok := lin.rows[n]; !ok {
			names = append(names, n)
		}
	}
	for _, n := range names {
		unit := lin.units[n] + sc.units[n]
		if lin.units[n] != "" {
			unit = lin.units[n]
		}
		label := fmt.Sprintf("%s (%s)", n, unit)
		l, lok := lin.rows[n]
		s, sok := sc.rows[n]
		ratio := "-"
		if lok && sok && l > 0 {
			ratio = fmt.Sprintf("%.2f", s/l)
		}
		fmt.Printf("%-32s %14s %14s %8s\n", label, figure(l, lok, lin), figure(s, sok, sc), ratio)
	}
	fmt.Println("ratio = Scone/Linux: for us (time per operation) above 1 is slower; for MB/s below 1 is slower")
	fmt.Println("Linux: Debian's kernel, /tmp on tmpfs; Scone: /tmp on its disk file system (virtio-blk)")
}

func figure(v float64, ok bool, r *result) string {
	if r.rows == nil {
		return "-"
	}
	if !ok {
		return "failed"
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "procbench:", err)
	os.Exit(1)
}
