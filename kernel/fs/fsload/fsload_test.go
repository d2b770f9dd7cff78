package fsload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
)

func newFS(t *testing.T, blocks uint64) (*fs.FS, *fsdev.Mem) {
	t.Helper()
	dev := fsdev.NewMem(blocks)
	if _, err := fs.Format(dev, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f, dev
}

func TestWriteFiles(t *testing.T) {
	f, dev := newFS(t, 8192)
	const n = 40
	if err := WriteFiles(f, n); err != nil {
		t.Fatal(err)
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	r := check.Image(dev, true)
	if !r.OK() {
		t.Fatal(r.Problems)
	}
	want := map[string]string{}
	for i := 0; i < n; i++ {
		sum := sha256.Sum256(Content(i))
		want[Name(i)] = hex.EncodeToString(sum[:])
	}
	for _, file := range r.Files {
		if w, ok := want[file.Path]; ok && w == file.SHA256 {
			delete(want, file.Path)
		}
	}
	if len(want) != 0 {
		t.Fatalf("missing or wrong: %v", want)
	}
}

func TestChurn(t *testing.T) {
	f, dev := newFS(t, 8192)
	ctx, cancel := context.WithCancel(context.Background())
	rounds := 0
	err := Churn(ctx, f, func(k int) {
		rounds = k + 1
		if k == 4 {
			cancel()
		}
	})
	if err != nil || rounds != 5 {
		t.Fatalf("churn: %v after %d rounds", err, rounds)
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	if r := check.Image(dev, false); !r.OK() {
		t.Fatal(r.Problems)
	}
}

func TestBench(t *testing.T) {
	f, _ := newFS(t, 8192)
	r, err := Bench(f, "/big", 5<<20+123)
	if err != nil {
		t.Fatal(err)
	}
	if r.Write <= 0 || r.Read <= 0 || MBps(r.Bytes, r.Read) <= 0 {
		t.Fatalf("result %+v", r)
	}
	if _, err := f.Stat(nil, nil, "/big"); err == nil {
		t.Fatal("bench file left behind")
	}
}
