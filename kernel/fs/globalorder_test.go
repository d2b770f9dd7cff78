package fs_test

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

// The global-order test: goroutines race on a few shared names (writing,
// renaming, linking and unlinking each other's files) in rounds. Each
// round is one group commit, held open by the test (HoldCommit) so that
// all of its operations share it. A crash at any write must recover to the
// state after some whole number of rounds: a prefix of one global commit
// order, not a per-goroutine prefix.

const (
	goNames   = "abc"              // the shared names, /s/a, /s/b, /s/c
	goRange   = 2 * fs.BlockSize   // each goroutine's range of a file
	goFirstBk = layout.NDirect + 1 // ranges start past the direct blocks
)

// goOff is where goroutine g writes in any file: past the direct blocks,
// so every write goes through an indirect block, and two goroutines'
// writes to one file commute.
func goOff(g int) int64 { return int64(goFirstBk)*fs.BlockSize + int64(g)*goRange }

// A goOp is one goroutine's operation in a round.
type goOp struct {
	g    int
	kind int // 0 write (create if missing), 1 rename, 2 unlink, 3 link
	p, q string
	fill byte
}

func (o goOp) String() string {
	return fmt.Sprintf("g%d %s %s %s %q", o.g, []string{"write", "rename", "unlink", "link"}[o.kind], o.p, o.q, o.fill)
}

// goModel is the namespace: name -> inode, inode -> goroutine -> fill.
type goModel struct {
	names map[string]int
	data  map[int]map[int]byte
	next  int
}

func (m *goModel) clone() *goModel {
	c := &goModel{names: map[string]int{}, data: map[int]map[int]byte{}, next: m.next}
	for k, v := range m.names {
		c.names[k] = v
	}
	for k, v := range m.data {
		d := map[int]byte{}
		for g, b := range v {
			d[g] = b
		}
		c.data[k] = d
	}
	return c
}

// apply runs o on the model and returns the errno Linux would give.
func (m *goModel) apply(o goOp) syscall.Errno {
	ip, ok := m.names[o.p]
	switch o.kind {
	case 0:
		if !ok {
			m.next++
			ip = m.next
			m.names[o.p] = ip
			m.data[ip] = map[int]byte{}
		}
		m.data[ip][o.g] = o.fill
	case 1:
		if !ok {
			return syscall.ENOENT
		}
		if m.names[o.q] != ip { // renaming a link onto itself does nothing
			m.names[o.q] = ip
			delete(m.names, o.p)
		}
	case 2:
		if !ok {
			return syscall.ENOENT
		}
		delete(m.names, o.p)
	case 3:
		if !ok {
			return syscall.ENOENT
		}
		if _, ok := m.names[o.q]; ok {
			return syscall.EEXIST
		}
		m.names[o.q] = ip
	}
	return 0
}

