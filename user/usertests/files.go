package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	me "scone/user/internal/self"
)

func init() {
	register("bigfile", testBigFile)
	register("manyfiles", testManyFiles)
	register("openrename", testOpenRename)
	register("openunlink", testOpenUnlink)
}

// testBigFile writes a 16 MiB file in odd-sized pieces, reads it back,
// seeks, truncates and removes it.
func testBigFile() error {
	const size = 16 << 20
	f, err := os.Create("big")
	if err != nil {
		return err
	}
	defer os.Remove("big")
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i>>9 ^ i)
	}
	for off := 0; off < size; {
		n := min(size-off, 12345)
		if _, err := f.Write(data[off : off+n]); err != nil {
			return fmt.Errorf("write at %d: %v", off, err)
		}
		off += n
	}
	if err := f.Sync(); err != nil {
		return err
	}
	f.Close()
	got, err := os.ReadFile("big")
	if err != nil || !bytes.Equal(got, data) {
		return fmt.Errorf("read back %d bytes (%v), want %d equal", len(got), err, size)
	}
	f, _ = os.OpenFile("big", os.O_RDWR, 0)
	defer f.Close()
	b := make([]byte, 100)
	if _, err := f.ReadAt(b, size-50); err != io.EOF || !bytes.Equal(b[:50], data[size-50:]) {
		return fmt.Errorf("read across the end: %v", err)
	}
	if err := f.Truncate(1000); err != nil {
		return err
	}
	if st, _ := f.Stat(); st.Size() != 1000 {
		return fmt.Errorf("size after truncate %d", st.Size())
	}
	// A hole reads as zeros.
	f.WriteAt([]byte("end"), 3<<20)
	f.ReadAt(b, 2<<20)
	if !bytes.Equal(b, make([]byte, 100)) {
		return fmt.Errorf("a hole reads %x", b[:16])
	}
	return nil
}

// testManyFiles makes 1000 files in a directory, lists them, and removes
// them.
func testManyFiles() error {
	const n = 1000
	os.Mkdir("many", 0o755)
	for i := 0; i < n; i++ {
		if err := os.WriteFile("many/f"+strconv.Itoa(i), []byte(strconv.Itoa(i)), 0o644); err != nil {
			return err
		}
	}
	es, err := os.ReadDir("many")
	if err != nil || len(es) != n {
		return fmt.Errorf("listed %d of %d (%v)", len(es), n, err)
	}
	for i := 0; i < n; i += 97 {
		b, err := os.ReadFile("many/f" + strconv.Itoa(i))
		if err != nil || string(b) != strconv.Itoa(i) {
			return fmt.Errorf("f%d: %q %v", i, b, err)
		}
	}
	for i := 0; i < n; i++ {
		if err := os.Remove("many/f" + strconv.Itoa(i)); err != nil {
			return err
		}
	}
	if err := unix.Rmdir("many"); err != nil {
		return fmt.Errorf("rmdir of the emptied directory: %v", err)
	}
	return nil
}

// testOpenRename: an open file keeps working after it is renamed, and
// over another file.
func testOpenRename() error {
	os.WriteFile("victim", []byte("old"), 0o644)
	f, err := os.OpenFile("a", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	f.WriteString("first ")
	if err := os.Rename("a", "b"); err != nil {
		return err
	}
	f.WriteString("second ")
	if err := os.Rename("b", "victim"); err != nil {
		return err
	}
	f.WriteString("third")
	got, _ := os.ReadFile("victim")
	if string(got) != "first second third" {
		return fmt.Errorf("renamed file holds %q", got)
	}
	if _, err := os.Stat("a"); !os.IsNotExist(err) {
		return fmt.Errorf("old name: %v", err)
	}
	if err := os.Rename("victim", "nodir/x"); !os.IsNotExist(err) {
		return fmt.Errorf("rename into a missing directory: %v", err)
	}
	os.Mkdir("d", 0o755)
	if err := os.Rename("d", "d/sub"); err == nil || !strings.Contains(err.Error(), "invalid argument") {
		return fmt.Errorf("rename of a directory into itself: %v, want EINVAL", err)
	}
	return nil
}

// testOpenUnlink: an unlinked open file stays readable and writable with
// no links, and its space is freed at the last close.
func testOpenUnlink() error {
	f, err := os.Create("gone")
	if err != nil {
		return err
	}
	f.Write(make([]byte, 1<<20))
	if err := os.Remove("gone"); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Nlink != 0 || st.Size != 1<<20 {
		return fmt.Errorf("fstat of the unlinked file: %v nlink %d size %d", err, st.Nlink, st.Size)
	}
	f.WriteAt([]byte("still here"), 5)
	b := make([]byte, 10)
	f.ReadAt(b, 5)
	if string(b) != "still here" {
		return fmt.Errorf("unlinked file reads %q", b)
	}
	if _, err := os.Stat("gone"); !os.IsNotExist(err) {
		return fmt.Errorf("unlinked name: %v", err)
	}
	// A new file may take the name while the old one is open.
	os.WriteFile("gone", []byte("new"), 0o644)
	f.ReadAt(b[:5], 0)
	if !bytes.Equal(b[:5], make([]byte, 5)) {
		return fmt.Errorf("the open file changed with its old name: %q", b[:5])
	}
	return f.Close()
}

// memFree is MemAvailable (free memory plus the kernel's reclaimable
// caches and free heap) once the machine has let go of what it can
// (self.Settle: sync, drop_caches, this program's own free heap), or -1.
// Settled, two readings differ by memory held, not by caches filled or
// garbage not yet collected.
func memFree() int64 {
	if err := me.Settle(); err != nil {
		fmt.Printf("usertests: %v\n", err)
		return -1
	}
	return me.MemAvailable()
}

// memSlack is how much less memory may be available after the tests than
// before (KiB): the kernel's high-water marks (the Go runtime's span and
// GC metadata for the largest heap it has had, maps that grew) and this
// program's own heap.
const memSlack = 4096

// memBack checks that free memory came back to within memSlack of
// before.  On a Linux host other programs change it, so there the
// figures are printed, not checked.
func memBack(before int64, when string) error {
	after := memFree()
	fmt.Printf("available memory %s: %d KiB before, %d KiB after (now MemFree %d KiB, Cached %d KiB)\n",
		when, before, after, me.MemFree(), me.Meminfo("Cached"))
	if onLinuxHost() {
		return nil
	}
	if before < 0 || after < 0 {
		return fmt.Errorf("no reading of available memory (%d before, %d %s)", before, after, when)
	}
	if before-after > memSlack {
		return fmt.Errorf("%d KiB less available memory %s (%d before, %d after)", before-after, when, before, after)
	}
	return nil
}

// checkMemory checks that the tests left no process of theirs behind
// (it would hold memory, and is a bug of its own) and compares free
// memory after all the tests with before.
func checkMemory(before int64) error {
	if left := leftBehind(); len(left) > 0 {
		return fmt.Errorf("processes left behind: %s", strings.Join(left, "; "))
	}
	return memBack(before, "after all tests")
}

// leftBehind lists the processes running this program other than this
// one (helpers a test did not reap), as "PID ARGS", from /proc.
func leftBehind() []string {
	ds, _ := os.ReadDir("/proc")
	var left []string
	for _, d := range ds {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if err == nil && args[0] == self() {
			left = append(left, fmt.Sprintf("%d %s", pid, strings.Join(args, " ")))
		}
	}
	return left
}
