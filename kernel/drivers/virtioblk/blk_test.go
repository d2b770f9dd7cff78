package virtioblk_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"scone/kernel/drivers/virtio"
	"scone/kernel/drivers/virtio/virtiotest"
	"scone/kernel/drivers/virtioblk"
	"scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
)

// fileDisk is a virtio-blk device backed by a host file, with a volatile
// write cache that only FLUSH makes durable (QEMU's default cache=writeback
// behaves so). Each request completes on its own goroutine after a random
// delay, so requests finish out of order.
type fileDisk struct {
	f        *os.File
	sectors  uint64
	features uint64

	sizeMax uint32 // size_max, offered with VIRTIO_BLK_F_SIZE_MAX (bit 1)

	mu       sync.Mutex
	cache    map[int64][]byte // unflushed writes by the byte offset of each 4 KiB block
	flushes  int
	badBlock int64 // sector whose requests fail with IOERR; -1 for none
	requests int   // reads and writes served
	maxData  int   // the largest data segment seen

	inflight, maxInflight atomic.Int32
}

func newFileDisk(t *testing.T, blocks int, features uint64) *fileDisk {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "disk.img"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(blocks) * virtioblk.BlockSize); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &fileDisk{f: f, sectors: uint64(blocks) * 8, features: features,
		cache: map[int64][]byte{}, badBlock: -1}
}

func (d *fileDisk) Features() uint64 { return d.features }
func (d *fileDisk) NumQueues() int   { return 1 }
func (d *fileDisk) Config() []byte {
	b := make([]byte, 16) // capacity, size_max, seg_max
	binary.LittleEndian.PutUint64(b, d.sectors)
	binary.LittleEndian.PutUint32(b[8:], d.sizeMax)
	return b
}

// crash drops whatever was not flushed.
func (d *fileDisk) crash() {
	d.mu.Lock()
	d.cache = map[int64][]byte{}
	d.mu.Unlock()
}

func (d *fileDisk) Handle(_ int, c *virtiotest.Chain) {
	n := d.inflight.Add(1)
	for m := d.maxInflight.Load(); n > m && !d.maxInflight.CompareAndSwap(m, n); m = d.maxInflight.Load() {
	}
	go func() {
		time.Sleep(time.Duration(rand.Intn(200)) * time.Microsecond)
		d.inflight.Add(-1)
		c.Complete(d.serve(c.Segs))
	}()
}

// serve carries out one request and returns the bytes written to the driver.
func (d *fileDisk) serve(segs []virtiotest.Seg) uint32 {
	status := segs[len(segs)-1].Data
	hdr := segs[0].Data
	typ := binary.LittleEndian.Uint32(hdr)
	sector := binary.LittleEndian.Uint64(hdr[8:])
	d.mu.Lock()
	defer d.mu.Unlock()
	if int64(sector) == d.badBlock {
		status[0] = 1
		return 1
	}
	if typ == 0 || typ == 1 {
		d.requests++
		d.maxData = max(d.maxData, len(segs[1].Data))
		if d.sizeMax != 0 && len(segs[1].Data) > int(d.sizeMax) {
			status[0] = 1 // a segment over size_max
			return 1
		}
	}
	switch typ {
	case 0: // IN
		data := segs[1].Data
		for i := 0; i < len(data); i += virtioblk.BlockSize {
			off := int64(sector)*512 + int64(i)
			if c, ok := d.cache[off]; ok {
				copy(data[i:], c)
			} else if _, err := d.f.ReadAt(data[i:i+virtioblk.BlockSize], off); err != nil {
				status[0] = 1
				return 1
			}
		}
		status[0] = 0
		return uint32(len(data)) + 1
	case 1: // OUT
		data := segs[1].Data
		for i := 0; i < len(data); i += virtioblk.BlockSize {
			d.cache[int64(sector)*512+int64(i)] = append([]byte(nil), data[i:i+virtioblk.BlockSize]...)
		}
		status[0] = 0
	case 4: // FLUSH
		for off, b := range d.cache {
			if _, err := d.f.WriteAt(b, off); err != nil {
				status[0] = 1
				return 1
			}
		}
		d.cache = map[int64][]byte{}
		d.flushes++
		status[0] = 0
	default:
		status[0] = 2
	}
	return 1
}

