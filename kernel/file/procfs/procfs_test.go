package procfs

import (
	"context"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"scone/kernel/file"
)

type fake struct{ procs map[int]Process }

func (f fake) PIDs() []int {
	var p []int
	for pid := range f.procs {
		p = append(p, pid)
	}
	return p
}
func (f fake) Process(pid int) (Process, bool) { p, ok := f.procs[pid]; return p, ok }
func (f fake) Memory() Memory {
	return Memory{TotalKB: 262144, FreeKB: 200000, AvailableKB: 200000, ShmemKB: 64}
}
func (f fake) Uptime() time.Duration { return 83*time.Second + 456*time.Millisecond }

func sh() Process {
	return Process{PID: 7, PPID: 1, PGID: 7, SID: 7, State: 'S', Comm: "sh", Exe: "/bin/sh", Cmdline: []string{"/bin/sh", "-c", "x y"},
		Threads: 3, VSize: 8 << 20, RSS: 100, StartTicks: 250, TPGID: -1, Umask: 0o22}
}

// readAll reads path through a namespace with the fake /proc mounted.
func readAll(t *testing.T, c *file.FSContext, path string) (string, error) {
	d, err := c.Open(file.Location{}, path, file.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer d.DecRef()
	var out []byte
	buf := make([]byte, 7) // small reads: offsets must work
	for {
		n, err := d.Read(context.Background(), buf)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return string(out), nil
		}
		out = append(out, buf[:n]...)
	}
}

func TestProcFiles(t *testing.T) {
	f := fake{map[int]Process{1: {PID: 1, State: 'S', Comm: "init", Cmdline: []string{"/bin/init"}, Threads: 1}, 7: sh()}}
	root := &file.TreeNode{Ino: 1, Mode: file.S_IFDIR | 0o755}
	root.Entries = func() []file.TreeEntry {
		return []file.TreeEntry{{Name: "proc", Node: &file.TreeNode{Ino: 2, Mode: file.S_IFDIR | 0o755, Entries: func() []file.TreeEntry { return nil }}}}
	}
	ns, err := file.NewNamespace(file.NewTreeFS(root))
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Mount("/proc", New(f)); err != nil {
		t.Fatal(err)
	}
	c := ns.NewContext()
	c.SetPID(7)
	cases := []struct{ path, want string }{
		{"/proc/self/cmdline", "/bin/sh\x00-c\x00x y\x00"},
		{"/proc/7/comm", "sh\n"},
		{"/proc/uptime", "83.45 0.00\n"},
		{"/proc/7/stat", "7 (sh) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 3 0 250 8388608 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"},
		{"/proc/meminfo", "MemTotal:         262144 kB\nMemFree:          200000 kB\nMemAvailable:     200000 kB\n"},
	}
	if got, _ := readAll(t, c, "/proc/meminfo"); !strings.Contains(got, "\nShmem:"+strings.Repeat(" ", 16)+"64 kB\n") {
		t.Errorf("/proc/meminfo has no Shmem line of 64 kB:\n%s", got)
	}
	for _, tc := range cases {
		got, err := readAll(t, c, tc.path)
		if err != nil || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s = %q, %v\nwant %q", tc.path, got, err, tc.want)
		}
	}
	st, err := readAll(t, c, "/proc/7/status")
	for _, line := range []string{"Name:\tsh\n", "State:\tS (sleeping)\n", "Pid:\t7\n", "PPid:\t1\n", "VmRSS:\t     400 kB\n", "Threads:\t3\n"} {
		if !strings.Contains(st, line) {
			t.Errorf("status lacks %q:\n%s", line, st)
		}
	}
	if n := len(strings.Fields(func() string { s, _ := readAll(t, c, "/proc/1/stat"); return s }())); n != 52 {
		t.Errorf("stat has %d fields, want 52", n)
	}
	if got, err := c.Readlink(file.Location{}, "/proc/self/exe"); got != "/bin/sh" || err != nil {
		t.Errorf("readlink /proc/self/exe = %q, %v", got, err) // os.Executable reads it
	}
	if got, _ := c.Readlink(file.Location{}, "/proc/self"); got != "7" {
		t.Errorf("readlink /proc/self = %q", got)
	}
	if _, err := readAll(t, c, "/proc/9/stat"); err != syscall.ENOENT {
		t.Errorf("missing process: %v", err)
	}
	// A process that goes between lookup and open: ESRCH.
	d, _ := c.Open(file.Location{}, "/proc/7", file.O_RDONLY, 0)
	delete(f.procs, 7)
	if _, err := c.Open(d.Location(), "stat", file.O_RDONLY, 0); err != syscall.ESRCH {
		t.Errorf("open of a gone process's file: %v", err)
	}
	d.DecRef()
	// The listing has the processes.
	d, _ = c.Open(file.Location{}, "/proc", file.O_RDONLY, 0)
	var names []string
	d.ReadDir(func(e file.Dirent) bool { names = append(names, e.Name); return true })
	if strings.Join(names, " ") != ". .. meminfo self uptime 1" {
		t.Errorf("ls /proc = %q", names)
	}
}

