package fs_test

import (
	"errors"
	"syscall"
	"testing"

	"scone/kernel/fs"
)

// TestRAMDisk formats, fills and remounts a file system held in a slice.
func TestRAMDisk(t *testing.T) {
	if _, err := fs.NewRAMDisk(make([]byte, 100)); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("odd-sized RAM disk: %v", err)
	}
	mem := make([]byte, 1024*fs.BlockSize)
	rd, err := fs.NewRAMDisk(mem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Format(rd, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(rd, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, f, "/init", []byte("#!/bin/sh\n"))
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	rd2, _ := fs.NewRAMDisk(mem) // the same bytes, as a loader would hand them over
	f2, err := fs.Mount(rd2, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, f2, "/init")); got != "#!/bin/sh\n" {
		t.Errorf("read back %q", got)
	}
	if err := rd2.ReadBlock(1024, make([]byte, fs.BlockSize)); !errors.Is(err, syscall.EIO) {
		t.Errorf("read past the end: %v", err)
	}
	fsck(t, f2, rd2)
}
