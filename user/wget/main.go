// Wget downloads a URL over HTTP to a file, showing its progress on the
// terminal.
//
// Usage:
//
//	wget [-O file] [-q] [-T timeout] URL
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"scone/user/internal/neterr"
)

func main() {
	out := flag.String("O", "", "write to `file` (- for standard output; default: the URL's last path element, or index.html)")
	quiet := flag.Bool("q", false, "print nothing but errors")
	timeout := flag.Duration("T", 15*time.Minute, "give up after `timeout`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: wget [-O file] [-q] [-T timeout] URL\n"+
			"Downloads URL (http://) to a file, with its progress on the terminal.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	g := &getter{
		Client: &http.Client{Timeout: *timeout},
		Log:    os.Stderr,
		Quiet:  *quiet,
		TTY:    isTerminal(os.Stderr),
	}
	if err := g.Get(flag.Arg(0), *out); err != nil {
		fmt.Fprintf(os.Stderr, "wget: %v\n", neterr.Explain(err))
		os.Exit(1)
	}
}

// isTerminal reports whether f is a terminal, where the progress bar
// redraws itself in place.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
