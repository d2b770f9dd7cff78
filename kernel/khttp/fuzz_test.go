package khttp

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"
	"testing"
)

// FuzzReadRequest feeds arbitrary bytes to the request parser: it must
// never panic, and what it accepts must be a well-formed request.
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /sink HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
		"GET /bytes/10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"POST /sink HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST /sink HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GARBAGE\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := readRequest(textproto.NewReader(bufio.NewReader(bytes.NewReader(b))))
		if err != nil {
			return
		}
		if req.method == "" || req.path == "" || !strings.HasPrefix(req.proto, "HTTP/1.") || req.length < -1 {
			t.Fatalf("accepted a malformed request: %+v", req)
		}
	})
}
