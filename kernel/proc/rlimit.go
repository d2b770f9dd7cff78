package proc

import "syscall"

// Resource limits (Linux's RLIMIT_* numbers).
const (
	rlimitStack  = 3
	rlimitNproc  = 6
	rlimitNofile = 7
	nrlimits     = 16
	rlimInfinity = ^uint64(0)
)

// rlimits are a process's limits, soft and hard.
type rlimits [nrlimits][2]uint64

func defaultRlimits() rlimits {
	var r rlimits
	for i := range r {
		r[i] = [2]uint64{rlimInfinity, rlimInfinity}
	}
	r[rlimitStack] = [2]uint64{8 << 20, rlimInfinity}
	r[rlimitNofile] = [2]uint64{1024, 4096}
	r[rlimitNproc] = [2]uint64{uint64(MaxProcs), uint64(MaxProcs)}
	return r
}

// nprocLimit is RLIMIT_NPROC's soft limit.  Everyone is root here, and
// unlike Linux (which exempts root) Scone enforces it, counting every
// process: it is what stops a fork bomb below the system-wide MaxProcs.
func (p *Process) nprocLimit() uint64 {
	p.rlMu.Lock()
	defer p.rlMu.Unlock()
	return p.rlim[rlimitNproc][0]
}

// Rlimit returns limit res and sets it if set is not nil: EINVAL for a
// bad resource or soft > hard, EPERM never (everyone is root).  The file
// limit reaches the descriptor table.
func (p *Process) Rlimit(res int, set *[2]uint64) ([2]uint64, error) {
	if res < 0 || res >= nrlimits {
		return [2]uint64{}, syscall.EINVAL
	}
	p.rlMu.Lock()
	defer p.rlMu.Unlock()
	old := p.rlim[res]
	if set != nil {
		if set[0] > set[1] {
			return old, syscall.EINVAL
		}
		if res == rlimitNofile {
			if set[1] > 1<<20 {
				return old, syscall.EPERM
			}
			if err := p.Files.SetLimit(int(set[0])); err != nil {
				return old, err
			}
		}
		p.rlim[res] = *set
	}
	return old, nil
}
