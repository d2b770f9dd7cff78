package fs

import (
	"testing"
	"time"

	"scone/kernel/fs/layout"
)

// memDev is a minimal in-memory device for the internal tests that counts
// writes and flushes. Not safe for concurrent use.
type memDev struct {
	blocks  map[uint64][]byte
	n       uint64
	writes  int
	flushes int
}

func newMemDev(n uint64) *memDev { return &memDev{blocks: map[uint64][]byte{}, n: n} }

func (d *memDev) NumBlocks() uint64 { return d.n }
func (d *memDev) Flush() error      { d.flushes++; return nil }
func (d *memDev) ReadBlock(n uint64, b []byte) error {
	if v, ok := d.blocks[n]; ok {
		copy(b, v)
	} else {
		clear(b)
	}
	return nil
}
func (d *memDev) WriteBlock(n uint64, b []byte) error {
	d.writes++
	d.blocks[n] = append([]byte(nil), b...)
	return nil
}

func testJournal(t *testing.T) (*journal, *memDev) {
	dev := newMemDev(1000)
	sb := &layout.Superblock{NBlocks: 1000, LogStart: 2, LogBlocks: 256}
	return newJournal(newCache(dev, 400), dev, sb, 0), dev
}

// logBlock changes block n in transaction t.
func logBlock(t *testing.T, j *journal, tx *tx, n uint64, v byte) {
	b, err := j.c.get(n)
	if err != nil {
		t.Fatal(err)
	}
	b.data[0] = v
	tx.write(b)
	j.c.release(b)
}

// TestGroupCommit: operations that overlap share one commit, which
// happens when the last of them ends, and absorbs repeated blocks.
func TestGroupCommit(t *testing.T) {
	j, dev := testJournal(t)
	var txs []*tx
	for i := 0; i < 2; i++ {
		tx, err := j.begin()
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	logBlock(t, j, txs[0], 500, 1)
	logBlock(t, j, txs[1], 501, 2)
	logBlock(t, j, txs[1], 500, 3) // absorbed into the same journal slot
	if err := txs[0].end(); err != nil {
		t.Fatal(err)
	}
	if dev.writes != 0 || j.commits != 0 {
		t.Fatalf("committed while an operation was running: %d writes", dev.writes)
	}
	if err := txs[1].end(); err != nil {
		t.Fatal(err)
	}
	// Two journal blocks and a header, two installs, one barrier.
	if j.commits != 1 || dev.writes != 5 || dev.flushes != 1 {
		t.Errorf("commits %d, writes %d, flushes %d; want 1, 5, 1", j.commits, dev.writes, dev.flushes)
	}
	if dev.blocks[500][0] != 3 || dev.blocks[501][0] != 2 {
		t.Errorf("installed %d %d", dev.blocks[500][0], dev.blocks[501][0])
	}
}

// TestBeginWaitsForRoom: begin admits only as many operations as the
// journal can hold at MaxOpBlocks each.
func TestBeginWaitsForRoom(t *testing.T) {
	j, _ := testJournal(t) // 256 blocks: room for two operations
	a, _ := j.begin()
	b, _ := j.begin()
	got := make(chan *tx)
	go func() {
		c, _ := j.begin()
		got <- c
	}()
	// Waiting for something not to happen needs a time bound.
	select {
	case <-got:
		t.Fatal("a third operation was admitted to a journal with room for two")
	case <-time.After(50 * time.Millisecond):
	}
	a.end()
	b.end()
	c := <-got // admitted once the others ended
	c.end()
}

// TestRecoverLog replays a committed transaction and ignores one whose
// blocks do not match the header's checksum.
func TestRecoverLog(t *testing.T) {
	for _, torn := range []bool{false, true} {
		j, dev := testJournal(t)
		tx, _ := j.begin()
		logBlock(t, j, tx, 600, 9)
		// Commit by hand up to the commit point: journal and header only.
		bufs := j.bufs
		h := layout.LogHeader{Seq: 5, Blocks: []uint32{600}}
		dev.WriteBlock(3, bufs[0].data)
		h.CRC = layout.Checksum(0, bufs[0].data)
		if torn {
			dev.blocks[3][100] ^= 1 // the journal block did not land whole
		}
		hb := make([]byte, BlockSize)
		h.Encode(hb)
		dev.WriteBlock(2, hb)
		n, seq, _, err := recoverLog(dev, &layout.Superblock{NBlocks: 1000, LogStart: 2, LogBlocks: 256})
		if err != nil || seq != 6 {
			t.Fatalf("recover: %d %d %v", n, seq, err)
		}
		if replayed := dev.blocks[600] != nil; replayed == torn || (n == 1) == torn {
			t.Errorf("torn=%v: replayed %d blocks", torn, n)
		}
	}
}

// TestRecoverTornHeader: a header of more than 122 home blocks spans
// several 512-byte sectors; a crash may land the first sector (count, seq,
// data checksum) of the new header over the rest of an old one. The data
// checksum still matches, but the home blocks are stale: recovery must
// see the header's own checksum fail and replay nothing, rather than
// write the new blocks over the stale homes.
func TestRecoverTornHeader(t *testing.T) {
	dev := newMemDev(4000)
	sb := &layout.Superblock{NBlocks: 4000, LogStart: 2, LogBlocks: 256}
	const n = 200
	oldH := layout.LogHeader{Seq: 3, Blocks: make([]uint32, n)}
	newH := layout.LogHeader{Seq: 5, Blocks: make([]uint32, n)}
	data := make([]byte, BlockSize)
	for i := range n {
		oldH.Blocks[i] = uint32(1000 + i)
		newH.Blocks[i] = uint32(2000 + i)
		data[0] = byte(i)
		dev.WriteBlock(3+uint64(i), data)
		newH.CRC = layout.Checksum(newH.CRC, data)
	}
	oldB, newB := make([]byte, BlockSize), make([]byte, BlockSize)
	oldH.Encode(oldB)
	newH.Encode(newB)
	torn := append(append([]byte(nil), newB[:512]...), oldB[512:]...)
	dev.WriteBlock(2, torn)
	replayed, _, _, err := recoverLog(dev, sb)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if dev.blocks[uint64(1000+i)] != nil {
			t.Fatalf("replayed journal block %d to the stale home %d (%d blocks replayed)", i, 1000+i, replayed)
		}
	}
	if replayed != 0 {
		t.Errorf("replayed %d blocks of a torn header", replayed)
	}
	// The whole new header is replayed.
	dev.WriteBlock(2, newB)
	if replayed, _, _, err = recoverLog(dev, sb); err != nil || replayed != n || dev.blocks[2000+n-1] == nil {
		t.Errorf("whole header: replayed %d, %v", replayed, err)
	}
}