func openDisk(t *testing.T, back *fileDisk) (*virtioblk.Disk, *virtiotest.Device) {
	t.Helper()
	_, id := virtio.DeviceIDs(virtio.TypeBlock)
	m := virtiotest.New(back, id, 4<<20)
	t.Cleanup(func() {
		if v := m.Violations(); len(v) > 0 {
			t.Errorf("driver violated the protocol: %v", v)
		}
		m.Close()
	})
	k, err := virtioblk.Open(m, m.PCI, m)
	if err != nil {
		t.Fatal(err)
	}
	return k, m
}

// TestFileSystem formats kernel/fs on the driver, writes files from several
// goroutines at once (kernel/fs still issues its device requests one at a
// time), unmounts, loses the device's write cache, and checks
// the image file on the host: only FLUSH put the data there.
func TestFileSystem(t *testing.T) {
	back := newFileDisk(t, 4096, 1<<9) // 16 MiB, FLUSH
	k, _ := openDisk(t, back)
	if k.NumBlocks() != 4096 {
		t.Fatalf("%d blocks", k.NumBlocks())
	}
	if _, err := fs.Format(k, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(k, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	root := f.Root()
	const files = 8
	want := map[string]string{}
	var wmu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, files)
	for i := 0; i < files; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := bytes.Repeat([]byte(fmt.Sprintf("file %d ", i)), 20000+i*3000)
			name := fmt.Sprintf("f%d", i)
			ip, err := f.Open(nil, root, name, os.O_CREATE|os.O_RDWR, 0o644)
			if err != nil {
				errs <- err
				return
			}
			defer ip.Close()
			if _, err := ip.WriteAt(data, 0); err != nil {
				errs <- err
				return
			}
			got := make([]byte, len(data))
			if _, err := ip.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
				errs <- fmt.Errorf("%s read back wrong: %v", name, err)
				return
			}
			sum := sha256.Sum256(data)
			wmu.Lock()
			want["/"+name] = hex.EncodeToString(sum[:])
			wmu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	root.Close()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	back.crash()
	if back.flushes == 0 {
		t.Fatal("the file system never flushed")
	}
	img, err := fsdev.OpenFile(back.f.Name(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	r := check.Image(img, true)
	if !r.OK() {
		t.Fatalf("image inconsistent: %v", r.Problems)
	}
	for _, file := range r.Files {
		if w, ok := want[file.Path]; ok {
			if file.SHA256 != w {
				t.Errorf("%s: sha256 %s, want %s", file.Path, file.SHA256, w)
			}
			delete(want, file.Path)
		}
	}
	if len(want) > 0 {
		t.Fatalf("missing from the image: %v", want)
	}
	t.Logf("reads %d, writes %d, flushes %d, max in flight %d", k.Reads.Load(), k.Writes.Load(), k.Flushes.Load(), back.maxInflight.Load())
}

func TestErrors(t *testing.T) {
	back := newFileDisk(t, 64, 1<<9)
	k, _ := openDisk(t, back)
	buf := make([]byte, virtioblk.BlockSize)
	back.badBlock = 10 * 8
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"read past the end", k.ReadBlock(64, buf), syscall.EINVAL},
		{"write past the end", k.WriteBlock(1<<40, buf), syscall.EINVAL},
		{"short buffer", k.ReadBlock(1, buf[:100]), syscall.EINVAL},
		{"device error on read", k.ReadBlock(10, buf), syscall.EIO},
		{"device error on write", k.WriteBlock(10, buf), syscall.EIO},
		{"good read", k.ReadBlock(63, buf), nil},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if k.Errors.Load() != 2 {
		t.Errorf("%d errors counted, want 2", k.Errors.Load())
	}

	ro := newFileDisk(t, 64, 1<<5)
	kro, _ := openDisk(t, ro)
	if err := kro.WriteBlock(1, buf); !errors.Is(err, syscall.EROFS) {
		t.Errorf("write to a read-only disk: %v", err)
	}
	// Without FLUSH the device has no cache to flush: Flush sends nothing.
	if err := kro.Flush(); err != nil || ro.flushes != 0 {
		t.Errorf("flush without the feature: %v, %d sent", err, ro.flushes)
	}
}

// TestReadWriteConcurrent hammers distinct blocks from many goroutines and
// checks every block's contents.
func TestReadWriteConcurrent(t *testing.T) {
	back := newFileDisk(t, 256, 1<<9)
	k, _ := openDisk(t, back)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, virtioblk.BlockSize)
			got := make([]byte, virtioblk.BlockSize)
			for i := 0; i < 16; i++ {
				n := uint64(g*16 + i)
				for j := range buf {
					buf[j] = byte(n) ^ byte(j)
				}
				if err := k.WriteBlock(n, buf); err != nil {
					errs <- err
					return
				}
				if err := k.ReadBlock(n, got); err != nil || !bytes.Equal(got, buf) {
					errs <- fmt.Errorf("block %d: %v", n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if back.maxInflight.Load() < 4 {
		t.Errorf("at most %d requests in flight from 16 goroutines", back.maxInflight.Load())
	}
}

var _ fs.RunDevice = (*virtioblk.Disk)(nil)

// TestRuns writes and reads runs of 1 to 80 blocks (past the 32 of one
// request) at random places and checks every block against a model; a run
// of 32 is one request; with SIZE_MAX the driver keeps each request's data
// within size_max.
func TestRuns(t *testing.T) {
	for _, sizeMax := range []uint32{0, 16 << 10} {
		features := uint64(1 << 9)
		if sizeMax != 0 {
			features |= 1 << 1 // SIZE_MAX
		}
		back := newFileDisk(t, 512, features)
		back.sizeMax = sizeMax
		k, _ := openDisk(t, back)
		model := make([][]byte, 512)
		rng := rand.New(rand.NewSource(int64(sizeMax)))
		for i := 0; i < 60; i++ {
			n := 1 + rng.Intn(80)
			at := uint64(rng.Intn(512 - n))
			bufs := make([][]byte, n)
			for j := range bufs {
				bufs[j] = make([]byte, virtioblk.BlockSize)
				rng.Read(bufs[j])
				model[int(at)+j] = bufs[j]
			}
			if err := k.WriteBlocks(at, bufs); err != nil {
				t.Fatal(err)
			}
			n = 1 + rng.Intn(80)
			at = uint64(rng.Intn(512 - n))
			got := make([][]byte, n)
			for j := range got {
				got[j] = make([]byte, virtioblk.BlockSize)
			}
			if err := k.ReadBlocks(at, got); err != nil {
				t.Fatal(err)
			}
			for j, g := range got {
				want := model[int(at)+j]
				if want == nil {
					want = make([]byte, virtioblk.BlockSize)
				}
				if !bytes.Equal(g, want) {
					t.Fatalf("size_max %d: block %d read back wrong", sizeMax, int(at)+j)
				}
			}
		}
		back.mu.Lock()
		back.requests = 0
		back.mu.Unlock()
		run := make([][]byte, 32)
		for j := range run {
			run[j] = make([]byte, virtioblk.BlockSize)
		}
		if err := k.ReadBlocks(100, run); err != nil {
			t.Fatal(err)
		}
		back.mu.Lock()
		want := 1
		if sizeMax != 0 {
			want = 32 * virtioblk.BlockSize / int(sizeMax)
		}
		if back.requests != want || sizeMax != 0 && back.maxData > int(sizeMax) {
			t.Errorf("size_max %d: 32 blocks in %d requests (want %d), largest %d bytes", sizeMax, back.requests, want, back.maxData)
		}
		back.mu.Unlock()
	}
}
