// Httpd is Scone's web server: HTTP/1.1 over the stock Go net/http
// package, serving a directory (index.html, directory listings,
// Content-Type, Range, HEAD, keep-alive), a /status page with the
// machine's uptime, memory and network counters from /proc, and a request
// log on standard output.
//
// Usage:
//
//	httpd [-addr :80] [-root /www] [-proc /proc] [-q]
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"scone/user/internal/neterr"
)

func main() {
	addr := flag.String("addr", ":80", "listen on `host:port`")
	root := flag.String("root", "/www", "serve files from `dir`")
	proc := flag.String("proc", "/proc", "read /status counters from `dir`")
	quiet := flag.Bool("q", false, "no request log")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: httpd [-addr :80] [-root /www] [-proc /proc] [-q]\n"+
			"Serves the files under -root over HTTP/1.1 and a /status page.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if fi, err := os.Stat(*root); err != nil || !fi.IsDir() {
		fmt.Fprintf(os.Stderr, "httpd: %s is not a directory to serve (-root)\n", *root)
		os.Exit(1)
	}
	var logw io.Writer = os.Stdout
	if *quiet {
		logw = io.Discard
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "httpd: %v\n", neterr.Explain(err))
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "httpd: serving %s on %s\n", *root, l.Addr())
	srv := newServer(*root, *proc, logw)
	if err := srv.Serve(l); err != nil {
		fmt.Fprintf(os.Stderr, "httpd: %v\n", neterr.Explain(err))
		os.Exit(1)
	}
}

// newServer returns the configured http.Server; its bounds keep one slow
// or hostile client from holding a connection or memory forever.
func newServer(root, proc string, logw io.Writer) *http.Server {
	return &http.Server{
		Handler:           newHandler(root, proc, logw, time.Now()),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		// net/http answers malformed requests (400, 431, 505) itself
		// before any handler runs; say so in the log.
		ErrorLog: log.New(logw, "httpd: ", 0),
	}
}
