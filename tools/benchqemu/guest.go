package main

import (
	"fmt"
	"path/filepath"

	"scone/kernel/khttp"
	"scone/tools/linuxguest"
)

// linuxGuest is the bootable reference guest.
type linuxGuest struct {
	vmlinuz, initrd string
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
// the init script, and /www with the files the benchmark fetches from
// both guests (/bytes/N holds khttp's pattern, as Scone's responder
// sends it).
func buildLinux(dir, busybox string) (*linuxGuest, error) {
	k, err := linuxguest.Unpack(dir)
	if err != nil {
		return nil, err
	}
	mods, err := k.Modules("e1000", "virtio_pci", "virtio_net")
	if err != nil {
		return nil, err
	}
	var rd linuxguest.Initramfs
	rd.Busybox(busybox)
	rd.Modules(mods)
	rd.File("init", 0o755, []byte(initScript))
	rd.Dir("www")
	rd.Dir("www/bytes")
	rd.File("www/index.html", 0o644, []byte("<html><body>Linux reference guest</body></html>\n"))
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = khttp.Pattern(int64(i))
		}
		return b
	}
	for _, n := range []int{100, 1 << 20} {
		rd.File(fmt.Sprintf("www/bytes/%d", n), 0o644, pattern(n))
	}
	rd.File("chunk", 0o644, pattern(251*4096)) // whole periods, to repeat
	initrd := filepath.Join(dir, "initrd.cpio.gz")
	if err := rd.Write(initrd); err != nil {
		return nil, err
	}
	return &linuxGuest{vmlinuz: k.Vmlinuz, initrd: initrd}, nil
}
