// Command fsck checks a Scone file-system image and exits non-zero, with a
// line per problem, if any invariant does not hold. The image is not
// modified: the journal is replayed into memory, as the kernel would at
// mount. With -ls it lists every file: path, size and SHA-256.
//
//	go run ./tools/fsck [-ls] IMAGE
package main

import (
	"flag"
	"fmt"
	"os"

	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

func main() {
	ls := flag.Bool("ls", false, "list every file: path, size, SHA-256")
	quiet := flag.Bool("q", false, "print nothing but problems")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: fsck [-ls] [-q] IMAGE\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	dev, err := fsdev.OpenFile(flag.Arg(0), true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fsck:", err)
		os.Exit(1)
	}
	defer dev.Close()
	r := check.Image(dev, *ls)
	if *ls {
		for _, f := range r.Files {
			fmt.Println(listLine(f))
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(os.Stderr, "fsck: %s: %s\n", flag.Arg(0), p)
	}
	if !r.OK() {
		fmt.Fprintf(os.Stderr, "fsck: %s: %d problem(s): NOT CLEAN\n", flag.Arg(0), len(r.Problems))
		os.Exit(1)
	}
	if !*quiet {
		fmt.Fprintf(os.Stderr, "fsck: %s: clean: %d inodes, %d data blocks in use (%d blocks, %d inodes); recovery replayed %d journal blocks, freed %d orphans\n",
			flag.Arg(0), r.Inodes, r.Blocks, r.SB.NBlocks, r.SB.NInodes, r.Replayed, r.Orphans)
	}
}

// listLine formats one file as "path size sha256"; a directory's path ends
// in "/" and shows "-" for a hash, a device node shows its numbers.
func listLine(f check.File) string {
	switch f.Mode & layout.S_IFMT {
	case layout.S_IFREG:
		return fmt.Sprintf("%s %d %s", f.Path, f.Size, f.SHA256)
	case layout.S_IFDIR:
		p := f.Path
		if p != "/" {
			p += "/"
		}
		return fmt.Sprintf("%s %d -", p, f.Size)
	case layout.S_IFCHR, layout.S_IFBLK:
		return fmt.Sprintf("%s 0 dev:%d,%d", f.Path, f.Major, f.Minor)
	}
	return fmt.Sprintf("%s %d type:%#o", f.Path, f.Size, f.Mode&layout.S_IFMT)
}
