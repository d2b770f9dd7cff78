package fs

// SetOpBudget lowers the blocks one freeing transaction may log, so tests
// can make a truncation span many transactions. It returns the restorer.
func SetOpBudget(n int) func() {
	old := opBudget
	opBudget = n
	return func() { opBudget = old }
}

// MaxWriteBlocks is the size of one atomic piece of a write, in blocks.
const MaxWriteBlocks = maxWriteBlocks

// SetMaxLinks lowers the link-count limit so a test can reach it. It
// returns the restorer.
func SetMaxLinks(n uint32) func() {
	old := maxLinks
	maxLinks = n
	return func() { maxLinks = old }
}

// ScanFree counts the free blocks and inodes by reading every bitmap
// block, to check StatFS's counters.
func (fs *FS) ScanFree() (blocks, inodes uint64, err error) {
	if blocks, err = fs.countFree(fs.blockBitmap()); err == nil {
		inodes, err = fs.countFree(fs.inodeBitmap())
	}
	return blocks, inodes, err
}

// SetDirIndexNames lowers the bound on names held by directory indexes.
// It returns the restorer.
func SetDirIndexNames(n int) func() {
	old := dirIndexNames
	dirIndexNames = n
	return func() { dirIndexNames = old }
}

// HoldCommit joins the running transaction and keeps it open until release
// ends it: every operation in between joins the same transaction, so the
// group commit they share is decided by the test, not by timing. It
// returns the transaction's sequence number.
func (fs *FS) HoldCommit() (seq uint64, release func() error, err error) {
	t, err := fs.j.begin()
	if err != nil {
		return 0, nil, err
	}
	return t.seq, t.end, nil
}

// TxSeq returns the sequence number of the running transaction.
func (fs *FS) TxSeq() uint64 {
	fs.j.mu.Lock()
	defer fs.j.mu.Unlock()
	return fs.j.seq
}
