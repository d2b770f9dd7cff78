package start

import (
	"context"
	"fmt"
	"io"

	"scone/kernel/khttp"
	"scone/kernel/knet"
	"scone/kernel/machine"
)

// serveHTTP starts the in-kernel HTTP responder on port 80 (the command
// line's `serve`), once the network is up.
func serveHTTP(n *knet.Net, log io.Writer) {
	srv := &khttp.Server{Status: func(w io.Writer) error {
		if err := khttp.WriteRuntime(w, boot); err != nil {
			return err
		}
		m := machine.Memory()
		fmt.Fprintf(w, "frames: %d free of %d\n", m.FreePages, m.TotalPages)
		return n.WriteStatus(w)
	}}
	// Listen before saying so: a client that connects on the message
	// (the QEMU tests do) must not find the port closed.
	l, err := khttp.Listen(n.Sockets, 80)
	if err != nil {
		fmt.Fprintf(log, "http: %v\n", err)
		return
	}
	go func() {
		defer l.Close()
		err := srv.Serve(context.Background(), l)
		fmt.Fprintf(log, "http: stopped: %v\n", err)
	}()
	fmt.Fprintln(log, "http: serving on port 80")
}
