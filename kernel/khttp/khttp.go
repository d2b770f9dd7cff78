// Package khttp is the kernel's HTTP/1.1 responder: a fixture for
// bring-up, tests and benchmarks until a user-space httpd exists. It is
// started by the kernel command-line word `serve` on port 80 and speaks
// HTTP/1.1 with keep-alive over kernel/net's socket layer:
//
//	GET /          a text status page: uptime, memory, GC count and the
//	               longest recent GC pause, and the network's counters
//	GET /bytes/N   N bytes (Content-Length N) of the pattern Pattern:
//	               the byte at offset i is i mod 251
//	POST /sink     reads the body (Content-Length) and answers
//	               "length N sha256 HEX"
//
// Anything else gets 404 or 405; a request it cannot parse gets 400 and
// the connection is closed. Chunked request bodies are refused with 411.
package khttp

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"
	"sync/atomic"

	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

// MaxBytes bounds N in /bytes/N (16 GiB).
const MaxBytes = 1 << 34

// maxHeader bounds a request's line and headers, so a client cannot make
// the kernel buffer without end.
const maxHeader = 16 << 10

// Server answers requests. Status writes the status page's body.
type Server struct {
	Status func(w io.Writer) error

	Requests atomic.Uint64 // requests answered
	Errors   atomic.Uint64 // requests refused as malformed
	Conns    atomic.Uint64 // connections accepted
}

// ListenAndServe serves on port until ctx ends or accepting fails.
func (s *Server) ListenAndServe(ctx context.Context, sockets *socket.Layer, port uint16) error {
	l, err := Listen(sockets, port)
	if err != nil {
		return err
	}
	defer l.Close()
	return s.Serve(ctx, l)
}

