package fs_test

import (
	"flag"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
)

var long = flag.Bool("long", false, "run the long crash sweeps and benchmarks-sized tests")

// trace is what the recording run learned about one goroutine: after each
// atomic operation its model's snapshot, the write count when each
// operation started, and for each Sync that returned, the operations it
// covered and the write count.
type trace struct {
	snaps  []string // snaps[i]: after i steps
	starts []int    // starts[i]: writes issued when step i began
	syncs  [][2]int // {steps covered, writes issued when Sync returned}
}

// crashWorkload formats a disk, runs goroutines random steps each on a
// recording device (each goroutine in its own part of the tree, calling
// Sync now and then), and returns the starting image, the record and the
// traces.
//
// The file system is mounted with mo (its cache bounded to 600 blocks).
// With mo.Sync every operation is durable when it returns: each counts as
// synced at once.
func crashWorkload(t *testing.T, goroutines, steps int, seed int64, mo fs.Options) (*fsdev.Mem, []fsdev.Event, []*trace) {
	syncMount := mo.Sync
	mo.CacheBlocks = 600
	var dirs []string
	for g := 0; g < goroutines; g++ {
		dirs = append(dirs, fmt.Sprintf("/g%d", g))
	}
	dirs = append(dirs, "/shared")
	base, rec, f := recording(t, 3000, fs.FormatOptions{Inodes: 512}, mo, dirs...)
	traces := make([]*trace, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		tr := &trace{}
		traces[g] = tr
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed*100 + int64(g)))
			m := newModel(fmt.Sprintf("/g%d", g))
			// Each atomic operation is bracketed: the write count before it
			// starts, the model's state once it is done.
			done := func() {
				tr.snaps = append(tr.snaps, m.snapshot())
				if syncMount {
					tr.syncs = append(tr.syncs, [2]int{len(tr.starts), rec.Writes()})
				}
			}
			m.mark = func() {
				done()
				tr.starts = append(tr.starts, rec.Writes())
			}
			tr.snaps = append(tr.snaps, m.snapshot())
			for i := 0; i < steps; i++ {
				tr.starts = append(tr.starts, rec.Writes())
				m.step(t, f, rng, g)
				done()
				if !syncMount && (rng.Intn(3) == 0 || i == steps-1) {
					if err := f.Sync(); err != nil {
						t.Errorf("sync: %v", err)
					}
					tr.syncs = append(tr.syncs, [2]int{len(tr.starts), rec.Writes()})
				}
			}
			for ip := range m.open {
				ip.Close()
			}
		}()
	}
	wg.Wait()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	return base, rec.Events(), traces
}

