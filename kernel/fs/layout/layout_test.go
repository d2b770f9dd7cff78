package layout

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
)

func testSB() *Superblock {
	return &Superblock{NBlocks: 10000, NInodes: 2560, OrphanStart: 1, LogStart: 2, LogBlocks: 256,
		InodeBitmapStart: 516, InodeBitmapBlocks: 1, BlockBitmapStart: 517, BlockBitmapBlocks: 1,
		InodeStart: 518, InodeBlocks: 80, DataStart: 598, MkfsTime: 7}
}

func TestSuperblockRoundTrip(t *testing.T) {
	b := make([]byte, BlockSize)
	sb := testSB()
	sb.Encode(b)
	got, err := DecodeSuperblock(b)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *sb {
		t.Errorf("got %+v, want %+v", got, sb)
	}
}

func TestSuperblockRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Superblock)
	}{
		{"overlapping regions", func(s *Superblock) { s.InodeStart-- }},
		{"journal overlaps the bitmap", func(s *Superblock) { s.LogBlocks++ }},
		{"data beyond disk", func(s *Superblock) { s.NBlocks = 300 }},
		{"tiny journal", func(s *Superblock) { s.LogBlocks = 10 }},
		{"too many inodes", func(s *Superblock) { s.NInodes = 1 << 20 }},
		{"no inodes", func(s *Superblock) { s.NInodes = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := testSB()
			tt.edit(sb)
			b := make([]byte, BlockSize)
			sb.Encode(b)
			if _, err := DecodeSuperblock(b); !errors.Is(err, syscall.EUCLEAN) {
				t.Errorf("got %v, want EUCLEAN", err)
			}
		})
	}
	b := make([]byte, BlockSize)
	testSB().Encode(b)
	b[20] ^= 1 // inside the checksummed part
	if _, err := DecodeSuperblock(b); err == nil {
		t.Error("bad checksum accepted")
	}
}

func TestDinodeRoundTrip(t *testing.T) {
	d := Dinode{Mode: S_IFREG | 0o644, Nlink: 3, UID: 1, GID: 2, Size: 123456, Mtime: -5, Ctime: 9,
		Major: 4, Minor: 64, Indirect: 700, DIndirect: 701, Blocks: 33}
	for i := range d.Direct {
		d.Direct[i] = uint32(600 + i)
	}
	b := make([]byte, InodeSize)
	d.Encode(b)
	got, err := DecodeDinode(b)
	if err != nil || got != d {
		t.Fatalf("got %+v %v", got, err)
	}
	if err := got.Check(testSB()); err != nil {
		t.Error(err)
	}
	bad := []func(*Dinode){
		func(d *Dinode) { d.Mode = 0o7 },
		func(d *Dinode) { d.Direct[3] = 5 }, // in the metadata
		func(d *Dinode) { d.DIndirect = 20000 },
		func(d *Dinode) { d.Size = MaxFileSize + 1 },
		func(d *Dinode) { d.Flags = 1 },
	}
	for i, edit := range bad {
		e := d
		edit(&e)
		if err := e.Check(testSB()); err == nil {
			t.Errorf("bad inode %d accepted", i)
		}
	}
}

func TestDirBlock(t *testing.T) {
	b := make([]byte, BlockSize)
	InitDirBlock(b)
	PutDirent(b, 0, 1, 16, DT_DIR, ".")
	PutDirent(b, 16, 1, 16, DT_DIR, "..")
	long := string(bytes.Repeat([]byte("z"), MaxNameLen))
	PutDirent(b, 32, 7, BlockSize-32, DT_REG, long)
	var names []string
	err := ParseDirBlock(b, 100, func(e Dirent) bool {
		names = append(names, string(e.Name))
		return true
	})
	if err != nil || len(names) != 3 || names[2] != long {
		t.Fatalf("parse: %v %q", err, names)
	}
	for i, edit := range []func([]byte){
		func(b []byte) { b[36] = 3 },    // record length not aligned
		func(b []byte) { b[32] = 200 },  // inode out of range
		func(b []byte) { b[40] = '/' },  // slash in a name
		func(b []byte) { b[22] = 20 },   // name longer than its record
		func(b []byte) { b[37] = 0x20 }, // record runs off the block
	} {
		c := append([]byte(nil), b...)
		edit(c)
		if err := ParseDirBlock(c, 100, func(Dirent) bool { return true }); !errors.Is(err, syscall.EUCLEAN) {
			t.Errorf("corruption %d: got %v", i, err)
		}
	}
}

func TestLogHeader(t *testing.T) {
	sb := testSB()
	h := LogHeader{Seq: 9, CRC: 77, Blocks: []uint32{1, 700, 9999}}
	b := make([]byte, BlockSize)
	h.Encode(b)
	got, err := DecodeLogHeader(b, sb)
	if err != nil || got.Seq != 9 || got.CRC != 77 || len(got.Blocks) != 3 || got.Blocks[2] != 9999 {
		t.Fatalf("got %+v %v", got, err)
	}
	for _, home := range []uint32{0, 2, 100, 515, 10000} { // the superblock, the journal, off the disk
		h.Blocks[1] = home
		h.Encode(b)
		if _, err := DecodeLogHeader(b, sb); err == nil {
			t.Errorf("home block %d accepted", home)
		}
	}
	clear(b)
	if got, err := DecodeLogHeader(b, sb); err != nil || len(got.Blocks) != 0 {
		t.Errorf("zero header: %+v %v", got, err)
	}
}
