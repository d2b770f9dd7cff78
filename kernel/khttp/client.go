package khttp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"

	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

// The client half: enough HTTP/1.1 for the kernel to move data to and
// from a server (the boot tests' peer on the host), one request per
// connection.

// dial connects a stream socket to addr.
func dial(ctx context.Context, sockets *socket.Layer, addr tcpip.FullAddr) (socket.Socket, error) {
	s, err := sockets.Socket(socket.Stream)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(ctx, addr); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// readResponse reads a status line and headers and returns the status
// and the Content-Length (-1 if absent).
func readResponse(r *textproto.Reader) (status int, length int64, err error) {
	line, err := r.ReadLine()
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") {
		return 0, 0, fmt.Errorf("khttp: bad status line %q", line)
	}
	if status, err = strconv.Atoi(f[1]); err != nil {
		return 0, 0, fmt.Errorf("khttp: bad status line %q", line)
	}
	h, err := r.ReadMIMEHeader()
	if err != nil {
		return 0, 0, err
	}
	length = -1
	if v := h.Get("Content-Length"); v != "" {
		if length, err = strconv.ParseInt(v, 10, 64); err != nil || length < 0 {
			return 0, 0, fmt.Errorf("khttp: bad Content-Length %q", v)
		}
	}
	return status, length, nil
}

// Fetch GETs path from addr and checks that the body is the pattern
// (Pattern) from offset 0. It returns the body's length and the offset of
// the first byte that differs (-1 if none).
func Fetch(ctx context.Context, sockets *socket.Layer, addr tcpip.FullAddr, path string) (n, bad int64, err error) {
	s, err := dial(ctx, sockets, addr)
	if err != nil {
		return 0, -1, err
	}
	defer s.Close()
	c := conn{ctx, s}
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr); err != nil {
		return 0, -1, err
	}
	br := bufio.NewReaderSize(c, 64<<10)
	status, length, err := readResponse(textproto.NewReader(br))
	if err != nil {
		return 0, -1, err
	}
	if status != 200 {
		return 0, -1, fmt.Errorf("khttp: GET %s: status %d", path, status)
	}
	bad = -1
	buf := make([]byte, 64<<10)
	for length < 0 || n < length {
		k, err := br.Read(buf)
		for i, b := range buf[:k] {
			if bad < 0 && b != Pattern(n+int64(i)) {
				bad = n + int64(i)
			}
		}
		n += int64(k)
		if err == io.EOF && length < 0 {
			break
		}
		if err != nil {
			return n, bad, fmt.Errorf("khttp: GET %s: body ended after %d of %d bytes: %w", path, n, length, err)
		}
	}
	return n, bad, nil
}

// Push POSTs n bytes of the pattern to path at addr and returns the
// server's answer (for /sink: its length and SHA-256).
func Push(ctx context.Context, sockets *socket.Layer, addr tcpip.FullAddr, path string, n int64) (string, error) {
	s, err := dial(ctx, sockets, addr)
	if err != nil {
		return "", err
	}
	defer s.Close()
	c := conn{ctx, s}
	bw := bufio.NewWriterSize(c, 64<<10)
	fmt.Fprintf(bw, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", path, addr, n)
	if err := writePattern(bw, n); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	br := bufio.NewReader(c)
	status, length, err := readResponse(textproto.NewReader(br))
	if err != nil {
		return "", err
	}
	if length < 0 || length > 4096 {
		return "", fmt.Errorf("khttp: POST %s: answer of %d bytes", path, length)
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		return "", err
	}
	if status != 200 {
		return "", fmt.Errorf("khttp: POST %s: status %d: %s", path, status, body)
	}
	return strings.TrimSpace(string(body)), nil
}
