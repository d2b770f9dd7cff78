package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ls lists files and directories: -a shows dot files, -l the long
// format (owners named from /etc/passwd and /etc/group), -n the long
// format with numeric owners, -d lists a directory itself, -1 is accepted
// (one name a line is the default).
func ls(args []string) int {
	opts, names, err := flags(args, "alnd1", "")
	numeric = has(opts, 'n')
	if err != nil {
		return usage(err, "[-adln1] [FILE...]")
	}
	long := has(opts, 'l') || has(opts, 'n')
	if len(names) == 0 {
		names = []string{"."}
	}
	status := 0
	var files, dirs []string
	for _, n := range names {
		st, err := os.Lstat(n)
		if err != nil {
			warn("cannot access '%s': %s", n, errText(err))
			status = 2
			continue
		}
		if st.IsDir() && !has(opts, 'd') {
			dirs = append(dirs, n)
		} else {
			files = append(files, n)
		}
	}
	sort.Strings(files)
	sort.Strings(dirs)
	var es []entry
	for _, f := range files {
		st, _ := os.Lstat(f)
		es = append(es, entry{f, f, st})
	}
	printEntries(es, long, false)
	for i, d := range dirs {
		if len(files) > 0 || i > 0 {
			fmt.Println()
		}
		if len(names) > 1 {
			fmt.Printf("%s:\n", d)
		}
		es, err := readDir(d, has(opts, 'a'))
		if err != nil {
			warn("cannot open directory '%s': %s", d, errText(err))
			status = 2
			continue
		}
		printEntries(es, long, true)
	}
	return status
}

// An entry is one file to list: its name as shown, its path, its status.
type entry struct {
	name, path string
	st         fs.FileInfo
}

// readDir reads a directory's entries sorted by name, with . and .. if
// all is set.
func readDir(dir string, all bool) ([]entry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	if all {
		names = append(names, ".", "..")
	}
	sort.Strings(names)
	var es []entry
	for _, n := range names {
		if !all && strings.HasPrefix(n, ".") {
			continue
		}
		p := filepath.Join(dir, n)
		st, err := os.Lstat(p)
		if err != nil {
			warn("cannot access '%s': %s", p, errText(err))
			continue
		}
		es = append(es, entry{n, p, st})
	}
	return es, nil
}

// printEntries prints names one a line, or GNU ls -ln's columns: mode,
// links, owner, group, size and time, widths fitted to the entries, after
// a "total" of 1 KiB blocks for a directory.
func printEntries(es []entry, long, total bool) {
	if !long {
		for _, e := range es {
			fmt.Println(e.name)
		}
		return
	}
	var w [4]int
	var blocks int64
	cols := make([][4]string, len(es))
	for i, e := range es {
		sys := e.st.Sys().(*syscall.Stat_t)
		blocks += sys.Blocks
		size := strconv.FormatInt(e.st.Size(), 10)
		if e.st.Mode()&(fs.ModeDevice|fs.ModeCharDevice) != 0 {
			size = fmt.Sprintf("%d, %d", major(sys.Rdev), minor(sys.Rdev))
		}
		cols[i] = [4]string{strconv.FormatUint(uint64(sys.Nlink), 10), idName("/etc/passwd", sys.Uid), idName("/etc/group", sys.Gid), size}
		for k := range w {
			w[k] = max(w[k], len(cols[i][k]))
		}
	}
	if total {
		fmt.Printf("total %d\n", blocks/2)
	}
	for i, e := range es {
		c := cols[i]
		name := e.name
		if e.st.Mode()&fs.ModeSymlink != 0 {
			if t, err := os.Readlink(e.path); err == nil {
				name += " -> " + t
			}
		}
		fmt.Printf("%s %*s %-*s %-*s %*s %s %s\n", modeString(e.st.Mode()), w[0], c[0], w[1], c[1], w[2], c[2], w[3], c[3], lsTime(e.st.ModTime()), name)
	}
}

// numeric is ls -n: owners as numbers.
var numeric bool

// idNames caches /etc/passwd's and /etc/group's id -> name maps.
var idNames = map[string]map[uint32]string{}

