package main

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"scone/kernel/khttp"
)

// The reference Linux guest, built from Debian's packages alone: the
// kernel of linux-image-amd64 (unpacked with dpkg-deb, not installed),
// the NIC drivers from its modules, and busybox-static as init and httpd.

// linuxGuest is a bootable reference guest.
type linuxGuest struct {
	vmlinuz, initrd string
}

// moduleRoots are the drivers each NIC needs; their dependencies are
// found in each module's .modinfo section ("depends=").
var moduleRoots = []string{"e1000", "virtio_pci", "virtio_net"}

// buildLinux prepares the guest under dir (reusing what is there).
func buildLinux(dir, busybox string) (*linuxGuest, error) {
	unpacked := filepath.Join(dir, "pkg")
	if _, err := os.Stat(unpacked); err != nil {
		if err := unpackKernel(dir, unpacked); err != nil {
			return nil, err
		}
	}
	vmlinuz, err := glob1(filepath.Join(unpacked, "boot/vmlinuz-*"))
	if err != nil {
		return nil, err
	}
	moddir, err := glob1(filepath.Join(unpacked, "lib/modules/*"))
	if err != nil {
		return nil, err
	}
	mods, err := moduleOrder(moddir, moduleRoots)
	if err != nil {
		return nil, err
	}
	initrd := filepath.Join(dir, "initrd.cpio.gz")
	if err := writeInitrd(initrd, busybox, mods); err != nil {
		return nil, err
	}
	return &linuxGuest{vmlinuz: vmlinuz, initrd: initrd}, nil
}

// unpackKernel downloads the package linux-image-amd64 depends on and
// unpacks it into dst.
func unpackKernel(dir, dst string) error {
	out, err := exec.Command("apt-cache", "depends", "linux-image-amd64").Output()
	if err != nil {
		return fmt.Errorf("apt-cache depends linux-image-amd64: %v", err)
	}
	var pkg string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") {
			pkg = f[1]
		}
	}
	if pkg == "" {
		return errors.New("linux-image-amd64 names no kernel package")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command("apt-get", "download", pkg)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get download %s: %v\n%s", pkg, err, out)
	}
	deb, err := glob1(filepath.Join(dir, pkg+"_*.deb"))
	if err != nil {
		return err
	}
	tmp := dst + ".tmp"
	os.RemoveAll(tmp)
	if out, err := exec.Command("dpkg-deb", "-x", deb, tmp).CombinedOutput(); err != nil {
		return fmt.Errorf("dpkg-deb -x %s: %v\n%s", deb, err, out)
	}
	os.Remove(deb)
	return os.Rename(tmp, dst)
}

func glob1(pattern string) (string, error) {
	m, _ := filepath.Glob(pattern)
	if len(m) != 1 {
		return "", fmt.Errorf("%s: %d matches, want 1", pattern, len(m))
	}
	return m[0], nil
}

// moduleOrder finds the named modules under moddir and returns them and
// their dependencies, each after what it depends on.
func moduleOrder(moddir string, roots []string) ([]string, error) {
	paths := map[string]string{}
	filepath.WalkDir(moddir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".ko") {
			paths[strings.TrimSuffix(d.Name(), ".ko")] = p
		}
		return nil
	})
	var order []string
	seen := map[string]bool{}
	var visit func(name string, depth int) error
	visit = func(name string, depth int) error {
		name = strings.ReplaceAll(name, "-", "_")
		if seen[name] {
			return nil
		}
		if depth > 20 {
			return fmt.Errorf("module dependencies of %s too deep", name)
		}
		p, ok := paths[name]
		if !ok {
			return fmt.Errorf("module %s not found under %s", name, moddir)
		}
		deps, err := moduleDepends(p)
		if err != nil {
			return err
		}
		for _, d := range deps {
			if err := visit(d, depth+1); err != nil {
				return err
			}
		}
		seen[name] = true
		order = append(order, p)
		return nil
	}
	for _, r := range roots {
		if err := visit(r, 0); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// moduleDepends reads "depends=" from a module's .modinfo section.
func moduleDepends(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := f.Section(".modinfo")
	if s == nil {
		return nil, fmt.Errorf("%s: no .modinfo", path)
	}
	b, err := s.Data()
	if err != nil {
		return nil, err
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok && len(v) > 0 {
			return strings.Split(string(v), ","), nil
		}
	}
	return nil, nil
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
exec $B sleep 100000
`

// writeInitrd writes the guest's initramfs: busybox, the modules in
// load order, the init script, and /www with the pages the benchmark
// fetches from both guests (/bytes/N holds khttp's pattern, as Scone's
// responder sends it).
func writeInitrd(path, busybox string, mods []string) error {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	w := &cpioWriter{w: zw}
	for _, d := range []string{"bin", "proc", "sys", "dev", "lib", "lib/modules", "www", "www/bytes"} {
		w.dir(d)
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}
	if f, err := elf.NewFile(bytes.NewReader(bb)); err != nil {
		return fmt.Errorf("%s: %v", busybox, err)
	} else if slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		return fmt.Errorf("%s is dynamically linked: install busybox-static", busybox)
	}
	w.file("bin/busybox", 0o755, bb)
	w.file("init", 0o755, []byte(initScript))
	var names []string
	for _, m := range mods {
		b, err := os.ReadFile(m)
		if err != nil {
			return err
		}
		w.file("lib/modules/"+filepath.Base(m), 0o644, b)
		names = append(names, filepath.Base(m))
	}
	w.file("modules", 0o644, []byte(strings.Join(names, "\n")+"\n"))
	w.file("www/index.html", 0o644, []byte("<html><body>Linux reference guest</body></html>\n"))
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = khttp.Pattern(int64(i))
		}
		return b
	}
	for _, n := range []int{100, 1 << 20} {
		w.file(fmt.Sprintf("www/bytes/%d", n), 0o644, pattern(n))
	}
	w.file("chunk", 0o644, pattern(251*4096)) // whole periods, to repeat
	w.trailer()
	if w.err != nil {
		return w.err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// cpioWriter writes the "newc" cpio format the kernel unpacks.
type cpioWriter struct {
	w   io.Writer
	ino int
	err error
}

func (c *cpioWriter) entry(name string, mode uint32, data []byte) {
	if c.err != nil {
		return
	}
	c.ino++
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	rec := append([]byte(hdr), name...)
	rec = append(rec, 0)
	for len(rec)%4 != 0 {
		rec = append(rec, 0)
	}
	rec = append(rec, data...)
	for len(rec)%4 != 0 {
		rec = append(rec, 0)
	}
	_, c.err = c.w.Write(rec)
}

func (c *cpioWriter) dir(name string)                         { c.entry(name, 0o040755, nil) }
func (c *cpioWriter) file(name string, perm uint32, b []byte) { c.entry(name, 0o100000|perm, b) }
func (c *cpioWriter) trailer()                                { c.entry("TRAILER!!!", 0, nil) }
