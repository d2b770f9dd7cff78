// Command runqemu boots Scone in QEMU with the serial console on this
// terminal and exits with the kernel's exit status. `make qemu` runs it.
//
//	runqemu [-accel tcg|kvm] [-nic e1000|virtio] [-port 25502] [-kargs "..."] [-hostfwd rule,...] [-disk build/fs.img] [-gdb PORT]
//
// Each flag defaults to the environment variable of the same name in
// capitals (ACCEL, NIC, PORT, KARGS, DISK), then to the defaults of package
// runqemu. Quit QEMU by hand with Ctrl-A X.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"scone/tools/runqemu"
)

func main() {
	port, _ := strconv.Atoi(os.Getenv("PORT"))
	var c runqemu.Config
	flag.StringVar(&c.Accel, "accel", os.Getenv("ACCEL"), "accelerator: tcg or kvm")
	flag.StringVar(&c.NIC, "nic", os.Getenv("NIC"), "network card: e1000 or virtio")
	flag.IntVar(&c.Port, "port", port, "host TCP port forwarded to the guest's port 80")
	flag.StringVar(&c.KArgs, "kargs", os.Getenv("KARGS"), "kernel command line")
	flag.StringVar(&c.Loader, "loader", "", "multiboot loader image (default "+runqemu.DefaultLoader+")")
	flag.StringVar(&c.Kernel, "kernel", "", "kernel ELF (default "+runqemu.DefaultKernel+")")
	flag.StringVar(&c.Pcap, "pcap", "", "packet dump (default "+runqemu.DefaultPcap+")")
	flag.StringVar(&c.Disk, "disk", os.Getenv("DISK"), "raw file-system image to attach over virtio-blk (none if empty)")
	flag.BoolVar(&c.DiskModern, "disk-modern", false, "attach the disk as a modern-only virtio device (disable-legacy=on)")
	flag.IntVar(&c.GDB, "gdb", 0, "wait for a debugger on this 127.0.0.1 `port` before the first instruction (0: no)")
	hostfwd := flag.String("hostfwd", "", "more of slirp's forwarding `rules`, comma-separated, such as tcp::25513-:13")
	dry := flag.Bool("n", false, "print the QEMU command line and exit")
	flag.Parse()
	if *hostfwd != "" {
		c.HostFwd = strings.Split(*hostfwd, ",")
	}

	cmd, err := c.Command()
	if err != nil {
		fatal(err)
	}
	if *dry {
		fmt.Println(cmd.String())
		return
	}
	if err := c.CheckImages(); err != nil {
		fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	status, err := runqemu.Status(cmd.Run(), stderr.String())
	if err != nil {
		fatal(err)
	}
	os.Exit(status)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(125)
}
