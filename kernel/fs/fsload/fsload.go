// Package fsload is a file-system workload the booted kernel runs on its
// root disk for the QEMU tests and the disk benchmark: files with contents
// the host can recompute (Content), a churn of writes, renames and
// deletions that runs until QEMU is killed, and a large-file throughput
// run. It is pure Go over kernel/fs, tested on the host over a RAM disk.
package fsload

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"scone/kernel/fs"
)

// Dir is where WriteFiles puts its files; ChurnDir is Churn's.
const (
	Dir      = "/disktest"
	ChurnDir = "/churn"
)

// Name returns the path of file i of WriteFiles.
func Name(i int) string { return fmt.Sprintf("%s/f%03d", Dir, i) }

// Content returns the contents of file i: 1 byte to 64 KiB (sizes spread
// across direct and indirect blocks), byte j being (31i + j) mod 251.
func Content(i int) []byte {
	b := make([]byte, 1+(i*7919)%(64<<10))
	for j := range b {
		b[j] = byte((31*i + j) % 251)
	}
	return b
}

// WriteFiles makes Dir and writes files 0..n-1 into it, then syncs.
func WriteFiles(f *fs.FS, n int) error {
	if err := f.Mkdir(nil, nil, Dir, 0o755); err != nil && !errors.Is(err, syscall.EEXIST) {
		return err
	}
	for i := 0; i < n; i++ {
		if err := writeFile(f, Name(i), Content(i)); err != nil {
			return err
		}
	}
	return f.Sync()
}

func writeFile(f *fs.FS, path string, data []byte) error {
	ip, err := f.Open(nil, nil, path, fs.O_CREAT|fs.O_TRUNC|syscall.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer ip.Close()
	if _, err := ip.WriteAt(data, 0); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Churn rewrites, renames and deletes files in ChurnDir, round after
// round, until ctx is done, calling round(k) after each round. It is
// meant to be interrupted by killing the machine; on the host a cancelled
// ctx ends it with nil.
func Churn(ctx context.Context, f *fs.FS, round func(k int)) error {
	if err := f.Mkdir(nil, nil, ChurnDir, 0o755); err != nil && !errors.Is(err, syscall.EEXIST) {
		return err
	}
	for k := 0; ctx.Err() == nil; k++ {
		for i := 0; i < 16; i++ {
			tmp := fmt.Sprintf("%s/tmp%d", ChurnDir, i)
			if err := writeFile(f, tmp, Content(k*16+i)); err != nil {
				return err
			}
			// Rename over the previous round's file, as editors save.
			if err := f.Rename(nil, nil, tmp, nil, fmt.Sprintf("%s/c%d", ChurnDir, i), 0); err != nil {
				return err
			}
		}
		if err := f.Unlink(nil, nil, fmt.Sprintf("%s/c%d", ChurnDir, k%16)); err != nil {
			return err
		}
		round(k)
	}
	return nil
}

// Result is what Bench measured.
type Result struct {
	Bytes       int64
	Write, Read time.Duration // write includes the final sync
}

// MBps returns the rate of moving n bytes in d, in MB/s (10^6 bytes).
func MBps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / 1e6 / d.Seconds()
}

// Bench writes a file of size bytes at path in 1 MiB pieces, syncs, reads
// it back (checking the contents) and deletes it.
func Bench(f *fs.FS, path string, size int64) (Result, error) {
	r := Result{Bytes: size}
	buf := make([]byte, 1<<20)
	for j := range buf {
		buf[j] = byte(j % 251)
	}
	ip, err := f.Open(nil, nil, path, fs.O_CREAT|fs.O_TRUNC|syscall.O_RDWR, 0o644)
	if err != nil {
		return r, err
	}
	defer func() {
		ip.Close()
		f.Unlink(nil, nil, path)
	}()
	start := time.Now()
	for off := int64(0); off < size; off += int64(len(buf)) {
		n := min(int64(len(buf)), size-off)
		if _, err := ip.WriteAt(buf[:n], off); err != nil {
			return r, err
		}
	}
	if err := f.Sync(); err != nil {
		return r, err
	}
	r.Write = time.Since(start)
	got := make([]byte, len(buf))
	start = time.Now()
	for off := int64(0); off < size; off += int64(len(got)) {
		n := min(int64(len(got)), size-off)
		if _, err := ip.ReadAt(got[:n], off); err != nil {
			return r, err
		}
		for j := int64(0); j < n; j++ {
			if got[j] != byte(j%251) {
				return r, fmt.Errorf("%s: byte %d reads %d, wrote %d", path, off+j, got[j], byte(j%251))
			}
		}
	}
	r.Read = time.Since(start)
	return r, nil
}
