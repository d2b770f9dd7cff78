package fs_test

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"scone/kernel/fs"
)

// names is a small set of paths that random operations fight over, so
// that they collide: files where directories are expected, renames of a
// directory into its own subtree, links to names that come and go.
var names = []string{"/a", "/b", "/a/x", "/b/y", "/a/x/z", "/b/y/w", "/c", "/a/c", "/b/c"}

// randomOp does one random call on names. Most calls fail with ordinary
// errors (ENOENT, EEXIST, ENOTDIR...); none may fail with EUCLEAN or EIO,
// which would mean the file system hurt itself. Files opened for writing
// and directories looked up are kept in held and closed later, some after
// being removed; paths relative to them are looked up and created.
func randomOp(f *fs.FS, rng *rand.Rand, held *[]*fs.Handle) (string, error) {
	p, q := names[rng.Intn(len(names))], names[rng.Intn(len(names))]
	var err error
	op := rng.Intn(12)
	switch op {
	case 11:
		// Paths relative to a held handle, as from a working directory
		// that may have been removed or may be a file.
		if len(*held) > 0 {
			h := (*held)[rng.Intn(len(*held))]
			rel := []string{"..", "x", "../c", "../../a/x"}[rng.Intn(4)]
			if rng.Intn(2) == 0 {
				_, err = f.Stat(nil, h, rel)
			} else {
				err = f.Mkdir(nil, h, rel, 0o755)
			}
		}
	case 9:
		// A link to another name, absolute or relative: loops, chains and
		// dangling links all happen.
		target := p
		if rng.Intn(2) == 0 {
			target = strings.TrimPrefix(p, "/")
		}
		err = f.Symlink(nil, target, nil, q)
	case 10:
		_, err = f.Readlink(nil, nil, p)
		if err == nil {
			_, err = f.Stat(nil, nil, p+"/z")
		}
	case 0:
		err = f.Mkdir(nil, nil, p, 0o755)
	case 1:
		var ip *fs.Handle
		if ip, err = f.Open(nil, nil, p, fs.O_CREAT|syscall.O_RDWR, 0o644); err == nil {
			_, err = ip.WriteAt(make([]byte, rng.Intn(20000)), int64(rng.Intn(9000)))
			*held = append(*held, ip)
		}
	case 2:
		err = f.Rename(nil, nil, p, nil, q, 0)
	case 3:
		err = f.Unlink(nil, nil, p)
	case 4:
		err = f.Rmdir(nil, nil, p)
	case 5:
		err = f.Link(nil, nil, p, nil, q, false)
	case 6:
		err = f.Truncate(nil, nil, p, int64(rng.Intn(10000)))
	case 7:
		var ip *fs.Handle
		if ip, err = f.Lookup(nil, nil, p); err == nil {
			if err = ip.ReadDir(0, func(fs.DirEntry) bool { return true }); err == syscall.ENOTDIR {
				_, err = ip.ReadAt(make([]byte, 5000), 0)
			}
			*held = append(*held, ip) // a working directory, or an open file
		}
	default:
		if len(*held) > 0 {
			err = (*held)[0].Close()
			*held = (*held)[1:]
		}
	}
	return fmt.Sprintf("op %d %s %s: %v", op, p, q, err), err
}

func harmful(err error) bool { return errors.Is(err, syscall.EUCLEAN) || errors.Is(err, syscall.EIO) }

// TestRandomOps runs random colliding operations one at a time, many
// seeds, with fsck after each run; a failure prints the run.
func TestRandomOps(t *testing.T) {
	seeds := 100
	if *long {
		seeds = 2000
	}
	for seed := 0; seed < seeds; seed++ {
		f, dev := newFS(t, 2048)
		rng := rand.New(rand.NewSource(int64(seed)))
		var held []*fs.Handle
		var log []string
		for i := 0; i < 300; i++ {
			desc, err := randomOp(f, rng, &held)
			log = append(log, desc)
			if harmful(err) {
				t.Fatalf("seed %d: %s\n%s", seed, desc, strings.Join(log, "\n"))
			}
		}
		for _, ip := range held {
			ip.Close()
		}
		if r := fsck(t, f, dev); !r.OK() {
			t.Fatalf("seed %d:\n%s", seed, strings.Join(log, "\n"))
		}
	}
}

// TestConcurrentShared runs the same random operations from several
// goroutines at once: no deadlock, no harmful error, a clean fsck.
func TestConcurrentShared(t *testing.T) {
	f, dev := newFS(t, 8192)
	goroutines, ops := 8, 2000
	if *long {
		ops = 5000
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(g)))
			var held []*fs.Handle
			for i := 0; i < ops; i++ {
				if desc, err := randomOp(f, rng, &held); harmful(err) {
					t.Errorf("g%d: %s", g, desc)
					break
				}
			}
			for _, ip := range held {
				ip.Close()
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("goroutines still running after 2 minutes: deadlock?")
	}
	r := fsck(t, f, dev)
	t.Logf("%d goroutines x %d operations; %d inodes left", goroutines, ops, r.Inodes)
}