// TestRecoverFlushesBeforeReuse: a crash during a commit can leave that
// commit's header (newer) over blocks that did not all land, beside a
// valid older transaction in the other half. Recovery replays the older
// one, and the first commit after mount must then go to the older one's
// half (the newer header marks the other as the one in use). That commit
// overwrites the log recovery replayed from, so recovery must make its
// replayed home writes durable first: no write of the replay may remain
// behind a barrier not yet issued when recovery returns.
func TestRecoverFlushesBeforeReuse(t *testing.T) {
	dev := newMemDev(1000)
	sb := &layout.Superblock{NBlocks: 1000, LogStart: 2, LogBlocks: 256}
	data := make([]byte, BlockSize)
	data[0] = 42
	// Half 1 (header at 3+256): transaction 7, valid, one block for home 600.
	h1 := sb.LogHeader(1)
	dev.WriteBlock(h1+1, data)
	valid := layout.LogHeader{Seq: 7, Blocks: []uint32{600}, CRC: layout.Checksum(0, data)}
	hb := make([]byte, BlockSize)
	valid.Encode(hb)
	dev.WriteBlock(h1, hb)
	// Half 0: transaction 8's header landed, its block did not.
	torn := layout.LogHeader{Seq: 8, Blocks: []uint32{601}, CRC: layout.Checksum(0, data)}
	torn.Encode(hb)
	dev.WriteBlock(sb.LogHeader(0), hb)
	dev.flushes = 0
	replayed, next, half, err := recoverLog(dev, sb)
	if err != nil || replayed != 1 || next != 9 {
		t.Fatalf("recover: %d %d %v", replayed, next, err)
	}
	if half != 1 {
		t.Fatalf("first commit goes to half %d, want 1 (the older header)", half)
	}
	if dev.flushes == 0 {
		t.Errorf("recovery returned with its replay not made durable, and the next commit overwrites the log it replayed")
	}
}

