package fsdev

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// File is a disk backed by a host file (a disk image). Flush calls fsync,
// so the journal's write barriers are real on the host too.
type File struct {
	f       *os.File
	nblocks uint64
	// NoSync turns Flush into a no-op: faster, but a host crash may then
	// reorder writes across the journal's barriers. For throwaway images.
	NoSync bool
}

// OpenFile opens an existing image. Its size must be a whole number of blocks.
func OpenFile(path string, readOnly bool) (*File, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size()%BlockSize != 0 || st.Size() == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: size %d is not a positive multiple of %d", path, st.Size(), BlockSize)
	}
	return &File{f: f, nblocks: uint64(st.Size()) / BlockSize}, nil
}

// CreateFile creates (or truncates) a sparse image of nblocks blocks.
func CreateFile(path string, nblocks uint64) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(int64(nblocks) * BlockSize); err != nil {
		f.Close()
		return nil, err
	}
	return &File{f: f, nblocks: nblocks}, nil
}

// NumBlocks returns the size of the image in blocks.
func (d *File) NumBlocks() uint64 { return d.nblocks }

// ReadBlock reads block n into b.
func (d *File) ReadBlock(n uint64, b []byte) error {
	if err := checkArgs(n, d.nblocks, b); err != nil {
		return err
	}
	if _, err := d.f.ReadAt(b, int64(n)*BlockSize); err != nil {
		return fmt.Errorf("read block %d: %v: %w", n, err, syscall.EIO)
	}
	return nil
}

// WriteBlock writes b as block n.
func (d *File) WriteBlock(n uint64, b []byte) error {
	if err := checkArgs(n, d.nblocks, b); err != nil {
		return err
	}
	if _, err := d.f.WriteAt(b, int64(n)*BlockSize); err != nil {
		return fmt.Errorf("write block %d: %v: %w", n, err, syscall.EIO)
	}
	return nil
}

// ReadBlocks reads blocks n.. into bufs with one preadv of the file.
func (d *File) ReadBlocks(n uint64, bufs [][]byte) error {
	if err := checkRun(n, d.nblocks, bufs); err != nil {
		return err
	}
	got, err := unix.Preadv(int(d.f.Fd()), bufs, int64(n)*BlockSize)
	if err == nil && got < len(bufs)*BlockSize {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("read blocks %d+%d: %v: %w", n, len(bufs), err, syscall.EIO)
	}
	return nil
}

// WriteBlocks writes bufs as blocks n.. with one pwritev of the file.
func (d *File) WriteBlocks(n uint64, bufs [][]byte) error {
	if err := checkRun(n, d.nblocks, bufs); err != nil {
		return err
	}
	put, err := unix.Pwritev(int(d.f.Fd()), bufs, int64(n)*BlockSize)
	if err == nil && put < len(bufs)*BlockSize {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write blocks %d+%d: %v: %w", n, len(bufs), err, syscall.EIO)
	}
	return nil
}

// Flush makes every completed write durable (fsync).
func (d *File) Flush() error {
	if d.NoSync {
		return nil
	}
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("fsync: %v: %w", err, syscall.EIO)
	}
	return nil
}

// Close closes the image file.
func (d *File) Close() error { return d.f.Close() }
