package check

import (
	"strings"
	"syscall"
	"testing"

	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

// sample builds an image: /d (inode 2), /d/f (3, 5000 bytes), /g (4, empty).
func sample(t *testing.T) (*fsdev.Mem, *layout.Superblock) {
	dev := fsdev.NewMem(1024)
	sb, err := fs.Format(dev, fs.FormatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Mkdir(nil, nil, "/d", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/d/f", "/g"} {
		ip, err := f.Open(nil, nil, p, fs.O_CREAT|syscall.O_RDWR, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if p == "/d/f" {
			ip.WriteAt(make([]byte, 5000), 0)
		}
		ip.Close()
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	return dev, sb
}

// editInode applies fn to inode inum on disk.
func editInode(dev *fsdev.Mem, sb *layout.Superblock, inum uint32, fn func(*layout.Dinode)) {
	bn, off := sb.InodeBlock(inum)
	b := make([]byte, layout.BlockSize)
	dev.ReadBlock(bn, b)
	d, _ := layout.DecodeDinode(b[off:])
	fn(&d)
	d.Encode(b[off:])
	dev.WriteBlock(bn, b)
}

func inode(dev *fsdev.Mem, sb *layout.Superblock, inum uint32) layout.Dinode {
	var d layout.Dinode
	editInode(dev, sb, inum, func(x *layout.Dinode) { d = *x })
	return d
}

// addEntry appends a record naming inum to the first block of directory dir.
func addEntry(dev *fsdev.Mem, sb *layout.Superblock, dir uint32, name string, inum uint32, typ uint8) {
	blk := uint64(inode(dev, sb, dir).Direct[0])
	b := make([]byte, layout.BlockSize)
	dev.ReadBlock(blk, b)
	var last layout.Dirent
	layout.ParseDirBlock(b, sb.NInodes, func(e layout.Dirent) bool { last = e; return true })
	used := layout.DirentSize(len(last.Name))
	layout.PutDirent(b, last.Off, last.Inum, used, last.Type, string(last.Name))
	layout.PutDirent(b, last.Off+used, inum, last.RecLen-used, typ, name)
	dev.WriteBlock(blk, b)
}

func TestDetects(t *testing.T) {
	tests := []struct {
		name   string
		damage func(*fsdev.Mem, *layout.Superblock)
		want   string
	}{
		{"nothing", func(*fsdev.Mem, *layout.Superblock) {}, ""},
		{"block owned twice", func(dev *fsdev.Mem, sb *layout.Superblock) {
			a := inode(dev, sb, 3).Direct[0]
			editInode(dev, sb, 4, func(d *layout.Dinode) { d.Direct[0], d.Size, d.Blocks = a, 10, 1 })
		}, "also used elsewhere"},
		{"directory reached twice", func(dev *fsdev.Mem, sb *layout.Superblock) {
			addEntry(dev, sb, layout.RootInum, "again", 2, layout.DT_DIR)
		}, "reached twice"},
		{"wrong type code", func(dev *fsdev.Mem, sb *layout.Superblock) {
			addEntry(dev, sb, layout.RootInum, "g2", 4, layout.DT_DIR)
		}, "record type"},
		{"block past the size", func(dev *fsdev.Mem, sb *layout.Superblock) {
			editInode(dev, sb, 3, func(d *layout.Dinode) { d.Size = 100 })
		}, "beyond the size"},
		{"block count", func(dev *fsdev.Mem, sb *layout.Superblock) {
			editInode(dev, sb, 3, func(d *layout.Dinode) { d.Blocks = 9 })
		}, "block count 9"},
		{"free inode named", func(dev *fsdev.Mem, sb *layout.Superblock) {
			editInode(dev, sb, 4, func(d *layout.Dinode) { *d = layout.Dinode{} })
		}, "free on disk"},
		{"bad dotdot", func(dev *fsdev.Mem, sb *layout.Superblock) {
			blk := uint64(inode(dev, sb, 2).Direct[0])
			b := make([]byte, layout.BlockSize)
			dev.ReadBlock(blk, b)
			b[16] = 3 // ".." (the second record) now names /d/f
			dev.WriteBlock(blk, b)
		}, "\"..\" names inode 3"},
		{"orphan left", func(dev *fsdev.Mem, sb *layout.Superblock) {
			b := make([]byte, layout.BlockSize)
			layout.PutOrphanHead(b, 4)
			dev.WriteBlock(uint64(sb.OrphanStart), b)
		}, "orphan list: inode 4 left after recovery"},
		{"orphan chain left", func(dev *fsdev.Mem, sb *layout.Superblock) {
			editInode(dev, sb, 3, func(d *layout.Dinode) { d.NextOrphan = 4 })
		}, "inode 3: next orphan 4 left after recovery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev, sb := sample(t)
			tt.damage(dev, sb)
			r := &Report{}
			Raw(dev, true, r)
			got := strings.Join(r.Problems, "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", got, tt.want)
			}
		})
	}
}

// TestImageRecovers: Image replays a committed journal transaction in its
// overlay, as mount would, without modifying the device.
func TestImageRecovers(t *testing.T) {
	dev, sb := sample(t)
	pre := dev.Clone()
	f, _ := fs.Mount(dev, fs.Options{})
	f.Mkdir(nil, nil, "/late", 0o755)
	f.Sync() // committed, installed, header still valid (no unmount)
	// The disk as if the power failed after the commit point but before
	// any block was installed: the journal from dev, the rest from pre.
	crashed := pre.Clone()
	b := make([]byte, layout.BlockSize)
	for n := uint64(sb.LogStart); n < sb.LogEnd(); n++ {
		dev.ReadBlock(n, b)
		crashed.WriteBlock(n, b)
	}
	if r := Image(pre, true); len(r.Files) != 4 {
		t.Fatalf("before: %v", r.Files)
	}
	untouched := crashed.Clone()
	r := Image(crashed, true)
	if !r.OK() || r.Replayed == 0 || len(r.Files) != 5 || r.Files[len(r.Files)-1].Path != "/late" {
		t.Fatalf("after recovery: %v, replayed %d, files %v", r.Problems, r.Replayed, r.Files)
	}
	c := make([]byte, layout.BlockSize)
	for _, n := range untouched.Written() {
		crashed.ReadBlock(n, b)
		untouched.ReadBlock(n, c)
		if string(b) != string(c) {
			t.Fatalf("Image modified block %d", n)
		}
	}
	if len(crashed.Written()) != len(untouched.Written()) {
		t.Fatal("Image wrote new blocks to the device")
	}
}
