package node

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// MaxBlob bounds /blob so a request cannot ask for an endless stream.
const MaxBlob = 1 << 30

// Handler serves the small test site that tapnet and the interop tests
// use:
//
//	/hello      the text hello
//	/echo       the request body back (up to 1 MiB)
//	/blob?n=N   N bytes of a fixed pseudo-random stream (see Blob)
//	/stats      the node's protocol counters (netstat -s), if n is not nil
//	/proc/net/F Linux's /proc/net/F (dev, route, arp, tcp, udp), if n is not nil
func Handler(hello string, n *Node) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, hello) })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, io.LimitReader(r.Body, 1<<20))
	})
	mux.HandleFunc("/blob", func(w http.ResponseWriter, r *http.Request) {
		size, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || size < 0 || size > MaxBlob {
			http.Error(w, "n must be a byte count up to 1 GiB", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		io.Copy(w, Blob(size))
	})
	if n != nil {
		mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
			n.Stack.WriteNetstat(w)
			if c := n.DHCP(); c != nil {
				fmt.Fprintf(w, "Dhcp: %+v\n", c.Stats())
			}
			fmt.Fprintf(w, "Dns: %+v\n", n.Resolver.Stats())
		})
		// The /proc/net files the kernel will serve, from this stack.
		procNet := map[string]func(io.Writer) error{
			"dev": n.Stack.WriteProcNetDev, "route": n.Stack.WriteProcNetRoute,
			"arp": n.Stack.WriteProcNetARP, "tcp": n.TCP.WriteProcNet, "udp": n.UDP.WriteProcNet,
		}
		mux.HandleFunc("/proc/net/{file}", func(w http.ResponseWriter, r *http.Request) {
			write, ok := procNet[r.PathValue("file")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			write(w)
		})
	}
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%sTry /hello, /echo (POST), /blob?n=1048576, /stats, /proc/net/tcp.\n", hello)
	})
	return mux
}

// Blob returns n bytes of a fixed pseudo-random stream: both ends of a
// transfer can generate it, so the receiver checks a SHA-256 without the
// data being stored anywhere.
func Blob(n int) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{'s', 'c', 'o', 'n', 'e'}), int64(n))
}
