package linuxguest

import (
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readNewc lists a gzip'd newc archive: name to contents, "/" suffix for
// directories.
func readNewc(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	pad := func(n int) int { return (n + 3) &^ 3 }
	for off := 0; off < len(b); {
		h := string(b[off : off+110])
		if !strings.HasPrefix(h, "070701") {
			t.Fatalf("bad magic at %d", off)
		}
		field := func(i int) int {
			v, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			return int(v)
		}
		mode, size, namesize := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+namesize-1])
		data := off + pad(110+namesize)
		if name == "TRAILER!!!" {
			return out
		}
		if mode&0o170000 == 0o040000 {
			name += "/"
		}
		out[name] = string(b[data : data+size])
		off = data + pad(size)
	}
	t.Fatal("no trailer")
	return nil
}

func TestInitramfs(t *testing.T) {
	self, err := os.Executable() // a Go test binary: static
	if err != nil {
		t.Fatal(err)
	}
	var rd Initramfs
	rd.Busybox(self)
	rd.File("init", 0o755, []byte("#!/bin/busybox sh\n"))
	rd.Dir("www")
	rd.File("www/odd", 0o644, []byte("12345")) // needs padding
	path := filepath.Join(t.TempDir(), "initrd.cpio.gz")
	if err := rd.Write(path); err != nil {
		t.Fatal(err)
	}
	got := readNewc(t, path)
	for name, want := range map[string]string{"init": "#!/bin/busybox sh\n", "www/odd": "12345", "www/": "", "proc/": "", "lib/modules/": ""} {
		if got[name] != want {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}
	if len(got["bin/busybox"]) == 0 {
		t.Error("no bin/busybox")
	}
}

func TestDynamicBusyboxRefused(t *testing.T) {
	var rd Initramfs
	rd.Busybox("/bin/sh") // dynamically linked on Debian
	err := rd.Write(filepath.Join(t.TempDir(), "x"))
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("Write: %v, want a dynamically linked error", err)
	}
}

// module makes dir/name.ko: an ELF object whose .modinfo says depends=deps.
func module(t *testing.T, dir, name, deps string) {
	t.Helper()
	obj := filepath.Join(dir, name+".o")
	info := filepath.Join(dir, name+".info")
	if err := os.WriteFile(info, []byte("license=GPL\x00depends="+deps+"\x00name="+name+"\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{
		{"as", "-o", obj, "/dev/null"},
		{"objcopy", "--add-section", ".modinfo=" + info, obj, filepath.Join(dir, name+".ko")},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
}

// TestModuleOrder checks that every module comes after what it depends
// on (read from .modinfo), once each, with - and _ taken as one.
func TestModuleOrder(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "kernel", "drivers")
	os.MkdirAll(sub, 0o755)
	module(t, sub, "virtio", "")
	module(t, sub, "virtio_ring", "virtio")
	module(t, sub, "failover", "")
	module(t, sub, "net_failover", "failover")
	module(t, sub, "virtio_net", "virtio_ring,virtio,net-failover")
	module(t, sub, "e1000", "")
	got, err := moduleOrder(dir, []string{"e1000", "virtio_net"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".ko"))
	}
	want := "e1000 virtio virtio_ring failover net_failover virtio_net"
	if strings.Join(names, " ") != want {
		t.Errorf("order %q, want %q", strings.Join(names, " "), want)
	}
	if _, err := moduleOrder(dir, []string{"absent"}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("a missing module: %v", err)
	}
}
