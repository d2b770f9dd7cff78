// Command bootbench measures Scone's boot (`make bench-boot`): the time
// from starting QEMU to the console prompt, as the median of several runs,
// and the memory the kernel holds once booted, as its `mem` command
// reports it. It prints figures and asserts nothing.
//
//	bootbench [-runs 5] [-nic e1000|virtio] [-accel tcg|kvm]
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
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
	flag.Parse()
	dir, err := os.MkdirTemp("", "bootbench")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	c.Pcap = dir + "/packets.pcap"

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

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bootbench:", err)
	os.Exit(1)
}
