package main

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// counters are the server's own figures for /status.
type counters struct {
	requests atomic.Int64
	errors   atomic.Int64 // responses with status >= 400
	bytes    atomic.Int64
}

// newHandler serves /status from proc and everything else from root, and
// logs each request to logw.
func newHandler(root, proc string, logw io.Writer, start time.Time) http.Handler {
	c := new(counters)
	files := http.FileServer(http.Dir(root))
	mux := http.NewServeMux()
	mux.Handle("/status", statusHandler{proc: proc, start: start, c: c})
	mux.Handle("/", files)
	var mu sync.Mutex // one log line at a time
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		rw := &recorder{ResponseWriter: w, status: http.StatusOK}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rw.Header().Set("Allow", "GET, HEAD")
			http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		} else {
			mux.ServeHTTP(rw, r)
		}
		c.requests.Add(1)
		c.bytes.Add(rw.n)
		if rw.status >= 400 {
			c.errors.Add(1)
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(logw, "%s - - [%s] %q %d %d %s\n", r.RemoteAddr,
			t0.Format("02/Jan/2006:15:04:05 -0700"),
			r.Method+" "+r.RequestURI+" "+r.Proto, rw.status, rw.n,
			time.Since(t0).Round(time.Microsecond))
	})
}

// recorder notes the status and body size a handler writes, for the log.
type recorder struct {
	http.ResponseWriter
	status int
	n      int64
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.n += int64(n)
	return n, err
}

// ReadFrom keeps http.ServeContent's sendfile-style copy (io.Copy finds
// the underlying writer's ReadFrom through this) while still counting.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	r.wrote = true
	n, err := io.Copy(r.ResponseWriter, src)
	r.n += n
	return n, err
}
