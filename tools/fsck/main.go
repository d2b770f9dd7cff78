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
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the command, returning its exit status: 0 clean, 1 problems, 2 usage.
func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("fsck", flag.ContinueOnError)
	fl.SetOutput(stderr)
	ls := fl.Bool("ls", false, "list every file: path, size, SHA-256")
	quiet := fl.Bool("q", false, "print nothing but problems")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: fsck [-ls] [-q] IMAGE\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	name := fl.Arg(0)
	dev, err := fsdev.OpenFile(name, true)
	if err != nil {
		fmt.Fprintln(stderr, "fsck:", err)
		return 1
	}
	defer dev.Close()
	r := check.Image(dev, *ls)
	if *ls {
		for _, f := range r.Files {
			fmt.Fprintln(stdout, listLine(f))
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(stderr, "fsck: %s: %s\n", name, p)
	}
	if !r.OK() {
		fmt.Fprintf(stderr, "fsck: %s: %d problem(s): NOT CLEAN\n", name, len(r.Problems))
		return 1
	}
	if !*quiet {
		fmt.Fprintf(stderr, "fsck: %s: clean: %d inodes, %d data blocks in use (%d blocks, %d inodes); recovery replayed %d journal blocks, freed %d orphans\n",
			name, r.Inodes, r.Blocks, r.SB.NBlocks, r.SB.NInodes, r.Replayed, r.Orphans)
	}
	return 0
}

// listLine formats one file as "path size sha256"; a directory's path ends
// in "/" and shows "-" for a hash, a symbolic link shows "->target", a
// device node its numbers.
func listLine(f check.File) string {
	p := f.Path
	if f.Mode&layout.S_IFMT == layout.S_IFDIR && p != "/" {
		p += "/"
	}
	p = quoteOdd(p)
	switch f.Mode & layout.S_IFMT {
	case layout.S_IFREG:
		return fmt.Sprintf("%s %d %s", p, f.Size, f.SHA256)
	case layout.S_IFDIR:
		return fmt.Sprintf("%s %d -", p, f.Size)
	case layout.S_IFLNK:
		return fmt.Sprintf("%s %d ->%s", p, f.Size, quoteOdd(f.Target))
	case layout.S_IFCHR, layout.S_IFBLK:
		return fmt.Sprintf("%s 0 dev:%d,%d", p, f.Major, f.Minor)
	}
	return fmt.Sprintf("%s %d type:%#o", p, f.Size, f.Mode&layout.S_IFMT)
}

// quoteOdd returns s as a Go quoted string if it holds spaces, quotes,
// unprintable characters or bytes that are not UTF-8 (names may hold any
// byte but "/" and NUL), so that every listing line splits the same way;
// ordinary names are left alone.
func quoteOdd(s string) string {
	odd := func(r rune) bool { return r == '"' || unicode.IsSpace(r) || !unicode.IsPrint(r) }
	if !utf8.ValidString(s) || strings.ContainsFunc(s, odd) {
		return strconv.Quote(s)
	}
	return s
}
