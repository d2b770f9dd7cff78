// Command procbench runs user/procbench on Scone and on the reference
// Linux guest under the same QEMU command line (`make bench-proc`) and
// prints one table: each row's Linux and Scone figures and their ratio,
// plus the time from QEMU's start to Scone's shell prompt and to the Linux
// guest's ready line. It prints figures and asserts nothing.
//
//	procbench [-dir build/linux] [-bin build/root/bin/procbench] [-disk build/fs.img]
//	          [-guests linux,scone] [-run REGEXP] [-kargs ARGS] [-args ARGS]
//	          [-kernel build/kernel.elf] [-before OLD.elf]
//
// -guests picks the guests to run (a missing one prints "-"), -run the
// rows (procbench's own -run), -kargs Scone's kernel command line (the
// word tripstat makes it print where trips to ring 3 spend their time),
// -args more arguments for procbench in both guests (such as -scale 0.1).
// -before boots a second Scone kernel (an older build) on the same image
// in the same sitting and adds its column and Scone's ratio to it.  Each
// guest's console goes to a .log file beside its kernel's image name in
// the image's directory.
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
	extra := flag.String("args", "", "more arguments for procbench in both guests, such as -scale 0.1")
	kernel := flag.String("kernel", runqemu.DefaultKernel, "Scone's kernel ELF")
	before := flag.String("before", "", "an older Scone kernel ELF to run too, for a before/after column")
	flag.Parse()
	if _, err := regexp.Compile(*only); err != nil {
		fatal(err)
	}
	args := "-dir /tmp " + *extra
	if *only != "" {
		args += " -run '" + *only + "'"
	}

	lin, old, sc := &result{}, &result{}, &result{}
	var err error
	if strings.Contains(*guests, "linux") {
		if lin, err = runLinux(*dir, *bin, args); err != nil {
			fatal(fmt.Errorf("linux: %v", err))
		}
	}
	if strings.Contains(*guests, "scone") {
		if *before != "" {
			if old, err = runScone(*disk, *before, args, *kargs); err != nil {
				fatal(fmt.Errorf("scone (before): %v", err))
			}
		}
		if sc, err = runScone(*disk, *kernel, args, *kargs); err != nil {
			fatal(fmt.Errorf("scone: %v", err))
		}
	}
	cols := []column{{"Linux", lin}}
	if *before != "" {
		cols = append(cols, column{"Scone before", old})
	}
	print(append(cols, column{"Scone", sc}))
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

func runScone(disk, kernel, args, kargs string) (*result, error) {
	scratch := filepath.Join(filepath.Dir(disk), "procbench-fs.img")
	b, err := os.ReadFile(disk)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(scratch, b, 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(scratch)
	c := runqemu.Config{Kernel: kernel, Disk: scratch, KArgs: kargs, Pcap: filepath.Join(filepath.Dir(disk), "procbench.pcap")}
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
	_, err = s.Expect(done, timeout)
	if start != nil {
		s.Send("halt\r")
		s.Wait(time.Minute)
	}
	// The whole console, for what the kernel said (tripstat, errors).
	log := filepath.Join(filepath.Dir(c.Pcap), strings.TrimSuffix(filepath.Base(c.Kernel), ".elf")+".log")
	os.WriteFile(log, []byte(s.Output()), 0o644)
	if err != nil {
		return nil, fmt.Errorf("%v (console in %s)", err, log)
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
	return r, nil
}

// column is one guest's figures in the table.
type column struct {
	name string
	r    *result
}

// print writes the table: a column per guest, then the ratio of the last
// (Scone) to each other one.  For a time (us) above 1 means Scone is
// slower, for MB/s below 1 does.
func print(cols []column) {
	last := cols[len(cols)-1].r
	others := cols[:len(cols)-1]
	fmt.Printf("%-32s", "row")
	for _, c := range cols {
		fmt.Printf(" %14s", c.name)
	}
	for _, c := range others {
		fmt.Printf(" %10s", "/"+strings.TrimPrefix(c.name, "Scone "))
	}
	fmt.Println()
	ratio := func(s, v float64, ok bool) string {
		if !ok || v <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", s/v)
	}
	fmt.Printf("%-32s", "boot-to-prompt (s)")
	for _, c := range cols {
		b := "-" // not run
		if c.r.rows != nil {
			b = fmt.Sprintf("%.2f", c.r.boot.Seconds())
		}
		fmt.Printf(" %14s", b)
	}
	for _, c := range others {
		fmt.Printf(" %10s", ratio(last.boot.Seconds(), c.r.boot.Seconds(), c.r.rows != nil && last.rows != nil))
	}
	fmt.Println()
	var names []string
	seen := map[string]bool{}
	for _, c := range cols {
		for _, n := range c.r.order {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	for _, n := range names {
		unit := ""
		for _, c := range cols {
			if u := c.r.units[n]; u != "" && unit == "" {
				unit = u
			}
		}
		fmt.Printf("%-32s", fmt.Sprintf("%s (%s)", n, unit))
		for _, c := range cols {
			v, ok := c.r.rows[n]
			fmt.Printf(" %14s", figure(v, ok, c.r))
		}
		s, sok := last.rows[n]
		for _, c := range others {
			v, ok := c.r.rows[n]
			fmt.Printf(" %10s", ratio(s, v, ok && sok))
		}
		fmt.Println()
	}
	fmt.Println("ratios = Scone over each other column: for us (time per operation) above 1 is slower; for MB/s below 1 is slower")
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
