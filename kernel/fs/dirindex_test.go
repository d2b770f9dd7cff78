package fs_test

import (
	"fmt"
	"math/rand"
	"sort"
	"syscall"
	"testing"

	"scone/kernel/fs"
)

// Random creates, unlinks, renames (within and between two large
// directories, over existing names) and links against a model, with the
// directory indexes bounded so that they are evicted and rebuilt: every
// lookup and every listing must match the model, and fsck must pass.
func TestDirIndex(t *testing.T) {
	defer fs.SetDirIndexNames(1000)() // less than the two directories hold
	f, dev := newFS(t, 16384)
	dirs := []string{"/a", "/b"}
	model := map[string]uint64{} // path -> inode number
	for _, d := range dirs {
		if err := f.Mkdir(nil, nil, d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	name := func(rng *rand.Rand) string {
		return fmt.Sprintf("%s/%s-%d", dirs[rng.Intn(2)], "name-of-some-length"[:1+rng.Intn(19)], rng.Intn(1500))
	}
	create := func(p string) {
		h, err := f.Open(nil, nil, p, fs.O_CREAT|fs.O_EXCL|syscall.O_RDWR, 0o644)
		if _, exists := model[p]; exists {
			if err != syscall.EEXIST {
				t.Fatalf("create existing %s: %v", p, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
		model[p] = h.Ino()
		h.Close()
	}
	rng := rand.New(rand.NewSource(3))
	for range 1500 {
		create(name(rng))
	}
	check := func(when string) {
		t.Helper()
		for p, ino := range model {
			st, err := f.Lstat(nil, nil, p)
			if err != nil || st.Ino != ino {
				t.Fatalf("%s: lstat %s: ino %d %v, want %d", when, p, st.Ino, err, ino)
			}
		}
		for _, d := range dirs {
			got := readDir(t, f, d)
			var want []string
			for p := range model {
				if p[:2] == d {
					want = append(want, p[3:])
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s: %s lists %d names, model %d", when, d, len(got), len(want))
			}
		}
	}
	check("after the creates")
	for i := range 4000 {
		p, q := name(rng), name(rng)
		_, pok := model[p]
		_, qok := model[q]
		switch rng.Intn(4) {
		case 0:
			create(p)
		case 1:
			err := f.Unlink(nil, nil, p)
			if pok != (err == nil) {
				t.Fatalf("unlink %s: %v (in model: %v)", p, err, pok)
			}
			delete(model, p)
		case 2:
			err := f.Rename(nil, nil, p, nil, q, 0)
			if pok != (err == nil) {
				t.Fatalf("rename %s %s: %v (in model: %v)", p, q, err, pok)
			}
			if pok && p != q {
				model[q] = model[p]
				delete(model, p)
			}
		case 3:
			err := f.Link(nil, nil, p, nil, q, false)
			if want := pok && !qok; want != (err == nil) {
				t.Fatalf("link %s %s: %v", p, q, err)
			}
			if err == nil {
				model[q] = model[p]
			}
		}
		if i%1000 == 999 {
			check(fmt.Sprintf("after %d steps", i+1))
		}
	}
	fsck(t, f, dev)
	var err error
	if f, err = fs.Mount(dev, fs.Options{}); err != nil {
		t.Fatal(err)
	}
	check("after a remount")
	fsck(t, f, dev)
}
