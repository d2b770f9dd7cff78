// Package linuxguest builds the reference Linux guest that Scone is
// measured beside, from Debian's packages alone: the kernel of
// linux-image-amd64 (downloaded with apt-get and unpacked with dpkg-deb,
// not installed), driver modules in dependency order (read from each
// module's .modinfo), a static busybox (busybox-static) and an initramfs
// written here (newc cpio, gzip). tools/benchqemu uses it; a benchmark of
// other subsystems builds its own guest from the same pieces:
//
//	k, err := linuxguest.Unpack("build/linux")      // vmlinuz and modules
//	mods, err := k.Modules("e1000")                  // e1000.ko and what it needs
//	var rd linuxguest.Initramfs
//	rd.Busybox("/bin/busybox")                       // /bin/busybox, checked static
//	rd.Modules(mods)                                 // /lib/modules/*.ko and /modules (load order)
//	rd.File("init", 0o755, []byte(script))
//	err = rd.Write("build/linux/initrd.cpio.gz")
//
// and boots k.Vmlinuz with the initramfs through tools/runqemu (Loader
// and Kernel), so the QEMU command line is Scone's.
package linuxguest

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
)

// Kernel is an unpacked Debian kernel package.
type Kernel struct {
	Vmlinuz string // the bootable image
	ModDir  string // lib/modules/VERSION
}

// Unpack downloads the package linux-image-amd64 depends on into dir and
// unpacks it there, or reuses what an earlier call unpacked.
func Unpack(dir string) (*Kernel, error) {
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
	return &Kernel{Vmlinuz: vmlinuz, ModDir: moddir}, nil
}

// Modules returns the paths of the named modules and of every module they
// depend on, each after its dependencies: the order to insmod them.
func (k *Kernel) Modules(names ...string) ([]string, error) {
	return moduleOrder(k.ModDir, names)
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

// Initramfs collects the files of an initramfs.
type Initramfs struct {
	buf bytes.Buffer
	zw  *gzip.Writer
	w   cpioWriter
	err error
}

func (r *Initramfs) init() {
	if r.zw == nil {
		r.zw, _ = gzip.NewWriterLevel(&r.buf, gzip.BestSpeed)
		r.w.w = r.zw
		for _, d := range []string{"bin", "proc", "sys", "dev", "tmp", "lib", "lib/modules"} {
			r.w.dir(d)
		}
	}
}

// Dir adds a directory (its parent must have been added).
func (r *Initramfs) Dir(name string) {
	r.init()
	r.w.dir(name)
}

// File adds a regular file.
func (r *Initramfs) File(name string, perm uint32, data []byte) {
	r.init()
	r.w.file(name, perm, data)
}

// Busybox adds the static busybox at path as /bin/busybox. A dynamically
// linked one (Debian's busybox package rather than busybox-static) could
// not run without its libraries and is refused.
func (r *Initramfs) Busybox(path string) {
	bb, err := os.ReadFile(path)
	if err != nil {
		r.fail(err)
		return
	}
	if f, err := elf.NewFile(bytes.NewReader(bb)); err != nil {
		r.fail(fmt.Errorf("%s: %v", path, err))
		return
	} else if slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		r.fail(fmt.Errorf("%s is dynamically linked: install busybox-static", path))
		return
	}
	r.File("bin/busybox", 0o755, bb)
}

// Modules adds the modules as /lib/modules/NAME.ko and their names, in
// order, one a line, as /modules, for the init script to insmod.
func (r *Initramfs) Modules(paths []string) {
	var names []string
	for _, m := range paths {
		b, err := os.ReadFile(m)
		if err != nil {
			r.fail(err)
			return
		}
		r.File("lib/modules/"+filepath.Base(m), 0o644, b)
		names = append(names, filepath.Base(m))
	}
	r.File("modules", 0o644, []byte(strings.Join(names, "\n")+"\n"))
}

func (r *Initramfs) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Write finishes the archive and writes it to path.
func (r *Initramfs) Write(path string) error {
	r.init()
	r.w.trailer()
	if r.err == nil {
		r.err = r.w.err
	}
	if r.err != nil {
		return r.err
	}
	if err := r.zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, r.buf.Bytes(), 0o644)
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