// idName is the name of a user or group id from file (/etc/passwd or
// /etc/group: name:x:id:...), or the number if it has none.
func idName(file string, id uint32) string {
	num := strconv.FormatUint(uint64(id), 10)
	if numeric {
		return num
	}
	m, ok := idNames[file]
	if !ok {
		m = map[uint32]string{}
		b, _ := os.ReadFile(file)
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Split(line, ":")
			if len(f) < 3 {
				continue
			}
			if n, err := strconv.ParseUint(f[2], 10, 32); err == nil {
				if _, dup := m[uint32(n)]; !dup {
					m[uint32(n)] = f[0]
				}
			}
		}
		idNames[file] = m
	}
	if name, ok := m[id]; ok {
		return name
	}
	return num
}

// lsTime is ls's date: month, day and time for the last six months,
// month, day and year otherwise (the future included).
func lsTime(t time.Time) string {
	now := time.Now()
	if t.Before(now.Add(-182*24*time.Hour)) || t.After(now) {
		return t.Format("Jan _2  2006")
	}
	return t.Format("Jan _2 15:04")
}

// modeString is the ten-letter mode ls and stat print, like -rw-r--r--.
func modeString(m fs.FileMode) string {
	b := []byte("?rwxrwxrwx")
	switch {
	case m.IsRegular():
		b[0] = '-'
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	}
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	special := func(i int, set bool, lower, upper byte) {
		if set {
			if b[i] == '-' {
				b[i] = upper
			} else {
				b[i] = lower
			}
		}
	}
	special(3, m&fs.ModeSetuid != 0, 's', 'S')
	special(6, m&fs.ModeSetgid != 0, 's', 'S')
	special(9, m&fs.ModeSticky != 0, 't', 'T')
	return string(b)
}

func major(dev uint64) uint64 { return (dev>>8)&0xfff | (dev>>32)&^0xfff }
func minor(dev uint64) uint64 { return dev&0xff | (dev>>12)&^0xff }

// stat prints files' status in GNU stat's layout.
func stat(args []string) int {
	opts, names, err := flags(args, "L", "")
	if err != nil || len(names) == 0 {
		if err == nil {
			err = fmt.Errorf("missing operand")
		}
		return usage(err, "[-L] FILE...")
	}
	status := 0
	for _, n := range names {
		var st syscall.Stat_t
		if has(opts, 'L') {
			err = syscall.Stat(n, &st)
		} else {
			err = syscall.Lstat(n, &st)
		}
		if err != nil {
			warn("cannot stat '%s': %s", n, errText(err))
			status = 1
			continue
		}
		fi, _ := os.Lstat(n)
		if has(opts, 'L') {
			fi, _ = os.Stat(n)
		}
		name := n
		if fi.Mode()&fs.ModeSymlink != 0 {
			t, _ := os.Readlink(n)
			name = fmt.Sprintf("%s -> %s", n, t)
		}
		fmt.Printf("  File: %s\n", name)
		fmt.Printf("  Size: %-10d\tBlocks: %-10d IO Block: %-6d %s\n", st.Size, st.Blocks, st.Blksize, kind(fi.Mode(), st.Size))
		fmt.Printf("Device: %d,%d\tInode: %-11d Links: %d\n", major(st.Dev), minor(st.Dev), st.Ino, st.Nlink)
		fmt.Printf("Access: (%04o/%s)  Uid: (%5d/%8s)   Gid: (%5d/%8s)\n", st.Mode&07777, modeString(fi.Mode()), st.Uid, idName("/etc/passwd", st.Uid), st.Gid, idName("/etc/group", st.Gid))
		for _, t := range []struct {
			name string
			ts   syscall.Timespec
		}{{"Access", st.Atim}, {"Modify", st.Mtim}, {"Change", st.Ctim}} {
			fmt.Printf("%s: %s\n", t.name, time.Unix(t.ts.Sec, t.ts.Nsec).Format("2006-01-02 15:04:05.000000000 -0700"))
		}
	}
	return status
}

// kind names a file type as stat does.
func kind(m fs.FileMode, size int64) string {
	switch {
	case m.IsRegular() && size == 0:
		return "regular empty file"
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeCharDevice != 0:
		return "character special file"
	case m&fs.ModeDevice != 0:
		return "block special file"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "weird file"
}