// Listen returns a stream socket listening on port, for Serve: a caller
// that announces the server after Listen returns never announces it
// before connections can be taken.
func Listen(sockets *socket.Layer, port uint16) (socket.Socket, error) {
	l, err := sockets.Socket(socket.Stream)
	if err != nil {
		return nil, err
	}
	if err := l.Bind(tcpip.FullAddr{Port: port}); err != nil {
		l.Close()
		return nil, err
	}
	if err := l.Listen(128); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Serve accepts connections on the listening socket l, each on its own
// goroutine, until ctx ends or accepting fails.
func (s *Server) Serve(ctx context.Context, l socket.Socket) error {
	for {
		c, _, err := l.Accept(ctx)
		if err != nil {
			return err
		}
		s.Conns.Add(1)
		go s.serveConn(ctx, c)
	}
}

// conn is a socket as an io.ReadWriter bound to a context.
type conn struct {
	ctx context.Context
	s   socket.Socket
}

func (c conn) Read(b []byte) (int, error) {
	n, err := c.s.Read(c.ctx, b)
	if n == 0 && err == nil && len(b) > 0 {
		return 0, io.EOF
	}
	return n, err
}

func (c conn) Write(b []byte) (int, error) { return c.s.Write(c.ctx, b) }

// request is what the responder needs of one request.
type request struct {
	method, path, proto string
	length              int64 // -1 when absent
	close               bool  // the connection ends after the answer
	expectContinue      bool
}

var (
	errBadRequest = errors.New("khttp: malformed request")
	errChunked    = errors.New("khttp: chunked request body")
)

// readRequest reads a request line and headers.
func readRequest(r *textproto.Reader) (*request, error) {
	line, err := r.ReadLine()
	if err != nil {
		return nil, err
	}
	f := strings.Fields(line)
	if len(f) != 3 || !strings.HasPrefix(f[2], "HTTP/1.") {
		return nil, errBadRequest
	}
	req := &request{method: f[0], path: f[1], proto: f[2], length: -1}
	h, err := r.ReadMIMEHeader()
	if err != nil {
		return nil, errBadRequest
	}
	if v := h.Values("Content-Length"); len(v) > 0 {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil || n < 0 || len(v) > 1 {
			return nil, errBadRequest
		}
		req.length = n
	}
	if te := h.Get("Transfer-Encoding"); te != "" && !strings.EqualFold(te, "identity") {
		return nil, errChunked
	}
	connHdr := strings.ToLower(h.Get("Connection"))
	if req.proto == "HTTP/1.0" {
		req.close = !strings.Contains(connHdr, "keep-alive")
	} else {
		req.close = strings.Contains(connHdr, "close")
	}
	req.expectContinue = strings.EqualFold(h.Get("Expect"), "100-continue")
	return req, nil
}

func (s *Server) serveConn(ctx context.Context, sock socket.Socket) {
	defer sock.Close()
	// The reader reads through a limit that is tight while headers are
	// read and lifted for bodies, as net/http does: a client cannot make
	// the kernel buffer an endless header.
	lr := &io.LimitedReader{R: conn{ctx, sock}}
	br := bufio.NewReaderSize(lr, 32<<10)
	tr := textproto.NewReader(br)
	bw := bufio.NewWriterSize(conn{ctx, sock}, 32<<10)
	for {
		lr.N = maxHeader
		req, err := readRequest(tr)
		exhausted := lr.N == 0
		lr.N = 1 << 62
		switch {
		case errors.Is(err, errChunked):
			s.Errors.Add(1)
			s.reply(bw, 411, "text/plain", "chunked request bodies are not supported\n", true)
			return
		case err != nil && exhausted:
			s.Errors.Add(1)
			s.reply(bw, 431, "text/plain", fmt.Sprintf("request line and headers exceed %d bytes\n", maxHeader), true)
			return
		case errors.Is(err, errBadRequest):
			s.Errors.Add(1)
			s.reply(bw, 400, "text/plain", "bad request\n", true)
			return
		case err != nil:
			return // the peer went away, or ended its last request
		}
		if req.expectContinue && req.length > 0 {
			io.WriteString(bw, req.proto+" 100 Continue\r\n\r\n")
			if bw.Flush() != nil {
				return
			}
		}
		err = s.answer(bw, br, req)
		s.Requests.Add(1)
		if err != nil || req.close {
			bw.Flush()
			return
		}
		if br.Buffered() == 0 && bw.Flush() != nil {
			return // flush only when no pipelined request waits
		}
	}
}

// answer serves one request.
func (s *Server) answer(bw *bufio.Writer, body *bufio.Reader, req *request) error {
	switch {
	case req.path == "/":
		if req.method != "GET" && req.method != "HEAD" {
			return s.notAllowed(bw, body, req, "GET, HEAD")
		}
		if err := discard(body, req); err != nil {
			return err
		}
		var page strings.Builder
		if s.Status != nil {
			s.Status(&page)
		}
		return s.reply(bw, 200, "text/plain; charset=utf-8", page.String(), req.close, req.method == "HEAD")
	case strings.HasPrefix(req.path, "/bytes/"):
		if req.method != "GET" {
			return s.notAllowed(bw, body, req, "GET")
		}
		if err := discard(body, req); err != nil {
			return err
		}
		n, err := strconv.ParseUint(req.path[len("/bytes/"):], 10, 64)
		if err != nil || n > MaxBytes {
			return s.reply(bw, 400, "text/plain", fmt.Sprintf("N must be 0 to %d\n", MaxBytes), req.close)
		}
		s.header(bw, 200, "application/octet-stream", int64(n), req.close)
		return writePattern(bw, int64(n))
	case req.path == "/sink":
		if req.method != "POST" && req.method != "PUT" {
			return s.notAllowed(bw, body, req, "POST, PUT")
		}
		if req.length < 0 {
			req.close = true
			return s.reply(bw, 411, "text/plain", "a Content-Length is required\n", true)
		}
		h := sha256.New()
		n, err := io.CopyN(h, body, req.length)
		if err != nil {
			return fmt.Errorf("khttp: body ended after %d of %d bytes: %w", n, req.length, err)
		}
		return s.reply(bw, 200, "text/plain", fmt.Sprintf("length %d sha256 %x\n", n, h.Sum(nil)), req.close)
	}
	if err := discard(body, req); err != nil {
		return err
	}
	return s.reply(bw, 404, "text/plain", "not found\n", req.close)
}

// discard reads and drops a body the route does not want, so the next
// request on the connection starts in the right place.
func discard(body *bufio.Reader, req *request) error {
	if req.length > 0 {
		_, err := io.CopyN(io.Discard, body, req.length)
		return err
	}
	return nil
}

func (s *Server) notAllowed(bw *bufio.Writer, body *bufio.Reader, req *request, allow string) error {
	if err := discard(body, req); err != nil {
		return err
	}
	return s.reply(bw, 405, "text/plain", "method not allowed; allowed: "+allow+"\n", req.close)
}

var statusText = map[int]string{200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
	411: "Length Required", 431: "Request Header Fields Too Large"}

// header writes a response's status line and headers.
func (s *Server) header(bw *bufio.Writer, code int, ctype string, length int64, close bool) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nServer: scone\r\nContent-Type: %s\r\nContent-Length: %d\r\n", code, statusText[code], ctype, length)
	if close {
		io.WriteString(bw, "Connection: close\r\n")
	}
	io.WriteString(bw, "\r\n")
}

// reply writes a whole response with a short body (none for HEAD).
func (s *Server) reply(bw *bufio.Writer, code int, ctype, body string, close bool, head ...bool) error {
	s.header(bw, code, ctype, int64(len(body)), close)
	if len(head) == 0 || !head[0] {
		io.WriteString(bw, body)
	}
	if close {
		return bw.Flush()
	}
	return nil
}
