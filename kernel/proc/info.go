package proc

// Status reports whether p is a zombie and how many threads it has, for
// /proc.
func (p *Process) Status() (zombie bool, threads int) {
	table.mu.Lock()
	defer table.mu.Unlock()
	return p.zombie, len(p.threads)
}
