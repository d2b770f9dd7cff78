package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	kfs "scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

// fill writes n pseudo-random bytes (xorshift: fast, and incompressible
// enough to catch a misplaced block) to path.
func fill(t *testing.T, path string, n int, seed uint64) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	x := seed | 1
	for done := 0; done < n; done += len(buf) {
		for i := 0; i < len(buf); i += 8 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			binary.LittleEndian.PutUint64(buf[i:], x)
		}
		if _, err := f.Write(buf[:min(len(buf), n-done)]); err != nil {
			t.Fatal(err)
		}
	}
}

// tree builds the test input: deep directories, empty files, a 255-byte
// name, a crowded directory, a hard link, assorted modes, a big file and
// a sparse file of more than 1 GiB, which fits the image only as holes.
func tree(t *testing.T, bigSize int) string {
	root := t.TempDir()
	deep := root
	for i := 0; i < 40; i++ {
		deep = filepath.Join(deep, fmt.Sprintf("d%d", i))
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(deep, 0o755))
	must(os.WriteFile(filepath.Join(deep, "bottom"), []byte("deepest\n"), 0o644))
	must(os.WriteFile(filepath.Join(deep, "empty"), nil, 0o600))
	must(os.WriteFile(filepath.Join(root, "empty"), nil, 0o644))
	must(os.Mkdir(filepath.Join(root, "emptydir"), 0o700))
	must(os.WriteFile(filepath.Join(root, strings.Repeat("L", 255)), []byte("long name"), 0o640))
	must(os.Mkdir(filepath.Join(root, "crowd"), 0o755))
	for i := 0; i < 300; i++ {
		must(os.WriteFile(filepath.Join(root, "crowd", fmt.Sprintf("file-%03d", i)), bytes.Repeat([]byte{byte(i)}, i*37), 0o644))
	}
	must(os.WriteFile(filepath.Join(root, "script"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Link(filepath.Join(root, "script"), filepath.Join(root, "crowd", "script-link")))
	must(syscall.Mkfifo(filepath.Join(root, "fifo"), 0o620))
	must(os.Symlink("crowd/file-007", filepath.Join(root, "link")))
	must(os.Symlink("/nowhere/at/all", filepath.Join(root, "dangling")))
	fill(t, filepath.Join(root, "big"), bigSize, 99)
	sparse(t, filepath.Join(root, "sparse"))
	old := time.Unix(1234567890, 0)
	must(os.Chtimes(filepath.Join(root, "empty"), old, old))
	must(os.Chmod(root, 0o751)) // the image's root takes DIR's mode
	return root
}

// sparse makes a host file of a little over 1 GiB, nearly all holes, with
// data in its first block, in the double-indirect range and at its end.
func sparse(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, off := range []int64{0, 700 << 20, 1<<30 + 4096*3 + 17} {
		if _, err := f.WriteAt([]byte(fmt.Sprintf("data at %d", off)), off); err != nil {
			t.Fatal(err)
		}
	}
}

// hostListing is what fsck -ls should print for the regular files of root.
func hostListing(t *testing.T, root string) (files []string, modes map[string]uint32) {
	modes = map[string]uint32{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, root))
		rel = strings.Replace(rel, "//", "/", 1)
		st, err := d.Info()
		if err != nil {
			return err
		}
		modes[rel] = uint32(st.Mode().Perm())
		if d.Type().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			h := sha256.New()
			n, err := io.Copy(h, f)
			if err != nil {
				return err
			}
			files = append(files, fmt.Sprintf("%s %d %s", rel, n, hex.EncodeToString(h.Sum(nil))))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files, modes
}

// TestRoundTrip builds an image from a host tree and checks that fsck
// finds it clean and lists every file with the host's size and SHA-256.
func TestRoundTrip(t *testing.T) {
	src := tree(t, 100<<20)
	img := filepath.Join(t.TempDir(), "fs.img")
	if err := build(img, 160<<20, 0, src, []string{"/dev/console:c:5:1", "/dev/sda:b:8:0"}); err != nil {
		t.Fatal(err)
	}
	dev, err := fsdev.OpenFile(img, true)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	r := check.Image(dev, true)
	for _, p := range r.Problems {
		t.Errorf("fsck: %s", p)
	}
	want, modes := hostListing(t, src)
	var got []string
	for _, f := range r.Files {
		if f.Mode&layout.S_IFMT == layout.S_IFREG {
			got = append(got, fmt.Sprintf("%s %d %s", f.Path, f.Size, f.SHA256))
		}
		if strings.HasPrefix(f.Path, "/dev") {
			continue // made by -mknod, not copied
		}
		if m, ok := modes[f.Path]; !ok {
			t.Errorf("%s: in the image, not in the source", f.Path)
		} else if f.Mode&layout.PermMask != m {
			t.Errorf("%s: mode %#o, want %#o", f.Path, f.Mode&layout.PermMask, m)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("listing differs:\ngot  %d files\nwant %d files", len(got), len(want))
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("first difference:\ngot  %s\nwant %s", got[i], want[i])
				break
			}
		}
	}
	nodes := map[string]string{}
	for _, f := range r.Files {
		if f.Mode&layout.S_IFMT == layout.S_IFCHR || f.Mode&layout.S_IFMT == layout.S_IFBLK {
			nodes[f.Path] = fmt.Sprintf("%#o %d:%d", f.Mode, f.Major, f.Minor)
		}
	}
	links := map[string]string{}
	for _, f := range r.Files {
		if f.Mode&layout.S_IFMT == layout.S_IFLNK {
			links[f.Path] = f.Target
		}
	}
	if links["/link"] != "crowd/file-007" || links["/dangling"] != "/nowhere/at/all" || len(links) != 2 {
		t.Errorf("symbolic links: %v", links)
	}
	if nodes["/dev/console"] != "020666 5:1" || nodes["/dev/sda"] != "060666 8:0" || len(nodes) != 2 {
		t.Errorf("device nodes: %v", nodes)
	}
	if len(r.Files) != len(modes)+3 { // plus /dev and its two nodes
		t.Errorf("%d names in the image, %d in the source", len(r.Files), len(modes))
	}
	// Modification times are copied.
	f, err := kfs.Mount(fsdev.NewOverlay(dev), kfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/empty", "/crowd", "/big"} {
		st, err := f.Stat(nil, nil, p)
		host, herr := os.Stat(filepath.Join(src, p))
		if err != nil || herr != nil || st.Mtime != host.ModTime().UnixNano() {
			t.Errorf("%s: mtime %d (%v), host %v (%v)", p, st.Mtime, err, host.ModTime(), herr)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"64M", 64 << 20, true}, {"1G", 1 << 30, true}, {"3MiB", 3 << 20, true},
		{"4194304", 4 << 20, true}, {"2M", 0, false}, {"", 0, false}, {"12Q", 0, false},
		{"99999999999999999999G", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v", tt.in, got, err)
		}
	}
}
