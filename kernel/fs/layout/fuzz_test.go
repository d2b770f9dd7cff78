package layout

import "testing"

// The decoders face whatever is on the disk: they must return an error,
// never panic, and what they accept must survive a round trip.

func FuzzSuperblock(f *testing.F) {
	b := make([]byte, BlockSize)
	testSB().Encode(b)
	f.Add(b[:128])
	f.Fuzz(func(t *testing.T, head []byte) {
		b := make([]byte, BlockSize)
		copy(b, head)
		sb, err := DecodeSuperblock(b)
		if err != nil {
			return
		}
		c := make([]byte, BlockSize)
		sb.Encode(c)
		if sb2, err := DecodeSuperblock(c); err != nil || *sb2 != *sb {
			t.Fatalf("round trip: %+v %v", sb2, err)
		}
		sb.InodeBlock(sb.NInodes - 1)
	})
}

func FuzzDinode(f *testing.F) {
	d := Dinode{Mode: S_IFDIR | 0o755, Nlink: 2, Size: BlockSize, Blocks: 1}
	d.Direct[0] = 600
	b := make([]byte, InodeSize)
	d.Encode(b)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDinode(b)
		if err != nil {
			return
		}
		if d.Check(testSB()) != nil {
			return
		}
		c := make([]byte, InodeSize)
		d.Encode(c)
		if d2, _ := DecodeDinode(c); d2 != d {
			t.Fatalf("round trip: %+v != %+v", d2, d)
		}
	})
}

func FuzzDirBlock(f *testing.F) {
	b := make([]byte, BlockSize)
	InitDirBlock(b)
	PutDirent(b, 0, 1, 16, DT_DIR, ".")
	PutDirent(b, 16, 1, BlockSize-16, DT_DIR, "..")
	f.Add(b[:64])
	f.Fuzz(func(t *testing.T, head []byte) {
		b := make([]byte, BlockSize)
		InitDirBlock(b)
		copy(b, head)
		total := 0
		err := ParseDirBlock(b, 1000, func(e Dirent) bool {
			total += e.RecLen
			if e.Inum != 0 && (len(e.Name) == 0 || len(e.Name) > MaxNameLen) {
				t.Fatalf("bad name accepted: %q", e.Name)
			}
			return true
		})
		if err == nil && total != BlockSize {
			t.Fatalf("records cover %d bytes, not the block", total)
		}
	})
}

func FuzzLogHeader(f *testing.F) {
	b := make([]byte, BlockSize)
	(&LogHeader{Seq: 1, CRC: 2, Blocks: []uint32{1, 400}}).Encode(b)
	f.Add(b[:64])
	f.Fuzz(func(t *testing.T, head []byte) {
		b := make([]byte, BlockSize)
		copy(b, head)
		sb := testSB()
		h, err := DecodeLogHeader(b, sb)
		if err != nil {
			return
		}
		for _, a := range h.Blocks {
			if a == 0 || uint64(a) >= sb.NBlocks || (a >= sb.LogStart && uint64(a) < sb.LogEnd()) {
				t.Fatalf("home block %d accepted", a)
			}
		}
		if _, err := DecodeOrphanHead(b, sb.NInodes); err == nil && len(b) < BlockSize {
			t.Fatal("short orphan block accepted")
		}
	})
}
