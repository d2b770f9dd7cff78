package file_test

import (
	"fmt"
	"syscall"
	"testing"

	"scone/kernel/file"
)

// TestPathOf checks what /proc/PID/fd shows for each way a file can be
// open: by absolute and relative path, through openat's directory, a
// directory, a file in another mount, a file whose directory was renamed,
// an unlinked file, a pipe and an eventfd.
func TestPathOf(t *testing.T) {
	_, c := newNS(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	open := func(at file.Location, path string, flags int) *file.Description {
		t.Helper()
		d, err := c.Open(at, path, flags, 0o644)
		must(err)
		t.Cleanup(func() { d.DecRef() })
		return d
	}
	must(c.Mkdir(file.Location{}, "/a", 0o755))
	must(c.Mkdir(file.Location{}, "/a/b", 0o755))
	abs := open(file.Location{}, "/a/b/f", file.O_RDWR|syscall.O_CREAT)
	must(c.Chdir(file.Location{}, "/a"))
	rel := open(file.Location{}, "b/../b/g", file.O_RDWR|syscall.O_CREAT)
	dir := open(file.Location{}, "b", file.O_RDONLY|syscall.O_DIRECTORY)
	at := open(dir.Location(), "./f", file.O_RDONLY)
	mnt := open(file.Location{}, "/mnt/hello", file.O_RDONLY)
	gone := open(file.Location{}, "/a/b/gone", file.O_RDWR|syscall.O_CREAT)
	must(c.Unlink(file.Location{}, "/a/b/gone"))
	rf, wf := file.NewPipe()
	r, w := file.NewDescription(rf, file.O_RDONLY), file.NewDescription(wf, file.O_WRONLY)
	t.Cleanup(func() { r.DecRef(); w.DecRef() })
	ev := file.NewDescription(file.NewEventFD(0, 0), file.O_RDWR)
	t.Cleanup(func() { ev.DecRef() })
	check := func(d *file.Description, want string) {
		t.Helper()
		got, err := c.PathOf(d)
		if err != nil || got != want {
			t.Errorf("PathOf = %q, %v; want %q", got, err, want)
		}
	}
	check(abs, "/a/b/f")
	check(rel, "/a/b/g")
	check(dir, "/a/b")
	check(at, "/a/b/f")
	check(mnt, "/mnt/hello")
	check(gone, "/a/b/gone (deleted)")
	st, _ := r.Stat()
	check(r, fmt.Sprintf("pipe:[%d]", st.Ino))
	check(ev, "anon_inode:[eventfd]")
	// A renamed directory shows its new name.
	must(c.Rename(file.Location{}, "/a/b", file.Location{}, "/a/c", 0))
	check(abs, "/a/c/f")
	check(dir, "/a/c")
}
