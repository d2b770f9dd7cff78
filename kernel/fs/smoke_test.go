package fs_test

import (
	"testing"

	"scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
)

func TestSmoke(t *testing.T) {
	dev := fsdev.NewMem(4096)
	if _, err := fs.Format(dev, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Mkdir(nil, "/a", 0o755); err != nil {
		t.Fatal(err)
	}
	ip, err := f.Open(nil, "/a/x", fs.O_CREAT|2, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ip.WriteAt([]byte("hello"), 0); err != nil {
		t.Fatal(err)
	}
	ip.Close()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	r := check.Image(dev, true)
	for _, p := range r.Problems {
		t.Error(p)
	}
	for _, fl := range r.Files {
		t.Log(fl.Path, fl.Size, fl.SHA256)
	}
}
