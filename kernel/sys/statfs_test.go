package sys

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/fs/layout"
)

// TestStatfsLayout holds encodeStatfs to x86-64 Linux's struct statfs
// as golang.org/x/sys/unix declares it.
func TestStatfsLayout(t *testing.T) {
	info := file.FSInfo{Magic: 0x53434653, BlockSize: 4096, Blocks: 1000, FreeBlocks: 600, AvailBlocks: 500,
		Files: 256, FreeFiles: 200, NameMax: 255, ReadOnly: true}
	b := encodeStatfs(info)
	if len(b) != int(unsafe.Sizeof(unix.Statfs_t{})) {
		t.Fatalf("%d bytes, struct statfs is %d", len(b), unsafe.Sizeof(unix.Statfs_t{}))
	}
	st := *(*unix.Statfs_t)(unsafe.Pointer(&b[0]))
	want := unix.Statfs_t{Type: 0x53434653, Bsize: 4096, Blocks: 1000, Bfree: 600, Bavail: 500, Files: 256,
		Ffree: 200, Namelen: 255, Frsize: 4096, Flags: stValid | stRdonly}
	if st != want {
		t.Errorf("decoded %+v\nwant    %+v", st, want)
	}
}

// TestStatfs asks statfs and fstatfs of the RAM disk and of a pipe, and
// checks a bad pointer and a missing path.
func TestStatfs(t *testing.T) {
	p := newFileProc(t)
	root := p.str(0, "/")
	p.must(unix.SYS_STATFS, root, p.buf+512)
	st := *(*unix.Statfs_t)(unsafe.Pointer(&p.get(512, 120)[0]))
	if st.Type != layout.Magic || st.Bsize != 4096 || st.Blocks != 2048 || st.Bfree == 0 || st.Bfree >= st.Blocks ||
		st.Files == 0 || st.Ffree >= st.Files || st.Namelen != 255 || st.Flags != stValid {
		t.Errorf("statfs(/) = %+v", st)
	}
	fd := p.must(unix.SYS_OPENAT, atFDCWD, p.str(16, "/f"), unix.O_RDWR|unix.O_CREAT, 0o644)
	p.must(unix.SYS_FSTATFS, fd, p.buf+1024)
	if fst := *(*unix.Statfs_t)(unsafe.Pointer(&p.get(1024, 120)[0])); fst.Type != layout.Magic || fst.Ffree != st.Ffree-1 {
		t.Errorf("fstatfs of a new file = %+v (statfs before: %d inodes free)", fst, st.Ffree)
	}
	p.must(unix.SYS_PIPE2, p.buf+64, 0)
	p.must(unix.SYS_FSTATFS, uintptr(p.get(64, 1)[0]), p.buf+1024)
	if pst := *(*unix.Statfs_t)(unsafe.Pointer(&p.get(1024, 120)[0])); pst.Type != 0x50495045 {
		t.Errorf("fstatfs of a pipe: type %#x, want PIPEFS_MAGIC", pst.Type)
	}
	if _, e := p.call(unix.SYS_STATFS, p.str(32, "/nope"), p.buf+512); e != unix.ENOENT {
		t.Errorf("statfs of a missing path: %v", e)
	}
	if _, e := p.call(unix.SYS_STATFS, root, 0x10); e != unix.EFAULT {
		t.Errorf("statfs to a bad pointer: %v", e)
	}
	if _, e := p.call(unix.SYS_FSTATFS, 99, p.buf+512); e != unix.EBADF {
		t.Errorf("fstatfs of a bad fd: %v", e)
	}
}
