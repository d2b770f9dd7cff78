// Package file is the per-process file state: the descriptor table and
// the file-system context (cwd, root, umask).
//
// PLACEHOLDER from the proc branch: this file only fixes the names and
// methods kernel/proc calls, so both sides compile.  The files engineer
// replaces it (delete this file) with the real Table and FSContext,
// keeping these methods.
package file

// Table is a process's file-descriptor table.
type Table struct{}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{} }

// Fork returns a copy of t for a child made without CLONE_FILES: the same
// open files (each one more reference) under the same numbers.
func (t *Table) Fork() *Table { return &Table{} }

// Share returns t with one more user, for a child made with CLONE_FILES.
func (t *Table) Share() *Table { return t }

// CloseOnExec closes every descriptor marked O_CLOEXEC (execve).
func (t *Table) CloseOnExec() {}

// Release drops one user; the last closes every descriptor.
func (t *Table) Release() {}

// FSContext is a process's cwd, root and umask.
type FSContext struct{}

// NewFSContext returns a context at the root with umask 022.
func NewFSContext() *FSContext { return &FSContext{} }

// Fork returns a copy of c for a child made without CLONE_FS.
func (c *FSContext) Fork() *FSContext { return &FSContext{} }

// Share returns c with one more user, for a child made with CLONE_FS.
func (c *FSContext) Share() *FSContext { return c }

// Release drops one user; the last releases the cwd and root.
func (c *FSContext) Release() {}
