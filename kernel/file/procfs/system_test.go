package procfs

import (
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
