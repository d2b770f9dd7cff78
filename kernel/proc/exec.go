package proc

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"strings"
	"syscall"
	"time"

	"scone/kernel/file"
	"scone/kernel/mem"
)

// execFile is an open executable as the address space maps it: reads
// without a context and the description's reference count.
type execFile struct{ d *file.Description }

func (f execFile) ReadAt(p []byte, off int64) (int, error) {
	return f.d.ReadAt(context.Background(), p, off)
}
func (f execFile) IncRef()       { f.d.IncRef() }
func (f execFile) DecRef() error { return f.d.DecRef() }

// openExec opens path for execution: ENOENT, ENOTDIR... from the lookup;
// EACCES for a directory, a file that is not regular or has no execute bit.
func (p *Process) openExec(path string) (*file.Description, file.Stat, error) {
	if path == "" {
		return nil, file.Stat{}, syscall.ENOENT
	}
	d, err := p.FS.Open(file.Location{}, path, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, file.Stat{}, err
	}
	st, err := d.Stat()
	if err == nil && (st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Mode&0o111 == 0) {
		err = syscall.EACCES
	}
	if err != nil {
		d.DecRef()
		return nil, file.Stat{}, err
	}
	return d, st, nil
}

// Exec replaces the program of t's process with the one at path
// (execve): a static ELF executable, or a "#!" script whose interpreter
// is one.  On success the thread continues at the new entry point; on an
// error the old program goes on.
func (t *Thread) Exec(path string, argv, envv []string) error {
	return t.exec(path, argv, envv, 0)
}

func (t *Thread) exec(path string, argv, envv []string, depth int) error {
	p := t.proc
	d, _, err := p.openExec(path)
	if err != nil {
		return err
	}
	defer d.DecRef()
	f := execFile{d}
	head := make([]byte, 256)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("#!")) {
		if depth >= 4 {
			return syscall.ELOOP
		}
		interp, arg, err := shebang(head)
		if err != nil {
			return err
		}
		nargv := []string{interp}
		if arg != "" {
			nargv = append(nargv, arg)
		}
		nargv = append(nargv, path)
		if len(argv) > 1 {
			nargv = append(nargv, argv[1:]...)
		}
		return t.exec(interp, nargv, envv, depth+1)
	}
	if !bytes.HasPrefix(head, []byte("\x7fELF")) {
		return syscall.ENOEXEC
	}
	pt, err := NewPageTable()
	if err != nil {
		return syscall.ENOMEM
	}
	as := mem.New(pt)
	img, err := loadELF(as, f)
	if err != nil {
		as.Release()
		return err
	}
	sp, err := t.initialStack(as, img, path, argv, envv)
	if err != nil {
		as.Release()
		return err
	}
	exe := path // absolute, for /proc/PID/exe
	if !strings.HasPrefix(path, "/") {
		if cwd, err := p.FS.Getcwd(); err == nil {
			exe = strings.TrimSuffix(cwd, "/") + "/" + path
		}
	}
	// The point of no return: the other threads go, the old memory too.
	t.killOtherThreads()
	// As on Linux (de_thread), a thread other than the leader takes the
	// leader's thread ID, the process ID, and gives up its own.
	table.mu.Lock()
	if t.TID != p.PID {
		delete(table.ids, t.TID)
		t.TID = p.PID
	}
	table.mu.Unlock()
	old := p.mem
	rss := rssKiB(old)
	table.mu.Lock()
	p.dead.MaxRSS = max(p.dead.MaxRSS, rss) // Linux keeps the peak across exec
	p.mem = as
	table.mu.Unlock()
	old.Release()
	p.Files.CloseOnExec()
	p.sig.mu.Lock()
	if p.sig != nil {
		fresh := &sigActions{}
		for i, a := range p.sig.a {
			if a.Handler == SigIgn {
				fresh.a[i].Handler = SigIgn
			}
		}
		p.sig.mu.Unlock()
		p.sig = fresh
	}
	table.mu.Lock()
	if p.vforkDone != nil {
		close(p.vforkDone)
		p.vforkDone = nil
	}
	p.args = append([]string(nil), argv...)
	p.exe = exe
	table.mu.Unlock()
	t.mu.Lock()
	t.alt = altStack{flags: ssDisable}
	t.clearTID = 0
	t.mu.Unlock()
	t.Regs = machineRegs(img.entry, sp)
	return nil
}

// initialStack maps the main thread's stack and the vDSO in as and writes
// the Linux initial stack; it returns the stack pointer.
func (t *Thread) initialStack(as *mem.AddressSpace, img image, path string, argv, envv []string) (uint64, error) {
	prot := mem.ProtRead | mem.ProtWrite
	if img.execStack {
		prot |= mem.ProtExec
	}
	if err := as.Region(mem.StackTop-mem.StackSize, mem.StackTop, prot, nil, 0, 0); err != nil {
		return 0, err
	}
	as.SetBrk(uintptr(img.brk))
	vdso, err := as.MapVDSO()
	if err != nil {
		return 0, syscall.ENOMEM
	}
	var random [16]byte
	rand.Read(random[:])
	c := t.proc.Cred
	aux := [][2]uint64{
		{atSysinfoEhdr, uint64(vdso)}, {atHwcap, HWCap}, {atPagesz, mem.PageSize}, {atClktck, 100},
		{atPhdr, img.phdr}, {atPhent, img.phent}, {atPhnum, img.phnum}, {atBase, 0}, {atFlags, 0},
		{atEntry, img.entry}, {atUID, uint64(c.UID)}, {atEUID, uint64(c.EUID)},
		{atGID, uint64(c.GID)}, {atEGID, uint64(c.EGID)}, {atSecure, 0}, {atHwcap2, 0},
	}
	sp, b, err := stackImage(mem.StackTop, argv, envv, path, aux, random)
	if err != nil {
		return 0, err
	}
	if err := as.CopyOut(uintptr(sp), b); err != nil {
		return 0, err
	}
	return sp, nil
}

// shebang parses a "#!interpreter [arg]" line.
func shebang(head []byte) (interp, arg string, err error) {
	line := head[2:]
	i := bytes.IndexByte(line, '\n')
	if i < 0 {
		if len(head) == 256 {
			return "", "", syscall.ENOEXEC // the line is too long
		}
		i = len(line)
	}
	s := strings.TrimLeft(string(line[:i]), " \t")
	s = strings.TrimRight(s, " \t\r")
	if s == "" {
		return "", "", syscall.ENOEXEC
	}
	if j := strings.IndexAny(s, " \t"); j >= 0 {
		interp, arg = s[:j], strings.TrimLeft(s[j:], " \t")
	} else {
		interp = s
	}
	return interp, arg, nil
}

// killOtherThreads makes every other thread of the process leave and
// waits (bounded) until they have.
func (t *Thread) killOtherThreads() {
	p := t.proc
	table.mu.Lock()
	var others []*Thread
	for o := range p.threads {
		if o != t {
			o.exited = true
			others = append(others, o)
		}
	}
	table.mu.Unlock()
	for _, o := range others {
		o.interrupt()
	}
	for i := 0; i < 2000; i++ {
		table.mu.Lock()
		n := len(p.threads)
		table.mu.Unlock()
		if n <= 1 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// FileReader is d as a mapped file: what mmap of a file descriptor maps.
func FileReader(d *file.Description) io.ReaderAt { return execFile{d} }