// view renders the model as goView renders a disk.
func (m *goModel) view() string {
	var lines []string
	for name, ip := range m.names {
		size, fills := int64(0), ""
		for g := range 8 {
			if b, ok := m.data[ip][g]; ok {
				size = goOff(g) + goRange
				fills += string(b)
			} else {
				fills += "."
			}
		}
		lines = append(lines, fmt.Sprintf("%s %d %s", name, size, strings.TrimRight(fills, ".")))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// goView renders /s of a mounted file system: each name, its size, and
// what fills each goroutine's range ("." for a hole, "!" for a torn range).
func goView(t *testing.T, f *fs.FS) string {
	var lines []string
	for _, e := range readDir(t, f, "/s") {
		data := readFile(t, f, "/s/"+e)
		fills := ""
		for g := range 8 {
			r := data[min(len(data), int(goOff(g))):min(len(data), int(goOff(g)+goRange))]
			switch {
			case len(r) == 0 || r[0] == 0 && strings.Count(string(r), "\x00") == len(r):
				fills += "."
			case len(r) != goRange || strings.Count(string(r), string(r[:1])) != len(r):
				fills += "!"
			default:
				fills += string(r[:1])
			}
		}
		lines = append(lines, fmt.Sprintf("/s/%s %d %s", e, len(data), strings.TrimRight(fills, ".")))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// runGoOp does o on f.
func runGoOp(f *fs.FS, o goOp) error {
	switch o.kind {
	case 0:
		h, err := f.Open(nil, nil, o.p, fs.O_CREAT|syscall.O_RDWR, 0o644)
		if err != nil {
			return err
		}
		_, err = h.WriteAt([]byte(strings.Repeat(string(o.fill), goRange)), goOff(o.g))
		if cerr := h.Close(); err == nil {
			err = cerr
		}
		return err
	case 1:
		return f.Rename(nil, nil, o.p, nil, o.q, 0)
	case 2:
		return f.Unlink(nil, nil, o.p)
	default:
		return f.Link(nil, nil, o.p, nil, o.q, false)
	}
}

func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if err == nil || !errors.As(err, &e) {
		return 0
	}
	return e
}

// permute calls fn with every order of n indexes.
func permute(n int, fn func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			fn(p)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// goRound is what the recording run learned about one round.
type goRound struct {
	startW, endW int    // writes issued before and after its commit
	snap         string // the state after it
}

// globalOrderWorkload runs rounds of concurrent racing operations, one
// held group commit per round, and checks each round against the model:
// every operation completed inside the round's transaction (its sequence
// number), the round's commit carried all of them (the journal's stats),
// and the file system's state is the model's after some order of the
// round's operations consistent with the errors they returned.
func globalOrderWorkload(t *testing.T, goroutines, rounds int, seed int64) (*fsdev.Mem, []fsdev.Event, []goRound) {
	base, rec, f := recording(t, 4000, fs.FormatOptions{Inodes: 256, LogBlocks: layout.MaxLogBlocks}, fs.Options{}, "/s")
	rng := rand.New(rand.NewSource(seed))
	m := &goModel{names: map[string]int{}, data: map[int]map[int]byte{}}
	out := []goRound{{snap: ""}}
	shared, carried, failed := 0, uint64(0), 0
	for r := 0; r < rounds; r++ {
		ops := make([]goOp, goroutines)
		for g := range ops {
			p := "/s/" + string(goNames[rng.Intn(len(goNames))])
			q := "/s/" + string(goNames[rng.Intn(len(goNames))])
			for q == p {
				q = "/s/" + string(goNames[rng.Intn(len(goNames))])
			}
			kind := rng.Intn(4)
			if r < 2 {
				kind = 0 // some files to fight over
			}
			ops[g] = goOp{g: g, kind: kind, p: p, q: q, fill: byte('A' + (r*goroutines+g)%26)}
		}
		seq, release, err := f.HoldCommit()
		if err != nil {
			t.Fatal(err)
		}
		before := f.Stats()
		errs := make([]syscall.Errno, goroutines)
		seqs := make([]uint64, goroutines)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g := range ops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start // all start together
				err := runGoOp(f, ops[g])
				if err != nil && errnoOf(err) == 0 || harmful(err) {
					t.Errorf("round %d: %v: %v", r, ops[g], err)
				}
				errs[g], seqs[g] = errnoOf(err), f.TxSeq()
			}()
		}
		close(start)
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatalf("round %d still running after a minute: the held commit starved an operation", r)
		}
		// Which orders of the round are consistent with the errors seen?
		got := goView(t, f)
		var match *goModel
		var views []string
		permute(len(ops), func(p []int) {
			c := m.clone()
			for _, i := range p {
				if c.apply(ops[i]) != errs[i] {
					return
				}
			}
			if v := c.view(); v == got {
				match = c
			} else {
				views = append(views, v)
			}
		})
		if match == nil {
			t.Fatalf("round %d: ops %v returned %v; the state matches no order of them:\n%s\nmodel orders give:\n%s",
				r, ops, errs, got, strings.Join(views, "\n--\n"))
		}
		m = match
		for g, s := range seqs {
			if s != seq {
				t.Fatalf("round %d: %v completed in transaction %d, not the held %d", r, ops[g], s, seq)
			}
		}
		startW := rec.Writes()
		if err := release(); err != nil {
			t.Fatal(err)
		}
		after := f.Stats()
		if c := after.Commits - before.Commits; c != 1 {
			t.Fatalf("round %d: %d commits, want 1", r, c)
		}
		// The holder is one operation; each write is up to three.
		n := after.Ops - before.Ops
		if n >= 3 {
			shared++
		}
		carried += n
		for _, e := range errs {
			if e != 0 {
				failed++
			}
		}
		out = append(out, goRound{startW: startW, endW: rec.Writes(), snap: got})
	}
	t.Logf("%d commits carried %d operations (the holder included); %d of %d racing operations failed (ENOENT, EEXIST)",
		rounds, carried, failed, rounds*goroutines)
	if shared < rounds/2 {
		t.Errorf("only %d of %d commits carried several operations", shared, rounds)
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	return base, rec.Events(), out
}

// TestCrashGlobalOrder crashes the racing rounds before every write, in
// order and with the writes since the last barrier reordered: recovery
// must give the state after exactly the first c rounds, for a c between
// the commits whose writes all came before the crash and those begun.
func TestCrashGlobalOrder(t *testing.T) {
	goroutines, rounds, seeds := 4, 14, 1
	if *long {
		rounds, seeds = 30, 4
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		base, events, rs := globalOrderWorkload(t, goroutines, rounds, seed)
		writes := countWrites(events)
		t.Logf("seed %d: %d rounds of %d racing goroutines, one commit each: %d writes", seed, rounds, goroutines, writes)
		rng := rand.New(rand.NewSource(seed))
		for k := 0; k <= writes; k++ {
			for _, r := range []*rand.Rand{nil, rng} {
				if !verifyGlobal(t, fsdev.CrashImage(base, events, k, r), k, rs) {
					t.FailNow()
				}
			}
		}
	}
}

// verifyGlobal checks that a crash before write k left a clean disk whose
// /s is the state after some prefix of the rounds.
func verifyGlobal(t *testing.T, img *fsdev.Mem, k int, rs []goRound) bool {
	f := mountCrashed(t, img, k)
	if f == nil {
		return false
	}
	defer f.Unmount()
	lo, hi := 0, 0
	for i, r := range rs[1:] {
		if r.endW <= k {
			lo = i + 1
		}
		if r.startW < k {
			hi = i + 1
		}
	}
	hi = max(hi, lo) // a round that changed nothing writes nothing
	got := goView(t, f)
	for c := lo; c <= hi; c++ {
		if rs[c].snap == got {
			return true
		}
	}
	msg := fmt.Sprintf("crash at write %d: /s is the state after no prefix of %d..%d rounds:\n%s", k, lo, hi, got)
	for c := lo; c <= hi; c++ {
		msg += fmt.Sprintf("\n-- after %d rounds:\n%s", c, rs[c].snap)
	}
	t.Error(msg)
	return false
}
