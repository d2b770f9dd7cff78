package procfs

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"scone/kernel/file"
)

// sysFake is a Provider that also lists mounts and accounts CPU time.
type sysFake struct {
	fake
	ns *file.Namespace
}

func (s sysFake) Mounts() []file.MountPoint { return s.ns.Mounts() }
func (sysFake) CPU() CPU {
	return CPU{User: 12340 * time.Millisecond, System: 560 * time.Millisecond, Boot: time.Unix(1764900000, 0)}
}

// TestProcMountsAndStat reads /proc/mounts (the namespace's mounts in
// the order made, df and mount parse it) and /proc/stat (top's cpu line:
// idle is the uptime the user threads did not take).
func TestProcMountsAndStat(t *testing.T) {
	root := &file.TreeNode{Ino: 1, Mode: file.S_IFDIR | 0o755}
	root.Entries = func() []file.TreeEntry {
		return []file.TreeEntry{{Name: "proc", Node: &file.TreeNode{Ino: 2, Mode: file.S_IFDIR | 0o755, Entries: func() []file.TreeEntry { return nil }}}}
	}
	rootFS := file.NewTreeFS(root)
	rootFS.About = file.FSInfo{Source: "rootfs", Type: "rootfs"}
	ns, err := file.NewNamespace(rootFS)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Mount("/proc/", New(sysFake{fake{map[int]Process{}}, ns})); err != nil {
		t.Fatal(err)
	}
	c := ns.NewContext()
	for path, want := range map[string]string{
		"/proc/mounts": "rootfs / rootfs ro 0 0\nproc /proc proc ro 0 0\n",
		// uptime 83.456 s: 1234 + 56 ticks busy, 8345 - 1290 idle.
		"/proc/stat": "cpu  1234 0 56 7055 0 0 0 0 0 0\ncpu0 1234 0 56 7055 0 0 0 0 0 0\nbtime 1764900000\n",
	} {
		if got, err := readAll(t, c, path); err != nil || got != want {
			t.Errorf("%s = %q, %v\nwant %q", path, got, err, want)
		}
	}
	// Without the optional interfaces the files are not there.
	ns2, _ := file.NewNamespace(file.NewTreeFS(root))
	ns2.Mount("/proc", New(fake{map[int]Process{}}))
	for _, path := range []string{"/proc/mounts", "/proc/stat"} {
		if _, err := readAll(t, ns2.NewContext(), path); err == nil {
			t.Errorf("%s exists without a provider", path)
		}
	}
}

// fdFake is a Provider whose process 7 has descriptors 0 (read), 1
// (write) and 5 (both).
type fdFake struct{ fake }

func (fdFake) FDs(pid int) ([]FD, bool) {
	if pid != 7 {
		return nil, false
	}
	return []FD{{0, file.O_RDONLY}, {1, file.O_WRONLY}, {5, file.O_RDWR}}, true
}

func (fdFake) FDPath(caller, pid, fd int) (string, error) {
	if fd == 5 {
		return "", syscall.EBADF // closed since the listing
	}
	return fmt.Sprintf("/dev/tty%d-seen-by-%d", fd, caller), nil
}

// TestProcFD lists /proc/PID/fd, whose links' permissions show the
// access mode and whose targets are asked for as the reader.
func TestProcFD(t *testing.T) {
	root := &file.TreeNode{Ino: 1, Mode: file.S_IFDIR | 0o755}
	root.Entries = func() []file.TreeEntry {
		return []file.TreeEntry{{Name: "proc", Node: &file.TreeNode{Ino: 2, Mode: file.S_IFDIR | 0o755, Entries: func() []file.TreeEntry { return nil }}}}
	}
	ns, err := file.NewNamespace(file.NewTreeFS(root))
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Mount("/proc", New(fdFake{fake{map[int]Process{7: sh()}}})); err != nil {
		t.Fatal(err)
	}
	c := ns.NewContext()
	c.SetPID(3)
	d, err := c.Open(file.Location{}, "/proc/7/fd", file.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	d.ReadDir(func(e file.Dirent) bool { names = append(names, e.Name); return true })
	d.DecRef()
	if got := strings.Join(names, " "); got != ". .. 0 1 5" {
		t.Errorf("ls /proc/7/fd = %q", got)
	}
	for name, mode := range map[string]uint32{"0": 0o500, "1": 0o300, "5": 0o700} {
		st, err := c.Stat(file.Location{}, "/proc/7/fd/"+name, false)
		if err != nil || st.Mode != file.S_IFLNK|mode {
			t.Errorf("lstat fd %s: mode %o, %v; want %o", name, st.Mode, err, file.S_IFLNK|mode)
		}
	}
	if got, err := c.Readlink(file.Location{}, "/proc/7/fd/1"); got != "/dev/tty1-seen-by-3" || err != nil {
		t.Errorf("readlink fd 1 = %q, %v", got, err)
	}
	if _, err := c.Readlink(file.Location{}, "/proc/7/fd/5"); err != syscall.ENOENT {
		t.Errorf("readlink of a descriptor closed since the listing: %v, want ENOENT", err)
	}
	if _, err := c.Readlink(file.Location{}, "/proc/7/fd/2"); err != syscall.ENOENT {
		t.Errorf("readlink of a descriptor not open: %v, want ENOENT", err)
	}
}
