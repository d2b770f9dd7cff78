// Package runqemu is the one place that knows how Scone is booted in QEMU.
// Both `make qemu` (through cmd/runqemu) and the boot tests in tests/qemu
// build their command lines here, so what a developer runs by hand is what
// the tests run.
//
// The machine: 512 MiB, TCG unless KVM is asked for, one NIC (e1000 or
// virtio-net) on QEMU's user-mode network with a host port forwarded to the
// guest's port 80, every frame dumped to a pcap file, the serial port on
// stdio, and the isa-debug-exit device at port 0xf4 so the kernel can end
// QEMU with a status.
//
// Makefile lines this package expects (the Makefile is owned by boot):
//
//	ACCEL ?= tcg
//	NIC   ?= e1000
//	PORT  ?= 25502
//	KARGS ?=
//	qemu: build
//		$(GO) build -o build/runqemu ./tools/runqemu/cmd/runqemu
//		build/runqemu -accel=$(ACCEL) -nic=$(NIC) -port=$(PORT) -kargs='$(KARGS)'
package runqemu

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Default image paths, relative to the repository root. boot's `make build`
// writes both: the 32-bit multiboot loader that QEMU's -kernel accepts, and
// the Go kernel ELF that the loader receives as its first module (-initrd).
const (
	DefaultLoader = "build/boot.elf"
	DefaultKernel = "build/kernel.elf"
	DefaultPcap   = "build/packets.pcap"
)

// DebugExitPort is the I/O port of QEMU's isa-debug-exit device. A write of
// v there ends QEMU with exit status (v<<1)|1.
const DebugExitPort = 0xf4

// Config describes one QEMU run. The zero value of every field but Root
// means the default named in its comment.
type Config struct {
	Root   string // repository root that relative paths are resolved against; "" is the current directory
	QEMU   string // emulator binary; "qemu-system-x86_64"
	Loader string // multiboot image for -kernel; DefaultLoader
	Kernel string // Go kernel ELF for -initrd; DefaultKernel
	Accel  string // "tcg" or "kvm"; "tcg"
	MemMiB int    // guest memory; 512
	NIC    string // "e1000" or "virtio"; "e1000"
	Port   int    // host TCP port forwarded to guest port 80; 25502
	Pcap   string // where filter-dump writes every frame; DefaultPcap
	KArgs  string // kernel command line
	CPU    string // -cpu model; default "host" with KVM, "qemu64,+rdrand" with TCG
	// HostFwd are more of slirp's forwarding rules, such as
	// "udp:127.0.0.1:5555-:7" (host UDP port 5555 to the guest's port 7).
	HostFwd []string
	// Disk is a raw file-system image (build/fs.img from `make rootfs`)
	// attached over virtio-blk; "" attaches none. The device is
	// transitional (1af4:1001) unless DiskModern asks for modern-only
	// (disable-legacy=on, 1af4:1042).
	Disk       string
	DiskModern bool
	// TAP attaches the NIC to this TAP interface, with vnet_hdr (so a
	// virtio-net device offers checksum offload), instead of QEMU's user
	// network; Port and HostFwd are then unused. Netns runs QEMU inside
	// that network namespace (ip netns exec), where the TAP lives.
	TAP, Netns string
	// GDB, if not 0, is the host port (on 127.0.0.1) where QEMU's gdb
	// stub listens; the CPU then waits (-S) until the debugger continues.
	GDB   int
	Extra []string
}

// withDefaults returns c with every empty field set to its default.
func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.QEMU, "qemu-system-x86_64")
	def(&c.Loader, DefaultLoader)
	def(&c.Kernel, DefaultKernel)
	def(&c.Accel, "tcg")
	def(&c.NIC, "e1000")
	def(&c.Pcap, DefaultPcap)
	if c.MemMiB == 0 {
		c.MemMiB = 512
	}
	if c.Port == 0 {
		c.Port = 25502
	}
	if c.Accel == "kvm" {
		def(&c.CPU, "host")
	} else {
		// QEMU's default TCG CPU lacks RDRAND; TCG emulates it from the
		// host's random source, which gives getrandom real entropy.
		def(&c.CPU, "qemu64,+rdrand")
	}
	return c
}

// nicDevices maps the NIC names users type to QEMU device models.
var nicDevices = map[string]string{
	"e1000":  "e1000",
	"virtio": "virtio-net-pci",
	// Modern-only: 1af4:1041, no legacy I/O BAR.
	"virtio-modern": "virtio-net-pci,disable-legacy=on",
}

// path resolves p against c.Root unless it is absolute.
func (c Config) path(p string) string {
	if filepath.IsAbs(p) || c.Root == "" {
		return p
	}
	return filepath.Join(c.Root, p)
}

