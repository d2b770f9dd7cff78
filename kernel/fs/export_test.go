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
