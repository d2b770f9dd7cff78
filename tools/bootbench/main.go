// Command bootbench measures Scone's boot (`make bench-boot`): the time
// from starting QEMU to the console prompt, as the median of several runs,
// and the memory the kernel holds once booted, as its `mem` command
// reports it. It prints figures and asserts nothing.
//
//	bootbench [-runs 5] [-nic e1000|virtio] [-accel tcg|kvm] [-shell IMG]
//
// With -shell it boots from the root image IMG (a scratch copy) to the
// shell's prompt instead, printing every console line with the time since
// QEMU started, and then the time to the prompt: where the boot's time
// goes.
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"scone/tools/runqemu"
)

var (
	prompt  = regexp.MustCompile(`scone> `)
	memLine = regexp.MustCompile(`frames: (\d+) free of (\d+)`)
	heapRe  = regexp.MustCompile(`go heap: ([\d.]+) MiB in use, ([\d.]+) MiB from the OS, ([\d.]+) MiB total sys`)
)

const timeout = 60 * time.Second

// run boots once and returns the time to the prompt and the mem output.
func run(c runqemu.Config) (time.Duration, string, error) {
	port, err := runqemu.FreePort()
	if err != nil {
		return 0, "", err
	}
	c.Port = port
	s, err := runqemu.Start(c)
	if err != nil {
		return 0, "", err
	}
	defer s.Kill()
	if _, err := s.Expect(prompt, timeout); err != nil {
		return 0, "", err
	}
	took := time.Since(s.Started)
	if err := s.Send("mem\r"); err != nil {
		return 0, "", err
	}
	mem, err := s.Expect(regexp.MustCompile(`frames: [^\n]*\n[^\n]*GCs`), timeout)
	if err != nil {
		return 0, "", err
	}
	s.Send("halt\r")
	if status, err := s.Wait(timeout); err != nil || status != 0 {
		return 0, "", fmt.Errorf("halt: status %d, %v", status, err)
	}
	return took, mem, nil
}

func main() {
	runs := flag.Int("runs", 5, "number of boots")
	var c runqemu.Config
	flag.StringVar(&c.NIC, "nic", os.Getenv("NIC"), "network card: e1000 or virtio")
	flag.StringVar(&c.Accel, "accel", os.Getenv("ACCEL"), "accelerator: tcg or kvm")
	shell := flag.String("shell", "", "boot this root image to the shell and time each console line")
	flag.Parse()
	dir, err := os.MkdirTemp("", "bootbench")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	c.Pcap = dir + "/packets.pcap"
	if *shell != "" {
		for i := 0; i < *runs; i++ {
			if err := trace(c, *shell, dir); err != nil {
				fatal(err)
			}
		}
		return
	}

	var times []time.Duration
	var mem string
	for i := 0; i < *runs; i++ {
		t, m, err := run(c)
		if err != nil {
			fatal(err)
		}
		fmt.Printf("boot %d: %v to the prompt\n", i+1, t.Round(time.Millisecond))
		times = append(times, t)
		mem = m
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Printf("bench-boot: QEMU start to prompt: median %v of %d (min %v, max %v)\n",
		times[len(times)/2].Round(time.Millisecond), len(times),
		times[0].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	if m := memLine.FindStringSubmatch(mem); m != nil {
		free, _ := strconv.ParseUint(m[1], 10, 64)
		total, _ := strconv.ParseUint(m[2], 10, 64)
		fmt.Printf("bench-boot: memory held after boot: %.1f MiB (%d of %d frames)\n",
			float64((total-free)*4096)/(1<<20), total-free, total)
	}
	if m := heapRe.FindStringSubmatch(mem); m != nil {
		fmt.Printf("bench-boot: Go heap %s MiB in use, %s MiB from the OS, %s MiB runtime total\n", m[1], m[2], m[3])
	}
}

// lineOrPrompt is one console line, or the shell's prompt.
var lineOrPrompt = regexp.MustCompile(`[^\n]*\n|(?m:^)\$ `)

// trace boots a scratch copy of the root image img to the shell's prompt,
// printing each console line as it comes with the time since QEMU started.
func trace(c runqemu.Config, img, dir string) error {
	b, err := os.ReadFile(img)
	if err != nil {
		return err
	}
	c.Disk = dir + "/root.img"
	if err := os.WriteFile(c.Disk, b, 0o644); err != nil {
		return err
	}
	if c.Port, err = runqemu.FreePort(); err != nil {
		return err
	}
	s, err := runqemu.Start(c)
	if err != nil {
		return err
	}
	defer s.Kill()
	for {
		m, err := s.Expect(lineOrPrompt, timeout)
		if err != nil {
			return err
		}
		at := time.Since(s.Started)
		fmt.Printf("%7.3fs %s\n", at.Seconds(), strings.TrimRight(m, "\r\n"))
		if m == "$ " {
			fmt.Printf("bench-boot: QEMU start to the shell's prompt: %v\n", at.Round(time.Millisecond))
			break
		}
	}
	s.Send("halt\r")
	if status, err := s.Wait(timeout); err != nil || status != 0 {
		return fmt.Errorf("halt: status %d, %v", status, err)
	}
	return nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bootbench:", err)
	os.Exit(1)
}
