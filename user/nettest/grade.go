package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// maxLost is how many pages the run may leave held in the network path
// (the lab's 32).
const maxLost = 32

// countFree counts the pages the kernel's network path holds, from
// /proc/net/sockstat: TCP's and UDP's queue memory (already in pages, as
// on Linux) and the IP reassembly queue's bytes. The lab counts kalloc's
// free pages, and in xv6 the network path's buffers are kalloc pages;
// Scone's are in these queues (the drivers' rings are fixed at boot), so
// this is the same measure without the file cache and kernel heap
// growth that /proc/meminfo's MemFree also moves by. It returns the
// pages held, negated, so that "fewer free" still means "more held".
func countFree() (int, error) {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return 0, err
	}
	held := 0
	for _, want := range []struct{ proto, field string }{{"TCP:", "mem"}, {"UDP:", "mem"}, {"FRAG:", "memory"}} {
		n, err := sockstatField(string(b), want.proto, want.field)
		if err != nil {
			return 0, err
		}
		if want.proto == "FRAG:" {
			n = (n + 4095) / 4096
		}
		held += n
	}
	return -held, nil
}

// sockstatField returns the number after field on the line of proto.
func sockstatField(s, proto, field string) (int, error) {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != proto {
			continue
		}
		for i := 1; i+1 < len(f); i += 2 {
			if f[i] == field {
				return strconv.Atoi(f[i+1])
			}
		}
	}
	return 0, fmt.Errorf("/proc/net/sockstat has no %s %s", proto, field)
}

func printFree() bool {
	n, err := countFree()
	if err != nil {
		fmt.Printf("free: FAILED -- %v\n", err)
		return false
	}
	fmt.Printf("free: %d pages held by the network path\n", -n)
	return true
}

// grade counts the network path's pages, runs the lab's sequence in a child process
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
		fmt.Printf("free: FAILED -- lost too many free pages: the network path holds %d pages, %d before\n", -free1, -free0)
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
