package fs_test

import (
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

var (
	goldenOnce sync.Once
	golden     *fsdev.Mem
	goldenErr  error
)

// goldenImage is a small populated image: nested directories, small and
// indirect-block files, a hard link, a symbolic link, a device node, a
// sparse file.
func goldenImage() (*fsdev.Mem, error) {
	goldenOnce.Do(func() {
		dev := fsdev.NewMem(2048)
		if _, goldenErr = fs.Format(dev, fs.FormatOptions{Inodes: 256}); goldenErr != nil {
			return
		}
		f, err := fs.Mount(dev, fs.Options{Now: func() int64 { return 1 }})
		if err != nil {
			goldenErr = err
			return
		}
		step := func(err error) {
			if goldenErr == nil {
				goldenErr = err
			}
		}
		step(f.Mkdir(nil, nil, "/a", 0o755))
		step(f.Mkdir(nil, nil, "/a/b", 0o700))
		step(f.Mknod(nil, nil, "/a/tty", 0o020666, 4, 1))
		for i, size := range []int{0, 10, 5000, 70000} {
			ip, err := f.Open(nil, nil, fmt.Sprintf("/a/b/f%d", i), fs.O_CREAT|syscall.O_RDWR, 0o644)
			if err != nil {
				step(err)
				continue
			}
			b := make([]byte, size)
			rand.New(rand.NewSource(int64(i))).Read(b)
			_, err = ip.WriteAt(b, 0)
			step(err)
			ip.Close()
		}
		step(f.Link(nil, nil, "/a/b/f2", nil, "/hard", false))
		step(f.Symlink(nil, "a/b/f1", nil, "/sym"))
		ip, err := f.Open(nil, nil, "/sparse", fs.O_CREAT|syscall.O_RDWR, 0o600)
		if err == nil {
			_, err = ip.WriteAt([]byte("far"), 5<<20) // through the double-indirect block
			ip.Close()
		}
		step(err)
		step(f.Unmount())
		golden = dev
	})
	return golden, goldenErr
}

// exercise uses a mounted file system the way a process would, ignoring
// errors, with bounded effort (a corrupt tree may have cycles).
func exercise(f *fs.FS) {
	budget := 300
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		ip, err := f.Lookup(nil, nil, p)
		if err != nil || depth > 8 {
			return
		}
		defer ip.Close()
		st, err := ip.Stat()
		if err != nil {
			return
		}
		if st.Mode&0o170000 != 0o040000 {
			b := make([]byte, 64<<10)
			for off := int64(0); off < min(st.Size, 1<<20); off += int64(len(b)) {
				if _, err := ip.ReadAt(b, off); err != nil {
					break
				}
			}
			ip.WriteAt([]byte("more"), st.Size)
			return
		}
		var names []string
		ip.ReadDir(0, func(e fs.DirEntry) bool {
			names = append(names, e.Name)
			return len(names) < 50
		})
		for _, n := range names {
			if budget--; budget > 0 && n != "." && n != ".." {
				walk(p+"/"+n, depth+1)
			}
		}
	}
	walk("/", 0)
	f.Readlink(nil, nil, "/sym")
	f.Stat(nil, nil, "/sym")
	f.Mkdir(nil, nil, "/new", 0o755)
	f.Rename(nil, nil, "/a/b/f1", nil, "/new/f1", 0)
	f.Rename(nil, nil, "/a/b", nil, "/new/b", 0)
	f.Unlink(nil, nil, "/hard")
	f.Truncate(nil, nil, "/sparse", 10)
	f.Rmdir(nil, nil, "/a")
	f.Link(nil, nil, "/a/b/f0", nil, "/l", false)
	if ip, err := f.Open(nil, nil, "/new/x", fs.O_CREAT|syscall.O_RDWR, 0o644); err == nil {
		ip.WriteAt(make([]byte, 20000), 0)
		ip.Close()
	}
	f.StatFS()
	f.Sync()
}

// Bounds on what one corrupt image may cost: damage must be refused or
// survived, never spun on or answered with unbounded allocation.
const (
	corruptTime  = 20 * time.Second
	corruptAlloc = 256 << 20
)

// mountCorrupt mounts a damaged image and uses it. Mount may refuse it,
// with an error that says so (EUCLEAN or EIO); nothing may panic, run
// longer than corruptTime or allocate more than corruptAlloc bytes.
func mountCorrupt(t *testing.T, img *fsdev.Mem) (refused bool) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan bool, 1)
	go func() {
		f, err := fs.Mount(img, fs.Options{})
		if err != nil {
			if !errors.Is(err, syscall.EUCLEAN) && !errors.Is(err, syscall.EIO) {
				t.Errorf("mount refused a corrupt image with %v, want EUCLEAN or EIO", err)
			}
			done <- true
			return
		}
		exercise(f)
		f.Unmount()
		check.Image(img, true) // must not panic either
		done <- false
	}()
	select {
	case refused = <-done:
	case <-time.After(corruptTime):
		t.Fatalf("a corrupt image took more than %v to refuse or use", corruptTime)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > corruptAlloc {
		t.Errorf("a corrupt image cost %d MiB of allocation, bound %d MiB", n>>20, corruptAlloc>>20)
	}
	return refused
}

