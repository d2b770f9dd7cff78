package fs

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"

	"scone/kernel/fs/layout"
)

// The journal makes each operation atomic across a crash. An operation
// runs between begin and end; every block it changes is logged (pinned in
// the cache and remembered), not written. The whole group is committed at
// once, when no operation is running and either the commit interval has
// passed since the group's first operation ended (at once with an interval
// of 0), the group could not take one more operation, the mount is
// synchronous, or someone waits for it (Sync). The journal has two halves,
// used by turns:
//
//  1. write the logged blocks into the half, and its header: their home
//     locations, the sequence number, a CRC-32C of their contents;
//  2. Flush: the transaction is now durable (the commit point). The same
//     barrier makes the previous transaction's home writes durable, so
//     the other half, which the next commit will overwrite, is free;
//  3. write each block to its home location, with no barrier of its own:
//     the next commit's (or unmount's) Flush covers it.
//
// One Flush per commit. Recovery (recover.go) replays, oldest first, each
// half whose header's CRC matches its blocks.
type journal struct {
	c    *cache
	dev  BlockDevice
	sb   *layout.Superblock
	size int // blocks in each half: the most one transaction may hold

	mu          sync.Mutex
	cond        sync.Cond
	outstanding int            // operations between begin and end
	committing  bool           // a commit is writing; begin waits
	bufs        []*buf         // logged blocks of the running transaction
	logged      map[uint64]int // block number -> index in bufs
	seq         uint64         // sequence number of the running transaction
	err         error          // sticky: set when a commit fails
	sync        bool           // end waits for its transaction's commit
	half        int            // the journal half the next commit uses
	interval    time.Duration  // how long a group may wait for its commit
	due         bool           // commit as soon as no operation runs
	timer       *time.Timer    // armed while a group waits for its commit

	commits, ops uint64 // statistics: commits and operations they carried
	hdr          []byte // scratch block for the header
}

// A tx is one operation's membership of the running transaction.
type tx struct {
	j   *journal
	n   int    // blocks this operation added to the transaction
	seq uint64 // the transaction it belongs to
}

func newJournal(c *cache, dev BlockDevice, sb *layout.Superblock, interval time.Duration) *journal {
	j := &journal{c: c, dev: dev, sb: sb, size: int(sb.LogBlocks), interval: interval,
		logged: make(map[uint64]int), hdr: make([]byte, BlockSize)}
	j.cond.L = &j.mu
	return j
}

// begin joins the running transaction, waiting while a commit is in
// progress or while the journal could not hold one more operation of
// MaxOpBlocks blocks on top of what the others may still log.
func (j *journal) begin() (*tx, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.makeRoom(); err != nil {
		return nil, err
	}
	return j.join(), nil
}

// tryBegin is begin without the wait: it returns a nil tx if begin would
// wait. Tree operations call it holding nsMu, so that they never hold a
// journal slot while they wait for nsMu, nor nsMu while they wait for the
// journal (waitRoom, with nsMu released).
func (j *journal) tryBegin() (*tx, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil || !j.room() {
		return nil, j.err
	}
	return j.join(), nil
}

// waitRoom waits until begin would not wait (or the journal is shut down).
func (j *journal) waitRoom() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.makeRoom()
}

// makeRoom waits until one more operation may join (or the journal is
// shut down). A delayed group that fills the journal is committed here
// when nobody else will: by the last running operation's end if there is
// one (due asks it to), else by this caller. Called with j.mu held.
func (j *journal) makeRoom() error {
	for j.err == nil && !j.room() {
		if !j.committing {
			if j.outstanding == 0 {
				j.commitGroup()
				continue
			}
			j.due = true
		}
		j.cond.Wait()
	}
	return j.err
}

// room reports whether one more operation may join. Called with j.mu held.
func (j *journal) room() bool {
	return !j.committing && len(j.bufs)+(j.outstanding+1)*layout.MaxOpBlocks <= j.size
}

// join adds an operation to the running transaction. Called with j.mu held.
func (j *journal) join() *tx {
	j.outstanding++
	j.ops++
	return &tx{j: j, seq: j.seq}
}

// write logs b, which the caller holds locked and has just changed.
// Changes to a block already in the transaction are absorbed into it.
func (t *tx) write(b *buf) {
	j := t.j
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.logged[b.blockno]; ok {
		return
	}
	j.logged[b.blockno] = len(j.bufs)
	j.bufs = append(j.bufs, b)
	j.c.pin(b)
	t.n++
}

// end leaves the transaction. The last operation out commits the group if
// it is time (commitNow), and otherwise leaves it for the timer. An
// operation that logged more than MaxOpBlocks is a bug in this package,
// reported as EIO since it broke the journal's space reservation.
func (t *tx) end() error {
	j := t.j
	j.mu.Lock()
	defer j.mu.Unlock()
	j.outstanding--
	var err error
	if t.n > layout.MaxOpBlocks {
		err = fmt.Errorf("fs: operation logged %d blocks, limit %d: %w", t.n, layout.MaxOpBlocks, syscall.EIO)
	}
	// Wake begin, which may have been waiting for this operation's
	// reservation to come back.
	j.cond.Broadcast()
	switch {
	case j.outstanding == 0 && j.commitNow():
		if cerr := j.commitGroup(); err == nil {
			err = cerr
		}
		return err
	case j.outstanding == 0:
		j.arm()
	}
	// In sync mode, wait for the last of the others to commit. The caller
	// holds no lock an operation still running could need (at most its
	// file's rw lock, which is taken before begin).
	for j.sync && j.seq <= t.seq && j.err == nil {
		j.cond.Wait()
	}
	if err == nil && j.sync {
		err = j.err
	}
	return err
}

