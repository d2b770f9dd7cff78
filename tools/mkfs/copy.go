package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"scone/kernel/fs"
)

// fileID identifies a host file, to reproduce hard links.
type fileID struct{ dev, ino uint64 }

type copier struct {
	f        *fs.FS
	links    map[fileID]string // host file -> its first path in the image
	warnings []string
}

// copyTree copies host directory src to image directory dst ("" = root),
// children first so the directory's own mtime is set last.
func (c *copier) copyTree(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		hp, ip := filepath.Join(src, e.Name()), dst+"/"+e.Name()
		st, err := os.Lstat(hp)
		if err != nil {
			return err
		}
		switch {
		case st.IsDir():
			if err := c.f.Mkdir(nil, ip, uint32(st.Mode().Perm())); err != nil {
				return fmt.Errorf("%s: %w", ip, err)
			}
			if err := c.copyTree(hp, ip); err != nil {
				return err
			}
			if err := c.setAttr(ip, st); err != nil {
				return err
			}
		case st.Mode().IsRegular():
			if err := c.copyFile(hp, ip, st); err != nil {
				return fmt.Errorf("%s: %w", ip, err)
			}
		default:
			c.warnings = append(c.warnings, fmt.Sprintf("%s: skipped (%v is not supported)", hp, st.Mode().Type()))
		}
	}
	return nil
}

func (c *copier) copyFile(hp, ip string, st os.FileInfo) error {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 1 {
		id := fileID{uint64(sys.Dev), sys.Ino}
		if first, ok := c.links[id]; ok {
			return c.f.Link(nil, first, nil, ip)
		}
		c.links[id] = ip
	}
	in, err := os.Open(hp)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := c.f.Open(nil, ip, fs.O_CREAT|fs.O_EXCL|syscall.O_WRONLY, uint32(st.Mode().Perm()))
	if err != nil {
		return err
	}
	defer out.Close()
	buf := make([]byte, 1<<20)
	var off int64
	for {
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := out.WriteAt(buf[:n], off); err != nil {
				return err
			}
			off += int64(n)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	return out.SetAttr(uint32(st.Mode().Perm()), st.ModTime().UnixNano())
}

func (c *copier) setAttr(ip string, st os.FileInfo) error {
	h, err := c.f.Lookup(nil, ip)
	if err != nil {
		return err
	}
	defer h.Close()
	return h.SetAttr(uint32(st.Mode().Perm()), st.ModTime().UnixNano())
}

// parseSize reads "4096", "64M", "1G", "512K" or with a "iB"/"B" suffix.
func parseSize(s string) (uint64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(s), "B"), "I")
	mult := uint64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	if n*mult/mult != n || n*mult < fs.MinBlocks*fs.BlockSize {
		return 0, fmt.Errorf("size %q: must be at least %d bytes", s, fs.MinBlocks*fs.BlockSize)
	}
	return n * mult, nil
}
