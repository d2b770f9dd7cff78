package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
)

// A names is one directory workload, run on kernel/fs and on the host's
// file system in a temporary directory, for the same numbers beside each
// other. Neither side syncs: this measures the directory structures, not
// the disk.
type names interface {
	mkdir(p string) error
	create(p string) error
	stat(p string) error
	readdir(p string) (int, error)
	unlink(p string) error
}

type ours struct{ f *fs.FS }

func (o ours) mkdir(p string) error { return o.f.Mkdir(nil, nil, p, 0o755) }
func (o ours) create(p string) error {
	h, err := o.f.Open(nil, nil, p, fs.O_CREAT|fs.O_EXCL|syscall.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	return h.Close()
}
func (o ours) stat(p string) error   { _, err := o.f.Stat(nil, nil, p); return err }
func (o ours) unlink(p string) error { return o.f.Unlink(nil, nil, p) }
func (o ours) readdir(p string) (int, error) {
	h, err := o.f.Open(nil, nil, p, fs.O_RDONLY|fs.O_DIRECTORY, 0)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	n := 0
	err = h.ReadDir(0, func(fs.DirEntry) bool { n++; return true })
	return n - 2, err // not "." and ".."
}

type host struct{ root string }

func (h host) mkdir(p string) error { return os.Mkdir(h.root+p, 0o755) }
func (h host) create(p string) error {
	f, err := os.OpenFile(h.root+p, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}
func (h host) stat(p string) error   { _, err := os.Lstat(h.root + p); return err }
func (h host) unlink(p string) error { return os.Remove(h.root + p) }
func (h host) readdir(p string) (int, error) {
	es, err := os.ReadDir(h.root + p)
	return len(es), err
}

// dirBench prints, for each size, the time per create, stat, readdir
// entry and unlink in one directory of that many names; then 8 goroutines
// creating in 8 directories against 1 in one, total creates in all.
func dirBench(sizes []int, total int) error {
	fmt.Printf("one directory of N names, µs per operation (readdir: per entry); no fsync on either side\n")
	fmt.Printf("%8s | %8s %8s %8s %8s | %8s %8s %8s %8s\n", "N", "create", "stat", "readdir", "unlink", "host cr", "host st", "host rd", "host ul")
	for _, n := range sizes {
		var row [2][4]float64
		for side := range 2 {
			w, done, err := newSide(side, n)
			if err != nil {
				return err
			}
			r, err := oneDir(w, n)
			if cerr := done(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			row[side] = r
		}
		fmt.Printf("%8d | %8.1f %8.1f %8.2f %8.1f | %8.1f %8.1f %8.2f %8.1f\n", n,
			row[0][0], row[0][1], row[0][2], row[0][3], row[1][0], row[1][1], row[1][2], row[1][3])
	}
	fmt.Printf("%d creates: ops/s with 1 goroutine in 1 directory, and 8 goroutines in 8 directories\n", total)
	for side, label := range []string{"kernel/fs", "host"} {
		var rates [2]float64
		for k, jobs := range []int{1, 8} {
			w, done, err := newSide(side, total)
			if err != nil {
				return err
			}
			d, err := spread(w, total, jobs)
			if cerr := done(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			rates[k] = float64(total) / d.Seconds()
		}
		fmt.Printf("%-10s %10.0f ops/s (1)  %10.0f ops/s (8)\n", label, rates[0], rates[1])
	}
	return nil
}

// newSide returns a fresh file system for n names: ours on a temporary
// image (side 0) or a temporary host directory (side 1).
func newSide(side, n int) (names, func() error, error) {
	dir, err := os.MkdirTemp("", "fsbench-dirs")
	if err != nil {
		return nil, nil, err
	}
	if side == 1 {
		return host{dir}, func() error { return os.RemoveAll(dir) }, nil
	}
	nblocks := uint64(n)/8 + 16384 // inodes, directory blocks, and room
	dev, err := fsdev.CreateFile(filepath.Join(dir, "fs.img"), nblocks)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	dev.NoSync = true
	f, err := func() (*fs.FS, error) {
		if _, err := fs.Format(dev, fs.FormatOptions{Inodes: uint32(n + 1024)}); err != nil {
			return nil, err
		}
		return fs.Mount(dev, fs.Options{})
	}()
	if err != nil {
		dev.Close()
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return ours{f}, func() error {
		err := f.Unmount()
		dev.Close()
		os.RemoveAll(dir)
		return err
	}, nil
}

// oneDir runs the four phases on n names in /d and returns µs per
// operation of each.
func oneDir(w names, n int) ([4]float64, error) {
	var r [4]float64
	if err := w.mkdir("/d"); err != nil {
		return r, err
	}
	name := func(i int) string { return fmt.Sprintf("/d/file-%07d", i) }
	phase := func(k int, fn func(int) error) error {
		start := time.Now()
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		r[k] = float64(time.Since(start).Microseconds()) / float64(n)
		return nil
	}
	if err := phase(0, func(i int) error { return w.create(name(i)) }); err != nil {
		return r, err
	}
	if err := phase(1, func(i int) error { return w.stat(name((i * 7919) % n)) }); err != nil {
		return r, err
	}
	start := time.Now()
	got, err := w.readdir("/d")
	if err != nil {
		return r, err
	}
	if got != n {
		return r, fmt.Errorf("readdir: %d names, want %d", got, n)
	}
	r[2] = float64(time.Since(start).Microseconds()) / float64(n)
	err = phase(3, func(i int) error { return w.unlink(name((i * 7919) % n)) })
	return r, err
}

// spread creates total names with jobs goroutines, each in a directory of
// its own.
func spread(w names, total, jobs int) (time.Duration, error) {
	for j := range jobs {
		if err := w.mkdir(fmt.Sprintf("/d%d", j)); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, jobs)
	for j := range jobs {
		wg.Go(func() {
			for i := j; i < total; i += jobs {
				if err := w.create(fmt.Sprintf("/d%d/f%07d", j, i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return time.Since(start), <-errs
}
