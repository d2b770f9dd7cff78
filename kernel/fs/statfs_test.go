package fs_test

import (
	"math/rand"
	"testing"

	"scone/kernel/fs"
)

// StatFS answers from counters that alloc and free keep; they must agree
// with a count of the bitmaps through random operations (unlinks of open
// files, truncations, renames over files...) and after a mount that frees
// orphans.
func TestStatFSCounters(t *testing.T) {
	f, dev := newFS(t, 4096)
	if err := f.Mkdir(nil, nil, "/g0", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := f.Mkdir(nil, nil, "/shared", 0o755); err != nil {
		t.Fatal(err)
	}
	agree := func(f *fs.FS, when string) {
		t.Helper()
		st, err := f.StatFS()
		if err != nil {
			t.Fatal(err)
		}
		blocks, inodes, err := f.ScanFree()
		if err != nil {
			t.Fatal(err)
		}
		if st.FreeBlocks != blocks || st.FreeInodes != inodes {
			t.Fatalf("%s: StatFS says %d blocks, %d inodes free; the bitmaps %d, %d", when, st.FreeBlocks, st.FreeInodes, blocks, inodes)
		}
	}
	rng := rand.New(rand.NewSource(5))
	m := newModel("/g0")
	for i := range 300 {
		m.step(t, f, rng, 0)
		if i%25 == 0 {
			agree(f, "during the workload")
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	crashed := dev.Clone() // with whatever m holds open still orphaned
	agree(f, "after the workload")
	for ip := range m.open {
		ip.Close()
	}
	agree(f, "after closing")
	fsck(t, f, dev)
	g, err := fs.Mount(crashed, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	agree(g, "after recovery")
	fsck(t, g, crashed)
}
