package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

// image makes a small image file with one file in it, and returns its path.
func image(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "fs.img")
	dev, err := fsdev.CreateFile(path, 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if _, err := fs.Format(dev, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ip, err := f.Open(nil, nil, "/hello", fs.O_CREAT|syscall.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	ip.WriteAt([]byte("hello\n"), 0)
	ip.Close()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	return path
}

// patch rewrites bytes of block n of the image file.
func patch(t *testing.T, path string, n int64, off int, b []byte) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, n*layout.BlockSize+int64(off)); err != nil {
		t.Fatal(err)
	}
}

func TestFsck(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, sb *layout.Superblock)
		status int
		errs   string
	}{
		{"clean", func(*testing.T, string, *layout.Superblock) {}, 0, "clean"},
		{"bad magic", func(t *testing.T, p string, _ *layout.Superblock) { patch(t, p, 0, 0, []byte{0}) }, 1, "bad magic"},
		{"link count", func(t *testing.T, p string, sb *layout.Superblock) {
			bn, off := sb.InodeBlock(2)
			patch(t, p, int64(bn), off+4, []byte{7})
		}, 1, "link count 7"},
		{"leaked block", func(t *testing.T, p string, sb *layout.Superblock) {
			patch(t, p, int64(sb.BlockBitmapStart), 100, []byte{0xff})
		}, 1, "in use in the bitmap but free"},
		{"leaked inode", func(t *testing.T, p string, sb *layout.Superblock) {
			patch(t, p, int64(sb.InodeBitmapStart), 10, []byte{0x01})
		}, 1, "no directory names it"},
		{"size beyond blocks", func(t *testing.T, p string, sb *layout.Superblock) {
			bn, off := sb.InodeBlock(2)
			patch(t, p, int64(bn), off+16, []byte{0, 0, 1}) // size 65536, one block
		}, 0, "clean"}, // a hole at the end is legal
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := image(t)
			dev, err := fsdev.OpenFile(path, true)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, layout.BlockSize)
			dev.ReadBlock(0, b)
			dev.Close()
			sb, err := layout.DecodeSuperblock(b)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, path, sb)
			var out, errs bytes.Buffer
			if st := run([]string{"-ls", path}, &out, &errs); st != tt.status {
				t.Errorf("status %d, want %d; stderr:\n%s", st, tt.status, errs.String())
			}
			if !strings.Contains(errs.String(), tt.errs) {
				t.Errorf("stderr lacks %q:\n%s", tt.errs, errs.String())
			}
			if tt.name == "clean" && !strings.Contains(out.String(), "/hello 6 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03") {
				t.Errorf("listing:\n%s", out.String())
			}
		})
	}
}

// TestListLine: one line per name, split the same way whatever bytes the
// name holds.
func TestListLine(t *testing.T) {
	reg, dir, lnk := uint32(layout.S_IFREG|0o644), uint32(layout.S_IFDIR|0o755), uint32(layout.S_IFLNK|0o777)
	tests := []struct {
		f    check.File
		want string
	}{
		{check.File{Path: "/a/b", Mode: reg, Size: 3, SHA256: "abc"}, "/a/b 3 abc"},
		{check.File{Path: "/", Mode: dir, Size: 4096}, "/ 4096 -"},
		{check.File{Path: "/d", Mode: dir, Size: 4096}, "/d/ 4096 -"},
		{check.File{Path: "/two words", Mode: reg, Size: 1, SHA256: "x"}, `"/two words" 1 x`},
		{check.File{Path: "/new\nline", Mode: reg, Size: 1, SHA256: "x"}, `"/new\nline" 1 x`},
		{check.File{Path: "/\xff", Mode: reg, Size: 1, SHA256: "x"}, `"/\xff" 1 x`},
		{check.File{Path: `/"q`, Mode: dir, Size: 4096}, `"/\"q/" 4096 -`},
		{check.File{Path: "/héllo", Mode: reg, Size: 1, SHA256: "x"}, "/héllo 1 x"},
		{check.File{Path: "/l", Mode: lnk, Size: 3, Target: "a b"}, `/l 3 ->"a b"`},
		{check.File{Path: "/dev/tty", Mode: layout.S_IFCHR | 0o620, Major: 4, Minor: 1}, "/dev/tty 0 dev:4,1"},
	}
	for _, tt := range tests {
		if got := listLine(tt.f); got != tt.want {
			t.Errorf("listLine(%q) = %s, want %s", tt.f.Path, got, tt.want)
		}
	}
}