// commitNow reports whether the group must commit now that no operation
// runs: always with no interval or a synchronous mount, when asked (due),
// and when the group could not take another operation. Called with j.mu.
func (j *journal) commitNow() bool {
	return j.interval == 0 || j.sync || j.due || len(j.bufs)+layout.MaxOpBlocks > j.size
}

// arm starts the timer that commits a waiting group, unless it runs or
// there is nothing to commit. Called with j.mu held.
func (j *journal) arm() {
	if j.timer != nil || len(j.bufs) == 0 {
		return
	}
	j.timer = time.AfterFunc(j.interval, j.expire)
}

// expire is the timer: it commits the group, or has the last running
// operation do it.
func (j *journal) expire() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.timer = nil
	switch {
	case len(j.bufs) == 0 || j.committing:
		// Committed meanwhile (a commit in progress carries this group).
	case j.outstanding > 0:
		j.due = true
	default:
		j.commitGroup()
	}
}

// commitGroup commits the running transaction and starts the next. No
// operation is running, and none may join until it is done. It returns
// the commit's error, which also shuts the journal down. Called with j.mu
// held; it is released during the device I/O.
func (j *journal) commitGroup() error {
	j.committing = true
	j.due = false
	if j.timer != nil {
		j.timer.Stop()
		j.timer = nil
	}
	bufs := j.bufs
	seq := j.seq
	dead := j.err
	j.mu.Unlock()

	cerr := dead // a shut-down journal commits nothing more
	if dead == nil {
		cerr = j.commit(bufs, seq)
	}

	j.mu.Lock()
	for _, b := range bufs {
		j.c.unpin(b)
	}
	// Drop the pointers too: a stale one past the length would keep its
	// buffer's memory after the cache let go of it (a group of 5 s holds
	// up to a journal's worth, 4 MiB).
	clear(j.bufs)
	j.bufs = j.bufs[:0]
	clear(j.logged)
	j.seq++
	if cerr != nil && j.err == nil {
		j.err = cerr
	}
	j.commits++
	j.committing = false
	j.cond.Broadcast()
	return cerr
}

// finish ends t, first shutting the journal down if err shows the device
// failing or the disk corrupt: the operation may be half done in the
// cache, so its transaction must never reach the disk. The disk keeps the
// last committed state; further operations fail until the next mount.
func (t *tx) finish(err error) error {
	if errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EUCLEAN) {
		j := t.j
		j.mu.Lock()
		if j.err == nil {
			j.err = fmt.Errorf("fs: shut down after error: %w", err)
		}
		j.mu.Unlock()
	}
	if eerr := t.end(); err == nil {
		err = eerr
	}
	return err
}

// commit writes bufs as transaction seq. No operation runs meanwhile, so
// the buffers' contents are stable without their locks.
func (j *journal) commit(bufs []*buf, seq uint64) error {
	if len(bufs) == 0 {
		return nil
	}
	if len(bufs) > j.size {
		return fmt.Errorf("fs: transaction of %d blocks overflows the %d-block journal: %w", len(bufs), j.size, syscall.EIO)
	}
	// Alternate halves strictly: the half written now held the commit
	// before last, whose home writes the last commit's Flush made durable.
	hdr := j.sb.LogHeader(j.half)
	j.half ^= 1
	h := layout.LogHeader{Seq: seq, Blocks: make([]uint32, len(bufs))}
	run := make([][]byte, 1, len(bufs)+1)
	run[0] = j.hdr
	for i, b := range bufs {
		h.CRC = layout.Checksum(h.CRC, b.data)
		h.Blocks[i] = uint32(b.blockno)
		run = append(run, b.data)
	}
	h.Encode(j.hdr)
	// The header and the blocks after it are one run on the disk. They
	// may land in any order: until the barrier, a header whose blocks did
	// not all land fails its checksum, and recovery ignores it.
	if err := writeRun(j.dev, hdr, run); err != nil {
		return ioError("journal write", hdr, err)
	}
	if err := j.dev.Flush(); err != nil {
		return ioError("flush", hdr, err)
	}
	// Install in block order, each run of consecutive blocks at once.
	slices.SortFunc(bufs, func(a, b *buf) int { return cmp.Compare(a.blockno, b.blockno) })
	for i := 0; i < len(bufs); {
		k := i + 1
		for k < len(bufs) && bufs[k].blockno == bufs[k-1].blockno+1 {
			k++
		}
		run = run[:0]
		for _, b := range bufs[i:k] {
			run = append(run, b.data)
		}
		if err := writeRun(j.dev, bufs[i].blockno, run); err != nil {
			return ioError("install", bufs[i].blockno, err)
		}
		i = k
	}
	return nil
}

// waitIdle returns once no transaction is running or committing, so
// everything ended before the call is durable. It returns the sticky error.
func (j *journal) waitIdle() error {
	t, err := j.begin()
	if err != nil {
		return err
	}
	seq := t.seq
	j.mu.Lock()
	j.due = true // the last operation out commits at once
	j.mu.Unlock()
	if err := t.end(); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.seq <= seq && j.err == nil {
		j.cond.Wait()
	}
	return j.err
}

// clear makes the last installs durable and empties both headers, so that
// the next mount has nothing to replay; called at unmount.
func (j *journal) clear() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	if err := j.dev.Flush(); err != nil {
		return ioError("flush", 0, err)
	}
	h := layout.LogHeader{Seq: j.seq}
	h.Encode(j.hdr)
	for half := range 2 {
		if err := j.dev.WriteBlock(j.sb.LogHeader(half), j.hdr); err != nil {
			return ioError("journal header write", j.sb.LogHeader(half), err)
		}
	}
	if err := j.dev.Flush(); err != nil {
		return ioError("flush", 0, err)
	}
	return nil
}