// TestMountRefuses damages an image where mount must notice: mount fails
// with EUCLEAN and a message that names the damage.
func TestMountRefuses(t *testing.T) {
	base, err := goldenImage()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, fs.BlockSize)
	base.ReadBlock(0, b)
	sb, err := layout.DecodeSuperblock(b)
	if err != nil {
		t.Fatal(err)
	}
	rootBlock, rootOff := sb.InodeBlock(layout.RootInum)
	tests := []struct {
		name string
		blk  uint64
		off  int
		mask byte
		want string
	}{
		{"magic", 0, 0, 0xff, "bad magic"},
		{"superblock field", 0, 33, 0x01, "checksum"},
		{"journal header", sb.LogHeader(1), 1, 0x10, "journal header: bad magic"},
		{"orphan block", uint64(sb.OrphanStart), 3, 0x80, "orphan block: list head"},
		{"root is a file", rootBlock, rootOff + 1, 0xc0, "root inode is not a directory"}, // S_IFDIR to S_IFREG
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := base.Clone()
			img.Corrupt(tt.blk, tt.off, tt.mask)
			f, err := fs.Mount(img, fs.Options{})
			if err == nil {
				f.Unmount()
				t.Fatal("mount accepted the image")
			}
			if !errors.Is(err, syscall.EUCLEAN) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("mount: %v; want EUCLEAN and %q", err, tt.want)
			}
		})
	}
	// A device shorter than the superblock says.
	short := fsdev.NewMem(sb.NBlocks / 2)
	for n := uint64(0); n < short.NumBlocks(); n++ {
		base.ReadBlock(n, b)
		short.WriteBlock(n, b)
	}
	if _, err := fs.Mount(short, fs.Options{}); !errors.Is(err, syscall.EUCLEAN) || !strings.Contains(err.Error(), "device has") {
		t.Errorf("mount of a truncated image: %v", err)
	}
}

// TestCorruption flips random bytes in the blocks of a populated image.
func TestCorruption(t *testing.T) {
	base, err := goldenImage()
	if err != nil {
		t.Fatal(err)
	}
	if r := check.Image(base, false); !r.OK() {
		t.Fatalf("golden image: %v", r.Problems)
	}
	written := base.Written()
	sort.Slice(written, func(i, j int) bool { return written[i] < written[j] })
	rounds := 400
	if *long {
		rounds = 5000
	}
	rng := rand.New(rand.NewSource(3))
	refused := 0
	for i := 0; i < rounds; i++ {
		img := base.Clone()
		for n := 1 + rng.Intn(4); n > 0; n-- {
			blk := written[rng.Intn(len(written))]
			img.Corrupt(blk, rng.Intn(fs.BlockSize), byte(1+rng.Intn(255)))
		}
		if mountCorrupt(t, img) {
			refused++
		}
	}
	t.Logf("%d corrupted images: %d refused at mount, %d mounted and survived use", rounds, refused, rounds-refused)
}

// FuzzImage patches fuzzer bytes into a block of a populated image, then
// mounts, uses and checks it.
func FuzzImage(f *testing.F) {
	f.Add(uint16(0), uint16(0), []byte{0xff})
	f.Add(uint16(5), uint16(24), []byte{1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, sel, off uint16, data []byte) {
		base, err := goldenImage()
		if err != nil {
			t.Fatal(err)
		}
		written := base.Written()
		sort.Slice(written, func(i, j int) bool { return written[i] < written[j] })
		blk := written[int(sel)%len(written)]
		img := base.Clone()
		buf := make([]byte, fs.BlockSize)
		img.ReadBlock(blk, buf)
		copy(buf[int(off)%fs.BlockSize:], data)
		img.WriteBlock(blk, buf)
		mountCorrupt(t, img)
	})
}

// Format writes the superblock only after a barrier that makes the rest
// durable, and then another: in any order of writes between barriers, a
// valid superblock never stands over an unwritten file system.
func TestFormatBarrier(t *testing.T) {
	rec := fsdev.NewRecorder(fsdev.NewMem(4096))
	if _, err := fs.Format(rec, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	ev := rec.Events()
	sbAt := -1
	for i, e := range ev {
		if !e.Flush && e.Block == 0 {
			sbAt = i
		}
	}
	switch {
	case sbAt < 1:
		t.Fatalf("superblock written at event %d", sbAt)
	case !ev[sbAt-1].Flush:
		t.Errorf("no barrier before the superblock write")
	case sbAt != len(ev)-2 || !ev[len(ev)-1].Flush:
		t.Errorf("superblock write is not followed by the final barrier alone")
	}
}
