package fs

import (
	"syscall"
	"testing"
	"time"
)

// Two parts of defect 3, each on its own: the walk must not lock the last
// component just to see whether it is a symbolic link, and a tree
// operation queued for nsMu must hold no journal slot (which would keep
// every commit, and so every Sync, waiting).

func internalFS(t *testing.T) *FS {
	t.Helper()
	dev := newMemDev(4096)
	if _, err := Format(dev, FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := Mount(dev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func finishes(t *testing.T, what string, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s does not finish", what)
	}
}

// The file's inode lock is held (as by a long operation on it): looking
// the file up still finishes, since only the directory is locked.
func TestWalkSkipsLastLock(t *testing.T) {
	f := internalFS(t)
	h, err := f.Open(nil, nil, "/busy", O_CREAT|syscall.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	h.ip.mu.Lock()
	finishes(t, "lookup of a file whose inode is locked", func() error {
		g, err := f.Lookup(nil, nil, "/busy")
		if err == nil {
			g.Close()
		}
		return err
	})
	h.ip.mu.Unlock()
	h.Close()
}

// A walk holds nsMu (as one stuck on a slow directory read would), and a
// mkdir queues behind it: a write and Sync of an open file still commit.
func TestQueuedTreeOpHoldsNoSlot(t *testing.T) {
	f := internalFS(t)
	h, err := f.Open(nil, nil, "/file", O_CREAT|syscall.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.nsMu.RLock()
	queued := make(chan error, 1)
	go func() { queued <- f.Mkdir(nil, nil, "/d", 0o755) }()
	// Let the mkdir reach nsMu: it is queued once it blocks there (a
	// pending writer makes TryRLock fail).
	for deadline := time.Now().Add(10 * time.Second); f.nsMu.TryRLock(); {
		f.nsMu.RUnlock()
		if time.Now().After(deadline) {
			t.Fatal("mkdir never queued for nsMu")
		}
		time.Sleep(time.Millisecond)
	}
	finishes(t, "write and Sync while a tree operation is queued", func() error {
		if _, err := h.WriteAt([]byte("data"), 0); err != nil {
			return err
		}
		return f.Sync()
	})
	f.nsMu.RUnlock()
	if err := <-queued; err != nil {
		t.Errorf("mkdir: %v", err)
	}
	h.Close()
}
