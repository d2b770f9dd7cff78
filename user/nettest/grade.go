package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"

	"scone/user/internal/procnet"
)

// maxLost is how many free pages the run may cost (the lab's 32).
const maxLost = 32

// countFree is the kernel's free memory in 4 KiB pages (/proc/meminfo's
// MemFree). The lab counts by sbrk in a child; here the kernel says.
func countFree() (int, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	m, err := procnet.ParseMeminfo(f)
	if err != nil {
		return 0, err
	}
	free, ok := m["MemFree"]
	if !ok {
		return 0, fmt.Errorf("/proc/meminfo has no MemFree")
	}
	return int(free / 4096), nil
}

func printFree() bool {
	n, err := countFree()
	if err != nil {
		fmt.Printf("free: FAILED -- %v\n", err)
		return false
	}
	fmt.Printf("free: %d pages\n", n)
	return true
}

// grade counts free pages, runs the lab's sequence in a child process
// (so everything it held is gone when it exits), and counts again.
func (c *config) grade(self string) int {
	free0, err0 := countFree()
	// The same flags, with grade-tests for grade (always the last word).
	args := append(append([]string{}, os.Args[1:len(os.Args)-1]...), "grade-tests")
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Printf("nettest: the tests' process: %v\n", err)
	}
	free1, err1 := countFree()
	switch {
	case err0 != nil || err1 != nil:
		fmt.Printf("free: FAILED -- cannot count free pages: %v\n", firstErr(err0, err1))
		return 1
	case free1+maxLost < free0:
		fmt.Printf("free: FAILED -- lost too many free pages %d (out of %d)\n", free1, free0)
		return 1
	}
	fmt.Println("free: OK")
	return 0
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// gradeTests is the lab's grade sequence. rxone's port is bound before
// txone goes out: the peer answers txone by sending rxone's datagram.
func (c *config) gradeTests() {
	rx, err := c.bind(rx2Port)
	if err != nil {
		fmt.Printf("rxone: bind: %v\n", err)
	}
	c.txone()
	if rx != nil {
		c.rxoneOn(rx)
		rx.Close()
	}
	for _, t := range []func(*config) bool{(*config).ping0, (*config).ping1, (*config).ping2, (*config).ping3, (*config).dns} {
		time.Sleep(200 * time.Millisecond) // the lab's pause(2)
		t(c)
	}
}