// netFake is a Provider with a network.
type netFake struct{ fake }

func (netFake) NetFiles() []NetFile {
	return []NetFile{
		{"dev", func(w io.Writer) error { _, err := io.WriteString(w, "Inter-|\n"); return err }},
		{"snmp", func(w io.Writer) error { _, err := io.WriteString(w, "Ip: Forwarding\nIp: 2\n"); return err }},
	}
}

func TestProcNet(t *testing.T) {
	root := &file.TreeNode{Ino: 1, Mode: file.S_IFDIR | 0o755}
	root.Entries = func() []file.TreeEntry {
		return []file.TreeEntry{{Name: "proc", Node: &file.TreeNode{Ino: 2, Mode: file.S_IFDIR | 0o755, Entries: func() []file.TreeEntry { return nil }}}}
	}
	ns, err := file.NewNamespace(file.NewTreeFS(root))
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Mount("/proc", New(netFake{fake{map[int]Process{}}})); err != nil {
		t.Fatal(err)
	}
	c := ns.NewContext()
	for path, want := range map[string]string{"/proc/net/dev": "Inter-|\n", "/proc/net/snmp": "Ip: Forwarding\nIp: 2\n"} {
		if got, err := readAll(t, c, path); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := readAll(t, c, "/proc/net/tcp"); err != syscall.ENOENT {
		t.Errorf("a file the network does not have: %v, want ENOENT", err)
	}
	// Without a NetProvider there is no /proc/net.
	ns2, _ := file.NewNamespace(file.NewTreeFS(root))
	ns2.Mount("/proc", New(fake{map[int]Process{}}))
	if _, err := readAll(t, ns2.NewContext(), "/proc/net/dev"); err != syscall.ENOENT {
		t.Errorf("/proc/net without a network: %v, want ENOENT", err)
	}
}

// gcFake is a Provider with the kernel collector's record.
type gcFake struct{ fake }

func (gcFake) GC() GCStats {
	return GCStats{Collections: 300, PauseTotal: 5 * time.Millisecond, Recent: []time.Duration{21 * time.Microsecond, 180 * time.Microsecond},
		Stopping: []Bucket{{1024, 599}, {2048, 1}}, Whole: []Bucket{{262144, 590}, {-1, 10}}}
}

func TestProcGC(t *testing.T) {
	root := &file.TreeNode{Ino: 1, Mode: file.S_IFDIR | 0o755}
	root.Entries = func() []file.TreeEntry {
		return []file.TreeEntry{{Name: "proc", Node: &file.TreeNode{Ino: 2, Mode: file.S_IFDIR | 0o755, Entries: func() []file.TreeEntry { return nil }}}}
	}
	for _, tc := range []struct {
		p    Provider
		want string
		err  error
	}{
		{gcFake{fake{map[int]Process{}}}, "collections 300\npause_total_ns 5000000\nrecent_pauses_ns 21000 180000\n" +
			"stw_stopping_hist_ns 1024:599 2048:1\nstw_whole_hist_ns 262144:590 inf:10\n", nil},
		{fake{map[int]Process{}}, "", syscall.ENOENT}, // not a GCProvider: no file
	} {
		ns, err := file.NewNamespace(file.NewTreeFS(root))
		if err != nil {
			t.Fatal(err)
		}
		ns.Mount("/proc", New(tc.p))
		if got, err := readAll(t, ns.NewContext(), "/proc/gc"); got != tc.want || err != tc.err {
			t.Errorf("%T: /proc/gc = %q, %v; want %q, %v", tc.p, got, err, tc.want, tc.err)
		}
	}
}