// recording formats a disk of nblocks with fo, makes dirs on it and
// unmounts; it returns that image and the file system mounted with mo on a
// recorder over a copy of it.
func recording(t *testing.T, nblocks uint64, fo fs.FormatOptions, mo fs.Options, dirs ...string) (*fsdev.Mem, *fsdev.Recorder, *fs.FS) {
	t.Helper()
	base := fsdev.NewMem(nblocks)
	if _, err := fs.Format(base, fo); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(base, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if err := f.Mkdir(nil, nil, d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	rec := fsdev.NewRecorder(base.Clone())
	if f, err = fs.Mount(rec, mo); err != nil {
		t.Fatal(err)
	}
	return base, rec, f
}

// countWrites counts the block writes (not the flushes) of a record.
func countWrites(events []fsdev.Event) int {
	n := 0
	for _, e := range events {
		if !e.Flush {
			n++
		}
	}
	return n
}

// view lists what the disk holds of goroutine g's part of the tree, in the
// model's snapshot form.
func view(t *testing.T, f *fs.FS, g int) string {
	var lines []string
	var walk func(p string)
	walk = func(p string) {
		st, err := f.Stat(nil, nil, p)
		if err != nil {
			lines = append(lines, fmt.Sprintf("%s: %v", p, err))
			return
		}
		if st.Mode&0o170000 == 0o040000 {
			lines = append(lines, p+"/")
			for _, e := range readDir(t, f, p) {
				walk(p + "/" + e)
			}
			return
		}
		ip, err := f.Lookup(nil, nil, p)
		if err != nil {
			lines = append(lines, fmt.Sprintf("%s: %v", p, err))
			return
		}
		b := make([]byte, st.Size)
		if _, err := ip.ReadAt(b, 0); err != nil {
			lines = append(lines, fmt.Sprintf("%s: %v", p, err))
		}
		ip.Close()
		lines = append(lines, p+" "+digest(b))
	}
	walk(fmt.Sprintf("/g%d", g))
	for _, e := range readDir(t, f, "/shared") {
		if strings.HasPrefix(e, fmt.Sprintf("g%d-", g)) {
			walk("/shared/" + e)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func readDir(t *testing.T, f *fs.FS, p string) []string {
	ip, err := f.Lookup(nil, nil, p)
	if err != nil {
		t.Errorf("lookup %s: %v", p, err)
		return nil
	}
	defer ip.Close()
	var names []string
	err = ip.ReadDir(0, func(e fs.DirEntry) bool {
		if e.Name != "." && e.Name != ".." {
			names = append(names, e.Name)
		}
		return true
	})
	if err != nil {
		t.Errorf("readdir %s: %v", p, err)
	}
	return names
}

// mountCrashed checks with fsck that the disk left by a crash before write
// k recovers clean, and mounts it; it reports a failure and returns nil
// if not.
func mountCrashed(t *testing.T, img *fsdev.Mem, k int) *fs.FS {
	if r := check.Image(img, false); !r.OK() {
		t.Errorf("crash at write %d: fsck: %s", k, strings.Join(r.Problems, "; "))
		return nil
	}
	f, err := fs.Mount(img, fs.Options{})
	if err != nil {
		t.Errorf("crash at write %d: mount: %v", k, err)
		return nil
	}
	return f
}

// verifyCrash checks the disk left by a crash before write k: fsck passes
// after recovery, and each goroutine's part of the tree is exactly its
// model after some number of steps, no fewer than it had synced and no
// more than it had started.
func verifyCrash(t *testing.T, img *fsdev.Mem, k int, traces []*trace) bool {
	f := mountCrashed(t, img, k)
	if f == nil {
		return false
	}
	defer f.Unmount()
	ok := true
	for g, tr := range traces {
		lo, hi := 0, 0
		for _, s := range tr.syncs {
			if s[1] <= k {
				lo = max(lo, s[0])
			}
		}
		for i, w := range tr.starts {
			if w < k {
				hi = i + 1
			}
		}
		// A synced operation that wrote nothing may have started at k.
		hi = max(hi, lo)
		got := view(t, f, g)
		found := false
		for j := lo; j <= hi && !found; j++ {
			found = tr.snaps[j] == got
		}
		if !found {
			msg := fmt.Sprintf("crash at write %d: g%d matches no state after %d..%d steps:\n%s", k, g, lo, hi, got)
			for j := lo; j <= hi; j++ {
				msg += fmt.Sprintf("\n-- after %d steps:\n%s", j, tr.snaps[j])
			}
			t.Error(msg)
			ok = false
		}
	}
	return ok
}

// TestCrashEveryWrite crashes a concurrent workload before every one of
// its writes, with writes persisting in order, and again with the writes
// since the last flush persisting at random (a disk's write cache).
func TestCrashEveryWrite(t *testing.T) {
	goroutines, steps := 4, 40
	if *long {
		goroutines, steps = 6, 150
	}
	crashEveryWrite(t, goroutines, steps, fs.Options{})
}

// TestCrashEveryWriteDelayed is TestCrashEveryWrite with a commit
// interval, as the kernel mounts its root: groups wait up to 2 ms for
// their commit (the timer commits some, Sync and a full journal the rest),
// so transactions are larger and commits race the operations; a crash
// must still leave each goroutine at a step between its last Sync and the
// ones it had begun.
func TestCrashEveryWriteDelayed(t *testing.T) {
	goroutines, steps := 3, 30
	if *long {
		goroutines, steps = 6, 150
	}
	crashEveryWrite(t, goroutines, steps, fs.Options{CommitInterval: 2 * time.Millisecond})
}

// TestCrashEveryWriteSyncMount is TestCrashEveryWrite with Options.Sync:
// every operation that has returned must survive the crash.
func TestCrashEveryWriteSyncMount(t *testing.T) {
	goroutines, steps := 3, 25
	if *long {
		goroutines, steps = 6, 100
	}
	crashEveryWrite(t, goroutines, steps, fs.Options{Sync: true})
}

// crashEveryWrite runs the workload (once, or with -long for three seeds)
// and checks a crash before every write, in order and reordered.
func crashEveryWrite(t *testing.T, goroutines, steps int, mo fs.Options) {
	seeds := 1
	if *long {
		seeds = 3
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		base, events, traces := crashWorkload(t, goroutines, steps, seed, mo)
		if t.Failed() {
			t.FailNow()
		}
		writes := countWrites(events)
		t.Logf("seed %d: %d goroutines x %d steps: %d writes, %d events", seed, goroutines, steps, writes, len(events))
		rng := rand.New(rand.NewSource(7 * seed))
		failures := 0
		for k := 0; k <= writes && failures < 5; k++ {
			if !verifyCrash(t, fsdev.CrashImage(base, events, k, nil), k, traces) {
				failures++
			}
			if !verifyCrash(t, fsdev.CrashImage(base, events, k, rng), k, traces) {
				failures++
			}
		}
	}
}

// TestCrashDuringRecovery crashes the recovery itself and the first
// commit after it: for a sample of crash points k of the workload, mount
// the crashed disk on a recording device (replaying the journal, freeing
// orphans), make one new file and Sync, and unmount; then crash that
// record before each of its writes, with the writes persisting in order
// and, since the last barrier, at random. Mounting again must still give
// a disk that satisfies everything a crash at k requires, and hold the new
// file once its Sync had returned. Removing the barrier at the end of
// recovery, or the one unmount issues before it empties the journal,
// makes this fail: the first commit after recovery reuses the half of a
// transaction whose replayed home writes were not yet durable, and
// unmount's empty headers could land before the last commit's home
// writes.
func TestCrashDuringRecovery(t *testing.T) {
	base, events, traces := crashWorkload(t, 3, 30, 2, fs.Options{})
	if t.Failed() {
		t.FailNow()
	}
	writes := countWrites(events)
	step, draws := 9, 1
	if *long {
		step, draws = 1, 6
	}
	rng := rand.New(rand.NewSource(11))
	tried := 0
	for k := 0; k <= writes; k += step {
		// The crash at k itself in order, or reordered (which can leave a
		// torn newer header, so that the first commit after recovery
		// reuses the half recovery replayed).
		var rk *rand.Rand
		if k/step%2 == 1 {
			rk = rng
		}
		img := fsdev.CrashImage(base, events, k, rk)
		rec := fsdev.NewRecorder(img.Clone())
		f, err := fs.Mount(rec, fs.Options{})
		if err != nil {
			t.Fatalf("k=%d: mount: %v", k, err)
		}
		replayed, orphans := f.MountInfo()
		synced := afterRecovery(t, f, rec)
		if err := f.Unmount(); err != nil {
			t.Fatalf("k=%d: unmount: %v", k, err)
		}
		if replayed == 0 && orphans == 0 {
			continue // nothing to recover: nothing to crash
		}
		tried++
		revents := rec.Events()
		for j := 0; j <= rec.Writes(); j++ {
			for d := 0; d <= draws; d++ {
				var r *rand.Rand
				if d > 0 {
					r = rng
				}
				crashed := fsdev.CrashImage(img, revents, j, r)
				if !verifyCrash(t, crashed, k, traces) || !hasPost(t, crashed, j >= synced) {
					t.Fatalf("crash at write %d (draw %d) of the recovery and first commit from a crash at %d", j, d, k)
				}
			}
		}
	}
	t.Logf("%d crash points needed recovery; each recovery and the commit after it crashed at every write", tried)
	if tried == 0 {
		t.Error("no crash point needed recovery")
	}
}

// postData is what afterRecovery writes.
var postData = []byte("written after recovery")

// afterRecovery makes /post on a freshly recovered f and syncs; it returns
// the writes recorded when the Sync returned.
func afterRecovery(t *testing.T, f *fs.FS, rec *fsdev.Recorder) int {
	t.Helper()
	h, err := f.Open(nil, nil, "/post", fs.O_CREAT|fs.O_TRUNC|fs.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt(postData, 0); err != nil {
		t.Fatal(err)
	}
	h.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	return rec.Writes()
}

// hasPost checks that a crashed image holds /post whole or, unless must,
// not at all.
func hasPost(t *testing.T, img *fsdev.Mem, must bool) bool {
	f, err := fs.Mount(img, fs.Options{})
	if err != nil {
		t.Errorf("mount: %v", err)
		return false
	}
	defer f.Unmount()
	st, err := f.Stat(nil, nil, "/post")
	switch {
	case err != nil && !must:
		return true
	case err != nil:
		t.Errorf("/post lost after its Sync returned: %v", err)
		return false
	case st.Size == 0 && !must:
		return true // created, not yet written: a crash between the two
	}
	if got := readFile(t, f, "/post"); string(got) != string(postData) {
		t.Errorf("/post holds %q", got)
		return false
	}
	return true
}
