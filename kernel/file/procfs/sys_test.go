package procfs

import (
	"context"
	"syscall"
	"testing"

	"scone/kernel/file"
)

// dropFake is a Provider that records drop_caches writes.
type dropFake struct {
	fake
	got *[]int
}

func (d dropFake) DropCaches(what int) { *d.got = append(*d.got, what) }

// TestDropCaches: /proc/sys/vm/drop_caches takes 1-4 as Linux does,
// refuses anything else with EINVAL, and cannot be opened for reading.
func TestDropCaches(t *testing.T) {
	var got []int
	root := &file.TreeNode{Ino: 1, Mode: file.S_IFDIR | 0o755}
	root.Entries = func() []file.TreeEntry {
		return []file.TreeEntry{{Name: "proc", Node: &file.TreeNode{Ino: 2, Mode: file.S_IFDIR | 0o755, Entries: func() []file.TreeEntry { return nil }}}}
	}
	ns, err := file.NewNamespace(file.NewTreeFS(root))
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Mount("/proc", New(dropFake{fake{map[int]Process{}}, &got})); err != nil {
		t.Fatal(err)
	}
	c := ns.NewContext()
	const path = "/proc/sys/vm/drop_caches"
	if _, err := c.Open(file.Location{}, path, file.O_RDONLY, 0); err != syscall.EACCES {
		t.Errorf("open for reading: %v, want EACCES", err)
	}
	d, err := c.Open(file.Location{}, path, file.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.DecRef()
	if st, err := d.Stat(); err != nil || st.Mode != file.S_IFREG|0o200 {
		t.Errorf("stat: mode %#o, %v", st.Mode, err)
	}
	for _, tc := range []struct {
		in  string
		err error
	}{
		{"3\n", nil}, {"1", nil}, {" 2 \n", nil}, {"4", nil},
		{"0", syscall.EINVAL}, {"5", syscall.EINVAL}, {"x", syscall.EINVAL}, {"", syscall.EINVAL}, {"-1", syscall.EINVAL},
	} {
		n, err := d.Write(context.Background(), []byte(tc.in))
		if err != tc.err || (err == nil && n != len(tc.in)) {
			t.Errorf("write %q = %d, %v; want %v", tc.in, n, err, tc.err)
		}
	}
	if want := []int{3, 1, 2, 4}; len(got) != len(want) || got[0] != 3 || got[1] != 1 || got[2] != 2 || got[3] != 4 {
		t.Errorf("drops %v, want %v", got, want)
	}
}
