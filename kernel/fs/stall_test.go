package fs_test

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
)

// gateDev holds the first block read after arm until open is closed: a
// device slow to answer one read.
type gateDev struct {
	*fsdev.Mem
	mu      sync.Mutex
	armed   bool
	waiting chan struct{} // closed when the held read has begun
	open    chan struct{}
}

func (d *gateDev) arm() {
	d.mu.Lock()
	d.armed, d.waiting, d.open = true, make(chan struct{}), make(chan struct{})
	d.mu.Unlock()
}

func (d *gateDev) ReadBlock(n uint64, b []byte) error {
	d.mu.Lock()
	hold := d.armed
	d.armed = false
	d.mu.Unlock()
	if hold {
		close(d.waiting)
		<-d.open
	}
	return d.Mem.ReadBlock(n, b)
}

// While one read waits for the device, nothing else waits for it: a stat
// of that very file, a mkdir, a stat of another file, and a write and
// Sync of another open file all finish (defect 3: the read held the
// inode lock across the I/O, the walk locked the last component to test
// for a symbolic link under nsMu, and the mkdir held a journal slot while
// queued for nsMu, so nothing committed and even unrelated stats hung).
func TestSlowReadStallsNothing(t *testing.T) {
	mem := fsdev.NewMem(8192)
	if _, err := fs.Format(mem, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	dev := &gateDev{Mem: mem}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, f, "/big", make([]byte, 1<<20))
	writeFile(t, f, "/other", []byte("other"))
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	// A cold cache: /big's data must come from the device.
	if f, err = fs.Mount(dev, fs.Options{}); err != nil {
		t.Fatal(err)
	}
	big, err := f.Open(nil, nil, "/big", syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.Open(nil, nil, "/other", syscall.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Warm what the other operations read, then hold the next read.
	if err := f.Mkdir(nil, nil, "/warm", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ReadAt(make([]byte, 5), 0); err != nil {
		t.Fatal(err)
	}
	dev.arm()
	readDone := make(chan error, 1)
	go func() {
		_, err := big.ReadAt(make([]byte, 1<<20), 0)
		readDone <- err
	}()
	<-dev.waiting
	steps := []struct {
		name string
		op   func() error
	}{
		{"stat of the file being read", func() error { _, err := f.Stat(nil, nil, "/big"); return err }},
		{"mkdir", func() error { return f.Mkdir(nil, nil, "/new", 0o755) }},
		{"stat of another file", func() error { _, err := f.Stat(nil, nil, "/other"); return err }},
		{"write and sync of another file", func() error {
			if _, err := other.WriteAt([]byte("OTHER"), 0); err != nil {
				return err
			}
			return f.Sync()
		}},
	}
	for _, s := range steps {
		done := make(chan error, 1)
		go func() { done <- s.op() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", s.name, err)
			}
		case <-time.After(10 * time.Second):
			close(dev.open)
			t.Fatalf("%s waits for an unrelated read from the device", s.name)
		}
	}
	close(dev.open)
	if err := <-readDone; err != nil {
		t.Errorf("the slow read: %v", err)
	}
	big.Close()
	other.Close()
	fsck(t, f, mem)
}