// commits reads the commit count under the journal's lock (the timer
// commits from its own goroutine).
func (j *journal) commitCount() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.commits
}

// waitCommits polls until the journal has made n commits or a second
// has passed, and returns the count.
func waitCommits(j *journal, n uint64) uint64 {
	deadline := time.Now().Add(time.Second)
	for j.commitCount() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return j.commitCount()
}

// TestDelayedCommit: with a commit interval, an operation's end writes
// nothing; Sync (waitIdle) commits the group at once, and so does the end
// of an operation after which the journal could not take another.
func TestDelayedCommit(t *testing.T) {
	j, dev := testJournal(t) // 256 blocks; MaxOpBlocks is 128
	j.interval = time.Hour
	for i := range 3 {
		tx, _ := j.begin()
		logBlock(t, j, tx, 500+uint64(i), byte(i))
		if err := tx.end(); err != nil {
			t.Fatal(err)
		}
	}
	if j.commitCount() != 0 || dev.writes != 0 || dev.flushes != 0 {
		t.Fatalf("ends wrote: %d commits, %d writes, %d flushes", j.commitCount(), dev.writes, dev.flushes)
	}
	if err := j.waitIdle(); err != nil {
		t.Fatal(err)
	}
	// Three journal blocks, a header, three installs, one barrier.
	if j.commitCount() != 1 || dev.writes != 7 || dev.flushes != 1 || dev.blocks[502][0] != 2 {
		t.Fatalf("after Sync: %d commits, %d writes, %d flushes; want 1, 7, 1", j.commitCount(), dev.writes, dev.flushes)
	}

	// 130 blocks leave room for no operation of MaxOpBlocks: the end
	// that brings the group to them commits.
	for op := range 2 {
		tx, _ := j.begin()
		for i := range 65 {
			logBlock(t, j, tx, 300+uint64(op*65+i), 1)
		}
		if err := tx.end(); err != nil {
			t.Fatal(err)
		}
		if op == 0 && j.commitCount() != 1 {
			t.Fatalf("a group of 65 blocks committed early")
		}
	}
	if j.commitCount() != 2 {
		t.Errorf("a group too full for another operation did not commit at its end (%d commits)", j.commitCount())
	}
}

// TestCommitTimer: a group commits one interval after its first operation
// ended, from the timer; if the timer fires while an operation runs, the
// commit waits for that operation's end (a commit of half an operation
// would break its atomicity).
func TestCommitTimer(t *testing.T) {
	j, _ := testJournal(t)
	j.interval = 20 * time.Millisecond
	tx, _ := j.begin()
	logBlock(t, j, tx, 500, 1)
	tx.end()
	if got := waitCommits(j, 1); got != 1 {
		t.Fatalf("the timer made %d commits, want 1", got)
	}

	a, _ := j.begin()
	logBlock(t, j, a, 501, 1)
	a.end() // arms the timer
	b, _ := j.begin()
	logBlock(t, j, b, 502, 1)
	time.Sleep(5 * j.interval) // the timer fires while b runs
	if got := j.commitCount(); got != 1 {
		t.Fatalf("committed with an operation running (%d commits)", got)
	}
	b.end()
	if got := j.commitCount(); got != 2 {
		t.Errorf("the end after a fired timer did not commit (%d commits)", got)
	}
}

// TestCommitForgetsBuffers: after a commit the journal keeps no pointer
// to the buffers it carried, not even past its list's length, so that a
// buffer the cache drops is freed (a 5 s group holds up to a journal's
// worth of them: usertests found 3 MiB held after drop_caches).
func TestCommitForgetsBuffers(t *testing.T) {
	j, _ := testJournal(t)
	tx, _ := j.begin()
	for i := range 10 {
		logBlock(t, j, tx, 500+uint64(i), 1)
	}
	if err := tx.end(); err != nil {
		t.Fatal(err)
	}
	for i, b := range j.bufs[:cap(j.bufs)] {
		if b != nil {
			t.Fatalf("slot %d of the committed list still points at block %d", i, b.blockno)
		}
	}
}
