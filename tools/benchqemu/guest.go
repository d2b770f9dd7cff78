package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"

	"scone/kernel/khttp"
	"scone/tools/linuxguest"
)

// A guest is one system under test: how runqemu boots it and what it
// serves.
type guest struct {
	name   string // column heading
	kernel string // "linux" or "scone"
	// For Linux, the kernel and initramfs; for Scone, the root image
	// ("" boots without a disk) and the command line.
	vmlinuz, initrd string
	disk, kargs     string
	// gc reads the kernel collector's record from the guest's status
	// page; nil where there is none (Linux).
	gc func(page []byte) (gcRecord, bool)
	// milestones are boot lines on the serial console, each timed from
	// QEMU's start under its row key: where the boot's time goes.
	milestones []milestone
}

type milestone struct {
	key string
	re  *regexp.Regexp
}

// Boot milestones. Linux boots with "quiet", so its first line is its
// init script's.
var (
	sconeMilestones = []milestone{
		{"t-kernel", regexp.MustCompile(`Scone, a Go kernel`)},
		{"t-disk", regexp.MustCompile(`mounted as /`)},
		{"t-net", regexp.MustCompile(`net: eth0 \S+ router`)},
		{"t-listen", regexp.MustCompile(`httpd: serving`)},
	}
	linuxMilestones = []milestone{
		{"t-listen", regexp.MustCompile(`linux ready`)},
		{"t-64m", regexp.MustCompile(`linux 64m ready`)},
	}
)

// sizes are the /bytes/N files every guest serves: N bytes of khttp's
// pattern, as Scone's in-kernel responder sends for /bytes/N.
var sizes = []int{100, 1 << 20, 64 << 20}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = khttp.Pattern(int64(i))
	}
	return b
}

// initScript brings the network up as Scone's e1000 test does (static
// 10.0.2.15/24 via 10.0.2.2), announces the guest to slirp with one ping
// (slirp learns the guest's MAC from its first packet) and serves /www.
const initScript = `#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
for m in $($B cat /modules); do $B insmod /lib/modules/$m; done
$B ip link set lo up
$B ip addr add 10.0.2.15/24 dev eth0
$B ip link set eth0 up
$B ip route add default via 10.0.2.2
$B httpd -p 80 -h /www
$B ping -c 1 -W 1 10.0.2.2 >/dev/null 2>&1
echo linux ready
# /www/bytes/67108864 from whole periods of the pattern, made after
# httpd starts so that unpacking 64 MiB does not slow the boot.
for i in $($B seq 66); do $B cat /chunk; done | $B head -c 67108864 > /www/bytes/.64m
$B mv /www/bytes/.64m /www/bytes/67108864
echo linux 64m ready
exec $B sleep 1000000
`

// buildLinux prepares the guest under dir: both NICs' drivers, busybox,
// the init script, and /www with the files the benchmark fetches.
func buildLinux(dir, busybox string) (guest, error) {
	k, err := linuxguest.Unpack(dir)
	if err != nil {
		return guest{}, err
	}
	mods, err := k.Modules("e1000", "virtio_pci", "virtio_net")
	if err != nil {
		return guest{}, err
	}
	var rd linuxguest.Initramfs
	rd.Busybox(busybox)
	rd.Modules(mods)
	rd.File("init", 0o755, []byte(initScript))
	rd.Dir("www")
	rd.Dir("www/bytes")
	rd.File("www/index.html", 0o644, []byte("<html><body>Linux reference guest</body></html>\n"))
	for _, n := range sizes[:2] {
		rd.File(fmt.Sprintf("www/bytes/%d", n), 0o644, pattern(n))
	}
	rd.File("chunk", 0o644, pattern(251*4096)) // whole periods, to repeat
	initrd := filepath.Join(dir, "initrd.cpio.gz")
	if err := rd.Write(initrd); err != nil {
		return guest{}, err
	}
	return guest{name: "Linux", kernel: "linux", vmlinuz: k.Vmlinuz, initrd: initrd,
		kargs: "console=ttyS0 quiet", milestones: linuxMilestones}, nil
}

// rc is the Scone image's /etc/rc: init runs it before the shell, so
// httpd serves from boot. -q: a request log on the serial console would
// measure the UART.
const rc = "httpd -q &\n"

// buildScone makes a root image under dir: the staged root tree of `make
// rootfs` (root, with /bin), /etc/rc starting httpd, and
// /www/bytes/N. It is a copy: the developer's build/fs.img is untouched.
func buildScone(dir, root string) (guest, error) {
	if _, err := os.Stat(filepath.Join(root, "bin/httpd")); err != nil {
		return guest{}, fmt.Errorf("%v (run `make rootfs` first)", err)
	}
	stage := filepath.Join(dir, "root")
	os.RemoveAll(stage)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return guest{}, err
	}
	if out, err := exec.Command("cp", "-a", root, stage).CombinedOutput(); err != nil {
		return guest{}, fmt.Errorf("cp -a %s %s: %v\n%s", root, stage, err, out)
	}
	files := map[string][]byte{"etc/rc": []byte(rc)}
	for _, n := range sizes {
		files[fmt.Sprintf("www/bytes/%d", n)] = pattern(n)
	}
	for name, b := range files {
		p := filepath.Join(stage, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return guest{}, err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return guest{}, err
		}
	}
	img := filepath.Join(dir, "fs.img")
	mkfs := exec.Command("go", "run", "./tools/mkfs", "-o", img, "-size", "256M", stage)
	if out, err := mkfs.CombinedOutput(); err != nil {
		return guest{}, fmt.Errorf("mkfs: %v\n%s", err, out)
	}
	os.RemoveAll(stage)
	return guest{name: "Scone", kernel: "scone", disk: img, gc: httpdGC, milestones: sconeMilestones}, nil
}

// responder is Scone without a disk, serving from the kernel (KARGS=serve,
// kernel/khttp): the network stack without the process layer.
func responder() guest {
	return guest{name: "Scone khttp", kernel: "scone", kargs: "serve", gc: khttpGC,
		milestones: []milestone{sconeMilestones[0], sconeMilestones[2]}}
}