// Args returns the emulator's argument list (without the binary itself).
func (c Config) Args() ([]string, error) {
	c = c.withDefaults()
	if c.Accel != "tcg" && c.Accel != "kvm" {
		return nil, fmt.Errorf("runqemu: ACCEL=%q: want tcg or kvm", c.Accel)
	}
	dev, ok := nicDevices[c.NIC]
	if !ok {
		return nil, fmt.Errorf("runqemu: NIC=%q: want e1000, virtio or virtio-modern", c.NIC)
	}
	if c.Port < 1 || c.Port > 65535 {
		return nil, fmt.Errorf("runqemu: port %d out of range", c.Port)
	}
	if c.MemMiB < 64 {
		return nil, fmt.Errorf("runqemu: %d MiB of memory is too little", c.MemMiB)
	}
	if strings.ContainsAny(c.path(c.Kernel), ", ") {
		// For a multiboot -kernel, QEMU's -initrd is a comma-separated
		// list of modules, each a path and then its own command line.
		return nil, fmt.Errorf("runqemu: kernel path %q may not contain commas or spaces", c.path(c.Kernel))
	}
	args := []string{
		"-accel", c.Accel,
		"-m", strconv.Itoa(c.MemMiB) + "M",
		"-display", "none",
		"-vga", "none",
		// A triple fault would otherwise reboot into the kernel again,
		// forever; with -no-reboot QEMU exits with status 0 instead, which
		// Result reports as "no exit status from the kernel".
		"-no-reboot",
		// The serial port and QEMU's monitor share stdio (Ctrl-A X quits,
		// Ctrl-A C is the monitor); signal=off hands Ctrl-C to the guest,
		// whose console uses it to abandon a line.
		"-chardev", "stdio,id=con0,mux=on,signal=off",
		"-serial", "chardev:con0",
		"-mon", "chardev=con0,mode=readline",
		"-device", fmt.Sprintf("isa-debug-exit,iobase=%#x,iosize=0x04", DebugExitPort),
		"-netdev", netdev(c),
		// An empty romfile skips the NIC's iPXE option ROM: ~3 s under TCG.
		"-device", dev + ",netdev=net0,romfile=",
		// maxlen: a TAP with vnet_hdr passes TSO frames of up to 64 KiB
		// plus headers, over the default snapshot length of 65,536.
		"-object", "filter-dump,id=dump0,netdev=net0,file=" + c.path(c.Pcap) + ",maxlen=131072",
		"-kernel", c.path(c.Loader),
		"-initrd", c.path(c.Kernel),
	}
	if c.CPU != "" {
		args = append(args, "-cpu", c.CPU)
	}
	if c.Disk != "" {
		if strings.Contains(c.path(c.Disk), ",") {
			return nil, fmt.Errorf("runqemu: disk path %q may not contain commas", c.path(c.Disk))
		}
		blk := "virtio-blk-pci,drive=disk0"
		if c.DiskModern {
			blk += ",disable-legacy=on"
		}
		// cache=writeback: the guest's FLUSH requests are what make
		// writes durable, as on a real disk with a write cache.
		args = append(args, "-drive", "file="+c.path(c.Disk)+",if=none,id=disk0,format=raw,cache=writeback",
			"-device", blk)
	}
	if c.KArgs != "" {
		args = append(args, "-append", c.KArgs)
	}
	if c.GDB != 0 {
		if c.GDB < 1 || c.GDB > 65535 {
			return nil, fmt.Errorf("runqemu: gdb port %d out of range", c.GDB)
		}
		args = append(args, "-gdb", fmt.Sprintf("tcp:127.0.0.1:%d", c.GDB), "-S")
	}
	return append(args, c.Extra...), nil
}

// netdev is the -netdev argument: a TAP, or the user network with the
// forwarded ports.
func netdev(c Config) string {
	if c.TAP != "" {
		return "tap,id=net0,ifname=" + c.TAP + ",script=no,downscript=no,vnet_hdr=on"
	}
	return fmt.Sprintf("user,id=net0,hostfwd=tcp::%d-:80", c.Port) + hostfwd(c.HostFwd)
}

// hostfwd formats extra forwarding rules for -netdev user.
func hostfwd(rules []string) string {
	var b strings.Builder
	for _, r := range rules {
		b.WriteString(",hostfwd=" + r)
	}
	return b.String()
}

// CheckImages reports, as one clear error, which boot images are missing.
func (c Config) CheckImages() error {
	c = c.withDefaults()
	var missing []string
	for _, p := range []string{c.Loader, c.Kernel} {
		if _, err := os.Stat(c.path(p)); err != nil {
			missing = append(missing, c.path(p))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("runqemu: boot image(s) missing: %s (run `make build` first)", strings.Join(missing, ", "))
	}
	return nil
}

// Command returns the QEMU command for c, with no standard streams attached.
func (c Config) Command() (*exec.Cmd, error) {
	args, err := c.Args()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(c.path(c.withDefaults().Pcap)), 0o755); err != nil {
		return nil, err
	}
	if c.Netns != "" {
		return exec.Command("ip", append([]string{"netns", "exec", c.Netns, c.withDefaults().QEMU}, args...)...), nil
	}
	return exec.Command(c.withDefaults().QEMU, args...), nil
}

// ErrNoExitStatus means QEMU ended without the kernel writing to the
// isa-debug-exit port: the user quit QEMU (Ctrl-A X), or a triple fault
// or a reset (see -no-reboot).
var ErrNoExitStatus = errors.New("runqemu: QEMU ended without an exit status from the kernel (quit by Ctrl-A X, or a triple fault or reset)")

// KernelStatus maps QEMU's exit status back to the status the kernel wrote
// to the isa-debug-exit port: QEMU exits with (v<<1)|1 for a write of v.
// An even status is not the kernel's: 0 is ErrNoExitStatus, any other is
// QEMU's own failure.
//
// QEMU's own start-up errors also exit 1, which reads as kernel status 0;
// Run tells the two apart by whether QEMU complained on stderr.
func KernelStatus(qemuStatus int) (int, error) {
	switch {
	case qemuStatus == 0:
		return 0, ErrNoExitStatus
	case qemuStatus&1 == 0:
		return 0, fmt.Errorf("runqemu: QEMU failed with status %d", qemuStatus)
	}
	return qemuStatus >> 1, nil
}
