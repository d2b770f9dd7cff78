package fs_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"syscall"
	"testing"

	"scone/kernel/fs"
)

// model is what one workload goroutine believes its part of the tree
// holds: its home directory /gN and its names /shared/gN-*.
type model struct {
	names map[string]int     // path -> file id, or -1 for a directory
	data  map[int][]byte     // file id -> contents
	open  map[*fs.Handle]int // handles on unlinked files, written after unlink
	next  int
	// mark, if set, is called between two atomic operations of one step,
	// so the crash test can record the state in between.
	mark func()
}

func newModel(home string) *model {
	return &model{names: map[string]int{home: -1}, data: map[int][]byte{}, open: map[*fs.Handle]int{}}
}

// snapshot renders the model canonically, for comparing with a disk.
func (m *model) snapshot() string {
	var lines []string
	for p, id := range m.names {
		if id < 0 {
			lines = append(lines, p+"/")
		} else {
			lines = append(lines, p+" "+digest(m.data[id]))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return fmt.Sprintf("%d:%s", len(b), hex.EncodeToString(s[:6]))
}

func (m *model) pick(rng *rand.Rand, dirs bool, except string) string {
	var c []string
	for p, id := range m.names {
		if (id < 0) == dirs && p != except && !strings.HasPrefix(except+"/", p+"/") {
			c = append(c, p)
		}
	}
	if len(c) == 0 {
		return ""
	}
	sort.Strings(c)
	return c[rng.Intn(len(c))]
}

// rename moves path p (and, for a directory, everything below) to q.
func (m *model) rename(p, q string) {
	if id, ok := m.names[q]; ok && id >= 0 && !m.linked(id, q) {
		delete(m.data, id)
	}
	delete(m.names, q)
	for n, id := range m.names {
		if n == p || strings.HasPrefix(n, p+"/") {
			delete(m.names, n)
			m.names[q+n[len(p):]] = id
		}
	}
}

// remove drops the name p, and its file if that was the last name.
func (m *model) remove(p string) {
	if id := m.names[p]; id >= 0 && !m.linked(id, p) {
		delete(m.data, id)
	}
	delete(m.names, p)
}

// linked reports whether id has a name other than except.
func (m *model) linked(id int, except string) bool {
	for n, j := range m.names {
		if j == id && n != except {
			return true
		}
	}
	return false
}

func (m *model) empty(dir string) bool {
	for n := range m.names {
		if strings.HasPrefix(n, dir+"/") {
			return false
		}
	}
	return true
}

// step performs one random file-system call for goroutine g, checks its
// result and updates the model. Each call is one atomic operation.
func (m *model) step(t *testing.T, f *fs.FS, rng *rand.Rand, g int) {
	home := fmt.Sprintf("/g%d", g)
	fail := func(op string, err error) {
		t.Errorf("g%d: %s: %v", g, op, err)
	}
	newName := func() string {
		m.next++
		if rng.Intn(5) == 0 {
			return fmt.Sprintf("/shared/g%d-%d", g, m.next)
		}
		return m.pick(rng, true, "") + fmt.Sprintf("/n%d", m.next)
	}
	payload := func() []byte {
		b := make([]byte, 1+rng.Intn(3*fs.BlockSize+200))
		rng.Read(b)
		return b
	}
	file := m.pick(rng, false, "")
	switch op := rng.Intn(10); {
	case op == 0 || file == "":
		p := newName()
		ip, err := f.Open(nil, nil, p, fs.O_CREAT|fs.O_EXCL|syscall.O_RDWR, 0o644)
		if err != nil {
			fail("create "+p, err)
			return
		}
		ip.Close()
		m.names[p] = m.next
		m.data[m.next] = nil
	case op <= 2:
		ip, err := f.Open(nil, nil, file, syscall.O_RDWR, 0)
		if err != nil {
			fail("open "+file, err)
			return
		}
		b, off := payload(), rng.Intn(4*fs.BlockSize)
		if _, err := ip.WriteAt(b, int64(off)); err != nil {
			fail("write "+file, err)
		}
		ip.Close()
		id := m.names[file]
		d := m.data[id]
		if len(d) < off+len(b) {
			d = append(d, make([]byte, off+len(b)-len(d))...)
		}
		copy(d[off:], b)
		m.data[id] = d
	case op == 3:
		size := rng.Intn(5 * fs.BlockSize)
		if err := f.Truncate(nil, nil, file, int64(size)); err != nil {
			fail("truncate "+file, err)
			return
		}
		id := m.names[file]
		d := m.data[id]
		if size < len(d) {
			d = d[:size]
		} else {
			d = append(d, make([]byte, size-len(d))...)
		}
		m.data[id] = d
	case op == 4:
		p := newName()
		if err := f.Mkdir(nil, nil, p, 0o755); err != nil {
			fail("mkdir "+p, err)
			return
		}
		m.names[p] = -1
	case op == 5:
		d := m.pick(rng, true, home)
		if d == "" || d == home || !m.empty(d) {
			return
		}
		if err := f.Rmdir(nil, nil, d); err != nil {
			fail("rmdir "+d, err)
			return
		}
		delete(m.names, d)
	case op == 6:
		if err := f.Unlink(nil, nil, file); err != nil {
			fail("unlink "+file, err)
			return
		}
		m.remove(file)
	case op == 7:
		src := file
		if rng.Intn(3) == 0 {
			if d := m.pick(rng, true, home); d != "" && d != home {
				src = d
			}
		}
		dst := newName()
		if m.names[src] >= 0 && rng.Intn(2) == 0 {
			if o := m.pick(rng, false, src); o != "" {
				dst = o // replace an existing file
			}
		}
		if strings.HasPrefix(dst, src+"/") {
			return
		}
		if id, ok := m.names[dst]; ok && id == m.names[src] {
			return // two names of one file: rename would do nothing
		}
		if err := f.Rename(nil, nil, src, nil, dst, 0); err != nil {
			fail("rename "+src+" "+dst, err)
			return
		}
		m.rename(src, dst)
	case op == 8:
		p := newName()
		if err := f.Link(nil, nil, file, nil, p, false); err != nil {
			fail("link "+file+" "+p, err)
			return
		}
		m.names[p] = m.names[file]
	default:
		// Unlink a file while it is open, write to it, close it later:
		// its blocks must be freed at close, or by mount after a crash.
		for ip := range m.open {
			if err := ip.Close(); err != nil {
				fail("close unlinked", err)
			}
			delete(m.open, ip)
			return
		}
		ip, err := f.Open(nil, nil, file, syscall.O_RDWR, 0)
		if err != nil {
			fail("open "+file, err)
			return
		}
		if err := f.Unlink(nil, nil, file); err != nil {
			fail("unlink open "+file, err)
		}
		id := m.names[file]
		m.remove(file)
		if m.mark != nil {
			m.mark()
		}
		b := payload()
		if _, err := ip.WriteAt(b, fs.BlockSize); err != nil {
			fail("write unlinked "+file, err)
		}
		if d, ok := m.data[id]; ok { // still has another name
			d = append(d, make([]byte, max(0, fs.BlockSize+len(b)-len(d)))...)
			copy(d[fs.BlockSize:], b)
			m.data[id] = d
		}
		m.open[ip] = 1
	}
}
