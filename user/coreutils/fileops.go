package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// operands parses options and requires at least min operands.
func operands(args []string, bools, synopsis string, min int) (map[byte]string, []string, int) {
	opts, names, err := flags(args, bools, "")
	if err == nil && len(names) < min {
		err = errors.New("missing operand")
	}
	if err != nil {
		return nil, nil, usage(err, synopsis)
	}
	return opts, names, 0
}

// mkdir makes directories; -p makes parents and accepts existing ones.
func mkdir(args []string) int {
	opts, names, st := operands(args, "p", "[-p] DIR...", 1)
	if names == nil {
		return st
	}
	for _, n := range names {
		var err error
		if has(opts, 'p') {
			err = os.MkdirAll(n, 0o777)
		} else {
			err = os.Mkdir(n, 0o777)
		}
		if err != nil {
			warn("cannot create directory '%s': %s", n, errText(err))
			st = 1
		}
	}
	return st
}

func rmdir(args []string) int {
	_, names, st := operands(args, "", "DIR...", 1)
	for _, n := range names {
		if err := unix.Rmdir(n); err != nil {
			warn("failed to remove '%s': %s", n, errText(err))
			st = 1
		}
	}
	return st
}

// rm removes files; -r removes directories and their contents, -f
// ignores files that do not exist.
func rm(args []string) int {
	opts, names, st := operands(args, "rRf", "[-rf] FILE...", 0)
	if names == nil && opts == nil {
		return st
	}
	if len(names) == 0 && !has(opts, 'f') {
		return usage(errors.New("missing operand"), "[-rf] FILE...")
	}
	recursive := has(opts, 'r') || has(opts, 'R')
	for _, n := range names {
		if b := filepath.Base(n); b == "." || b == ".." || filepath.Clean(n) == "/" {
			warn("refusing to remove '.', '..' or '/': skipping '%s'", n)
			st = 1
			continue
		}
		fi, err := os.Lstat(n)
		switch {
		case err != nil:
			if !(has(opts, 'f') && os.IsNotExist(err)) {
				warn("cannot remove '%s': %s", n, errText(err))
				st = 1
			}
			continue
		case fi.IsDir() && !recursive:
			warn("cannot remove '%s': Is a directory", n)
			st = 1
			continue
		case fi.IsDir():
			err = os.RemoveAll(n)
		default:
			err = os.Remove(n)
		}
		if err != nil {
			warn("cannot remove '%s': %s", n, errText(err))
			st = 1
		}
	}
	return st
}

// target resolves cp's and mv's operands: with several sources or an
// existing directory as the last operand, each source goes into it.
func target(names []string) (srcs []string, dst func(src string) string, err error) {
	last := names[len(names)-1]
	srcs = names[:len(names)-1]
	fi, statErr := os.Stat(last)
	if statErr == nil && fi.IsDir() {
		return srcs, func(src string) string { return filepath.Join(last, filepath.Base(src)) }, nil
	}
	if len(srcs) > 1 {
		return nil, nil, fmt.Errorf("target '%s': Not a directory", last)
	}
	return srcs, func(string) string { return last }, nil
}

// transfer parses the command line of cp, mv and ln: options, then
// SOURCE... DEST.  ok is false when the tool should exit with status.
func transfer(args []string, bools, synopsis string) (opts map[byte]string, srcs []string, dst func(string) string, status int, ok bool) {
	opts, names, st := operands(args, bools, synopsis, 2)
	if names == nil {
		return nil, nil, nil, st, false
	}
	srcs, dst, err := target(names)
	if err != nil {
		warn("%v", err)
		return nil, nil, nil, 1, false
	}
	return opts, srcs, dst, 0, true
}

// mv renames files, copying and removing them across file systems.
func mv(args []string) int {
	_, srcs, dst, st, ok := transfer(args, "f", "SOURCE... DEST")
	if !ok {
		return st
	}
	for _, s := range srcs {
		d := dst(s)
		err := os.Rename(s, d)
		if errors.Is(err, syscall.EXDEV) {
			if err = copyTree(s, d, true); err == nil {
				err = os.RemoveAll(s)
			}
		}
		if err != nil {
			warn("cannot move '%s' to '%s': %s", s, d, errText(err))
			st = 1
		}
	}
	return st
}

// cp copies files; -r copies directories and their contents.
func cp(args []string) int {
	opts, srcs, dst, st, ok := transfer(args, "rRpf", "[-r] SOURCE... DEST")
	if !ok {
		return st
	}
	for _, s := range srcs {
		fi, err := os.Stat(s)
		if err == nil && fi.IsDir() && !has(opts, 'r') && !has(opts, 'R') {
			warn("-r not specified; omitting directory '%s'", s)
			st = 1
			continue
		}
		if err == nil {
			err = copyTree(s, dst(s), false)
		}
		if err != nil {
			warn("cannot copy '%s': %s", s, errText(err))
			st = 1
		}
	}
	return st
}

// copyTree copies src to dst: a file's bytes and mode, a directory's
// entries recursively; symbolic links are followed, or copied as links
// when links is set (mv).
func copyTree(src, dst string, links bool) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if links {
			t, err := os.Readlink(src)
			if err != nil {
				return err
			}
			return os.Symlink(t, dst)
		}
		if fi, err = os.Stat(src); err != nil {
			return err
		}
	}
	if fi.IsDir() {
		if err := os.Mkdir(dst, fi.Mode().Perm()|0o700); err != nil && !os.IsExist(err) {
			return err
		}
		es, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := copyTree(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()), links); err != nil {
				return err
			}
		}
		return os.Chmod(dst, fi.Mode().Perm())
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ln makes hard links, or symbolic links with -s; -f replaces a target.
func ln(args []string) int {
	opts, srcs, dst, st, ok := transfer(args, "sf", "[-sf] TARGET... LINK")
	if !ok {
		return st
	}
	for _, s := range srcs {
		d := dst(s)
		var err error
		if has(opts, 'f') {
			os.Remove(d)
		}
		if has(opts, 's') {
			err = os.Symlink(s, d)
		} else {
			err = os.Link(s, d)
		}
		if err != nil {
			kind := "hard"
			if has(opts, 's') {
				kind = "symbolic"
			}
			warn("failed to create %s link '%s': %s", kind, d, errText(err))
			st = 1
		}
	}
	return st
}

// touch sets files' access and modification times to now, creating them
// unless -c.
func touch(args []string) int {
	opts, names, st := operands(args, "c", "[-c] FILE...", 1)
	if names == nil {
		return st
	}
	now := time.Now()
	for _, n := range names {
		err := os.Chtimes(n, now, now)
		if os.IsNotExist(err) && !has(opts, 'c') {
			var f *os.File
			if f, err = os.OpenFile(n, os.O_WRONLY|os.O_CREATE, 0o666); err == nil {
				err = f.Close()
			}
		} else if os.IsNotExist(err) {
			err = nil
		}
		if err != nil {
			warn("cannot touch '%s': %s", n, errText(err))
			st = 1
		}
	}
	return st
}
