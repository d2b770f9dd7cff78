// Command fsbench measures kernel/fs on the host over a file-backed
// device: create many small files, write and read back a large file,
// delete everything. It prints operations/s and MB/s; it asserts nothing.
//
//	go run ./tools/fsbench [-files 10000] [-big 256M] [-j 1] [-nosync] [-commit 5s]
//	go run ./tools/fsbench -dirs 1000,10000,100000
//
// With -dirs it measures directories instead: create, stat, readdir and
// unlink per operation in one directory of each size, and 8 goroutines in
// separate directories against 1, each beside the same workload on the
// host's own file system in a temporary directory.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
)

func main() {
	files := flag.Int("files", 10000, "small files to create and delete")
	small := flag.Int("small", 1024, "bytes in each small file")
	bigMiB := flag.Int("big", 256, "size of the large file, MiB")
	jobs := flag.Int("j", 1, "goroutines creating and deleting small files")
	nosync := flag.Bool("nosync", false, "make Flush a no-op (no fsync at journal barriers)")
	commit := flag.Duration("commit", 0, "the journal's commit interval (Options.CommitInterval; the kernel's root uses 5s)")
	img := flag.String("img", "", "image file (default: a temporary file, removed after)")
	dirs := flag.String("dirs", "", "comma-separated directory sizes: run the directory benchmark instead")
	flag.Parse()
	if *dirs != "" {
		var sizes []int
		for _, f := range strings.Split(*dirs, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n <= 0 {
				fmt.Fprintln(os.Stderr, "fsbench: bad -dirs size", f)
				os.Exit(2)
			}
			sizes = append(sizes, n)
		}
		if err := dirBench(sizes, 10000); err != nil {
			fmt.Fprintln(os.Stderr, "fsbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*img, *files, *small, *bigMiB, *jobs, *nosync, *commit); err != nil {
		fmt.Fprintln(os.Stderr, "fsbench:", err)
		os.Exit(1)
	}
}

func run(img string, files, small, bigMiB, jobs int, nosync bool, commit time.Duration) error {
	if img == "" {
		dir, err := os.MkdirTemp("", "fsbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		img = filepath.Join(dir, "fs.img")
	}
	need := uint64(bigMiB)<<20 + uint64(files)*uint64(small+fs.BlockSize)*2 + 64<<20
	dev, err := fsdev.CreateFile(img, need/fs.BlockSize)
	if err != nil {
		return err
	}
	defer dev.Close()
	dev.NoSync = nosync
	if _, err := fs.Format(dev, fs.FormatOptions{Inodes: uint32(files + 1024)}); err != nil {
		return err
	}
	f, err := fs.Mount(dev, fs.Options{CommitInterval: commit})
	if err != nil {
		return err
	}
	fmt.Printf("fsbench: %d MiB image on %s, fsync at barriers: %v, %d goroutine(s), commit interval %v\n", need>>20, img, !nosync, jobs, commit)

	payload := make([]byte, small)
	for i := range payload {
		payload[i] = byte(i)
	}
	if err := f.Mkdir(nil, nil, "/small", 0o755); err != nil {
		return err
	}
	before := f.Stats()
	d, err := parallel(files, jobs, func(i int) error {
		ip, err := f.Open(nil, nil, fmt.Sprintf("/small/f%05d", i), fs.O_CREAT|fs.O_EXCL|syscall.O_RDWR, 0o644)
		if err != nil {
			return err
		}
		defer ip.Close()
		_, err = ip.WriteAt(payload, 0)
		return err
	}, f)
	if err != nil {
		return err
	}
	st := f.Stats()
	report(fmt.Sprintf("create %d files of %d B", files, small), files, 0, d)
	fmt.Printf("    %d operations in %d commits (%.1f per commit)\n", st.Ops-before.Ops, st.Commits-before.Commits,
		float64(st.Ops-before.Ops)/float64(max(1, st.Commits-before.Commits)))

	big := int64(bigMiB) << 20
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	ip, err := f.Open(nil, nil, "/big", fs.O_CREAT|syscall.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	start := time.Now()
	for off := int64(0); off < big; off += int64(len(chunk)) {
		if _, err := ip.WriteAt(chunk, off); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	report(fmt.Sprintf("write %d MiB file", bigMiB), 0, big, time.Since(start))
	start = time.Now()
	for off := int64(0); off < big; off += int64(len(chunk)) {
		if n, err := ip.ReadAt(chunk, off); err != nil || n != len(chunk) {
			return fmt.Errorf("read at %d: %d, %v", off, n, err)
		}
		if chunk[1] != 7 {
			return fmt.Errorf("read at %d: wrong data", off)
		}
	}
	report(fmt.Sprintf("read %d MiB file", bigMiB), 0, big, time.Since(start))
	ip.Close()

	d, err = parallel(files, jobs, func(i int) error {
		return f.Unlink(nil, nil, fmt.Sprintf("/small/f%05d", i))
	}, f)
	if err != nil {
		return err
	}
	start = time.Now()
	if err := f.Unlink(nil, nil, "/big"); err != nil {
		return err
	}
	if err := f.Rmdir(nil, nil, "/small"); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	d += time.Since(start)
	report("delete everything", files+2, 0, d)
	st = f.Stats()
	fmt.Printf("    cache: %d hits, %d misses\n", st.CacheHits, st.CacheMisses)
	return f.Unmount()
}

// parallel runs fn(0..n-1) on jobs goroutines, then Sync, and times it all.
func parallel(n, jobs int, fn func(int) error, f *fs.FS) (time.Duration, error) {
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, jobs)
	for j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := j; i < n; i += jobs {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	err := f.Sync()
	return time.Since(start), err
}

func report(what string, ops int, bytes int64, d time.Duration) {
	s := d.Seconds()
	if ops > 0 {
		fmt.Printf("%-32s %8.2f s %10.0f ops/s\n", what, s, float64(ops)/s)
	} else {
		fmt.Printf("%-32s %8.2f s %10.1f MB/s\n", what, s, float64(bytes)/1e6/s)
	}
}
