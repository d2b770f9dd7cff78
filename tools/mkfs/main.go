// Command mkfs builds a Scone file-system image whose root holds a copy of
// a host directory tree (regular files, directories, symbolic and hard
// links, device nodes, FIFOs, modes and modification times), using
// kernel/fs itself to write it. Sockets are skipped with a warning.
//
//	go run ./tools/mkfs -o fs.img -size 64M [-mknod /dev/console:c:5:1 ...] DIR
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
)

func main() {
	out := flag.String("o", "", "image file to create (required)")
	size := flag.String("size", "64M", "image size: bytes, or a number with K, M, G (powers of 1024)")
	inodes := flag.Uint("inodes", 0, "number of inodes (default: one per 16 KiB)")
	var nodes nodeList
	flag.Var(&nodes, "mknod", "make a device node `PATH:TYPE:MAJOR:MINOR` (TYPE c, b or p); repeatable")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: mkfs -o IMAGE [-size SIZE] [-mknod PATH:TYPE:MAJOR:MINOR]... [DIR]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	}
	bytes, err := parseSize(*size)
	if err != nil {
		fatal(err)
	}
	src := ""
	if flag.NArg() == 1 {
		src = flag.Arg(0)
	}
	if err := build(*out, bytes, uint32(*inodes), src, nodes); err != nil {
		os.Remove(*out)
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mkfs:", err)
	os.Exit(1)
}

// nodeList collects the -mknod flags.
type nodeList []string

func (n *nodeList) String() string     { return strings.Join(*n, ",") }
func (n *nodeList) Set(s string) error { *n = append(*n, s); return nil }

// build formats the image, copies src into it and makes the extra nodes.
func build(out string, size uint64, inodes uint32, src string, nodes []string) error {
	dev, err := fsdev.CreateFile(out, size/fs.BlockSize)
	if err != nil {
		return err
	}
	defer dev.Close()
	// The image is rebuilt from scratch on failure, so the barriers can
	// wait for the one fsync at the end.
	dev.NoSync = true
	if _, err := fs.Format(dev, fs.FormatOptions{Inodes: inodes}); err != nil {
		return err
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		return err
	}
	c := &copier{f: f, links: make(map[fileID]string)}
	if src != "" {
		st, err := os.Stat(src)
		if err != nil {
			return err
		}
		if err := c.copyTree(src, ""); err != nil {
			return err
		}
		if err := c.setAttr("/", st); err != nil { // the root is DIR
			return err
		}
		for _, w := range c.warnings {
			fmt.Fprintln(os.Stderr, "mkfs: warning:", w)
		}
	}
	for _, spec := range nodes {
		if err := c.mknod(spec); err != nil {
			return err
		}
	}
	if err := f.Unmount(); err != nil {
		return err
	}
	dev.NoSync = false
	return dev.Flush()
}
